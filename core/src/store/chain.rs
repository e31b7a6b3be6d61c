//! The hash chain: every stored event carries a SHA-256 over its content and
//! the previous event's hash, so any change to a stored value — by devtools,
//! an extension, a bad disk — shows when the stream is read.
//!
//! ```text
//! hash(v) = SHA-256( hash(v-1)            32 bytes; 32 zero bytes before version 1
//!                  ‖ account id ‖ 0
//!                  ‖ version ‖ sequence ‖ recorded_at     8 bytes each, big-endian
//!                  ‖ event id ‖ 0 ‖ command id or "" ‖ 0
//!                  ‖ the event as the original's JSON )
//! ```
//!
//! The account id is in the hash, so an event can't be moved to another
//! stream; the previous hash is, so none can be dropped, reordered or edited
//! without breaking every link after it.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::Envelope;
use crate::domain::{AccountId, Event, Money, Parts};

/// Writes `event` exactly as `serde_json::to_vec` does (the original's JSON:
/// fixed field order, strings escaped as serde_json escapes them, amounts as
/// the shortest decimal that reads back to the same `f64`), without serde:
/// this runs for every event read or written.
pub fn write_event_json(out: &mut Vec<u8>, event: &Event) {
    let Parts { kind, amount, owner } = event.parts();
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(kind.event.as_bytes());
    out.push(b'"');
    if let Some(owner) = owner {
        out.extend_from_slice(b",\"owner\":");
        write_json_string(out, owner.as_str());
    }
    out.extend_from_slice(b",\"");
    out.extend_from_slice(kind.amount.as_bytes());
    out.extend_from_slice(b"\":");
    write_units(out, amount);
    out.push(b'}');
}

pub fn write_json_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for &byte in text.as_bytes() {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x00..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0'));
                out.push(HEX.get(usize::from(byte & 15)).copied().unwrap_or(b'0'));
            }
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}

/// An amount in currency units as a decimal with its trailing zeros dropped
/// but one (`500.0`, `12.3`, `0.05`): what serde_json writes for the `f64`
/// of every amount below 10^13 units (ten times the largest a command may
/// carry), and the definition beyond.
fn write_units(out: &mut Vec<u8>, money: Money) {
    let cents = money.cents();
    let (units, fraction) = (cents / 100, cents % 100);
    out.extend_from_slice(units.to_string().as_bytes());
    out.push(b'.');
    let digits = [b'0' + (fraction / 10) as u8, b'0' + (fraction % 10) as u8];
    match digits {
        [tens, b'0'] => out.push(tens),
        both => out.extend_from_slice(&both),
    }
}

/// A SHA-256 hash, written as 64 lowercase hex digits.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ChainHash([u8; 32]);

impl ChainHash {
    /// What version 1 links to.
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    /// The hash of `envelope` (its own `hash` field aside) after `previous`.
    pub fn link(previous: &ChainHash, stream: &AccountId, envelope: &Envelope) -> ChainHash {
        let mut digest = Sha256::new();
        digest.update(previous.0);
        digest.update(stream.as_str());
        digest.update([0]);
        digest.update(envelope.version.get().to_be_bytes());
        digest.update(envelope.sequence.0.to_be_bytes());
        digest.update(envelope.recorded_at.0.to_be_bytes());
        digest.update(envelope.event_id.as_str());
        digest.update([0]);
        digest.update(envelope.command_id.as_ref().map_or("", |c| c.as_str()));
        digest.update([0]);
        let mut json = Vec::with_capacity(96);
        write_event_json(&mut json, &envelope.event);
        digest.update(&json);
        ChainHash(digest.finalize().into())
    }

    /// 64 lowercase hex digits, as `Display` writes them.
    pub fn parse_hex(text: &str) -> Option<ChainHash> {
        crate::encoding::parse_hex(text).map(ChainHash)
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::with_capacity(64);
        crate::encoding::write_hex(&mut text, &self.0);
        f.write_str(&text)
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({self})")
    }
}

impl Serialize for ChainHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChainHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ChainHash, D::Error> {
        let text = String::deserialize(deserializer)?;
        ChainHash::parse_hex(&text).ok_or_else(|| de::Error::custom("a hash is 64 lowercase hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_json_is_byte_for_byte_serde_json() {
        use crate::domain::Owner;
        let owners = ["Alice", "Zoë \"quoted\" \\ back <b>💶</b> \u{2028}", "a"];
        let mut cents: Vec<u64> = vec![0, 1, 5, 10, 99, 100, 101, 110, 12_345, 50_000, 123_456_789, 999_999_999_999_999];
        cents.extend([Money::MAX_AMOUNT.cents(), Money::MAX_AMOUNT.cents() - 1, 999_999_999_999_999]);
        // A pseudo-random walk over the whole range, deterministic.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            cents.push((x % 1_000_000_000_000_000) >> (x % 40));
        }
        for c in cents {
            let money = Money::from_cents(c).unwrap_or_else(|| unreachable!());
            for owner in owners {
                let owner = Owner::parse(owner).unwrap_or_else(|e| unreachable!("{e}"));
                for event in [
                    Event::AccountOpened { owner: owner.clone(), initial_balance: money },
                    Event::MoneyDeposited { amount: money },
                    Event::MoneyWithdrawn { amount: money },
                ] {
                    let mut ours = Vec::new();
                    write_event_json(&mut ours, &event);
                    let theirs = serde_json::to_vec(&event).unwrap_or_default();
                    assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
                }
            }
        }
    }

    #[test]
    fn hex_round_trips_and_rejects_anything_else() {
        let hash = ChainHash([0xab; 32]);
        assert_eq!(ChainHash::parse_hex(&hash.to_string()), Some(hash));
        for bad in ["", "ab", &"AB".repeat(32), &"zz".repeat(32), &"a".repeat(65), &"é".repeat(32)] {
            assert_eq!(ChainHash::parse_hex(bad), None, "{bad:?}");
        }
    }
}
