//! The hash chain: every stored event carries a SHA-256 over its content and
//! the previous event's hash, so any change to a stored value — by devtools,
//! an extension, a bad disk — shows when the stream is read.
//!
//! Hash v2 (docs/event-identity.md), the one every store writes:
//!
//! ```text
//! hash(v) = SHA-256( "bank-ledger hash v2" ‖ 0
//!                  ‖ hash(v-1)            32 bytes; 32 zero bytes before version 1
//!                  ‖ account id ‖ 0
//!                  ‖ version ‖ recorded_at                8 bytes each, big-endian
//!                  ‖ event id ‖ 0 ‖ command id or "" ‖ 0
//!                  ‖ the event as the original's JSON )
//! ```
//!
//! It covers only what the event's author fixed, never where one device
//! happened to file it (its local sequence), so a device, a server and
//! another device compute the same hash for the same event. Hash v1 (formats
//! 1 and 2) also covered the sequence; it is kept only to check old data
//! before it is migrated.
//!
//! The account id is in the hash, so an event can't be moved to another
//! stream; the previous hash is, so none can be dropped, reordered or edited
//! without breaking every link after it.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::json::write_event_json;
use super::Envelope;
use crate::domain::AccountId;

/// A SHA-256 hash, written as 64 lowercase hex digits.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ChainHash([u8; 32]);

impl ChainHash {
    /// What version 1 links to.
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    /// The hash (v2) of `envelope` (its own `hash` and `sequence` fields
    /// aside) after `previous`.
    pub fn link(previous: &ChainHash, stream: &AccountId, envelope: &Envelope) -> ChainHash {
        let mut digest = Sha256::new();
        digest.update(V2_TAG);
        digest.update([0]);
        digest.update(previous.0);
        digest.update(stream.as_str());
        digest.update([0]);
        digest.update(envelope.version.get().to_be_bytes());
        digest.update(envelope.recorded_at.0.to_be_bytes());
        ChainHash(finish(digest, envelope))
    }

    /// Hash v1, as storage formats 1 and 2 and export files of version 1
    /// stored it: the same fields without the tag, and the sequence too.
    /// Only for checking old data.
    pub fn link_v1(previous: &ChainHash, stream: &AccountId, envelope: &Envelope) -> ChainHash {
        let mut digest = Sha256::new();
        digest.update(previous.0);
        digest.update(stream.as_str());
        digest.update([0]);
        digest.update(envelope.version.get().to_be_bytes());
        digest.update(envelope.sequence.0.to_be_bytes());
        digest.update(envelope.recorded_at.0.to_be_bytes());
        ChainHash(finish(digest, envelope))
    }

    /// 64 lowercase hex digits, as `Display` writes them.
    pub fn parse_hex(text: &str) -> Option<ChainHash> {
        crate::encoding::parse_hex(text).map(ChainHash)
    }
}

/// What sets a v2 hash apart from a v1 hash of the same event.
const V2_TAG: &[u8] = b"bank-ledger hash v2";

/// The fields both hash versions end with: the ids and the event.
fn finish(mut digest: Sha256, envelope: &Envelope) -> [u8; 32] {
    digest.update(envelope.event_id.as_str());
    digest.update([0]);
    digest.update(envelope.command_id.as_ref().map_or("", |c| c.as_str()));
    digest.update([0]);
    let mut json = Vec::with_capacity(96);
    write_event_json(&mut json, &envelope.event);
    digest.update(&json);
    digest.finalize().into()
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
    fn hex_round_trips_and_rejects_anything_else() {
        let hash = ChainHash([0xab; 32]);
        assert_eq!(ChainHash::parse_hex(&hash.to_string()), Some(hash));
        for bad in ["", "ab", &"AB".repeat(32), &"zz".repeat(32), &"a".repeat(65), &"é".repeat(32)] {
            assert_eq!(ChainHash::parse_hex(bad), None, "{bad:?}");
        }
    }
}
