//! The JSON the ledger writes: the original's event JSON (which the hash
//! covers, so it must be byte for byte what serde_json writes) and the
//! export's lines.

use crate::domain::{Event, Money, Value};
use crate::encoding::write_hex;

/// Writes `event` exactly as `serde_json::to_vec` does (the original's JSON:
/// fixed field order, strings escaped as serde_json escapes them, amounts as
/// the shortest decimal that reads back to the same `f64`), without serde:
/// this runs for every event read or written.
pub fn write_event_json(out: &mut Vec<u8>, event: &Event) {
    let parts = event.parts();
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(parts.kind.event.as_bytes());
    out.push(b'"');
    // The kind's fields in its order (domain/kind.rs), each by its type.
    for (field, value) in parts.fields() {
        let Some(value) = value else { continue };
        out.extend_from_slice(b",\"");
        out.extend_from_slice(field.name.as_bytes());
        out.extend_from_slice(b"\":");
        match value {
            Value::Money(money) => write_units(out, money),
            Value::Owner(owner) => write_json_string(out, owner.as_str()),
        }
    }
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
                let mut escape = String::from("\\u00");
                write_hex(&mut escape, &[byte]);
                out.extend_from_slice(escape.as_bytes());
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
pub(crate) fn write_units(out: &mut Vec<u8>, money: Money) {
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
            let money = Money::from_cents(c).unwrap();
            for owner in owners {
                let owner = Owner::parse(owner).unwrap();
                for event in [Event::opened(owner.clone(), money), Event::deposited(money), Event::withdrawn(money)] {
                    let mut ours = Vec::new();
                    write_event_json(&mut ours, &event);
                    let theirs = serde_json::to_vec(&event).unwrap_or_default();
                    assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
                }
            }
        }
    }
}
