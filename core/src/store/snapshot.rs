//! Snapshots: an account's state at some version, so a load can start there
//! instead of at the first event. They are derived data: a store only keeps
//! the latest per stream, rewrites it freely, and hands one out only when it
//! agrees with the events it claims to summarise.
//!
//! ```text
//! 3 {checksum} {version} {chain hash at that version}\n{payload}
//! ```
//!
//! Format 2 snapshots were the same with `2` and hash v1; the store's
//! migration rewrites them, and a reader takes them for no snapshot.
//!
//! The checksum (as in a segment, of everything after it) makes an
//! edited snapshot read as no snapshot.
//!
//! The payload is the ledger's, with its own schema version inside; the
//! store does not read it.

use super::ChainHash;
use crate::domain::Version;
use crate::encoding::{parse_decimal, seal, unseal};

/// A snapshot of one stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// How many events it covers.
    pub version: Version,
    /// The chain hash of its last event: the tail read after it must link here.
    pub head: ChainHash,
    /// What the ledger saved (its own format).
    pub payload: String,
}

impl Snapshot {
    pub fn encode(&self) -> String {
        format!("3 {}", seal(&format!("{} {}\n{}", self.version, self.head, self.payload)))
    }

    /// `None` for anything this version does not write: the caller then
    /// loads from the events and writes a new one.
    pub fn decode(text: &str) -> Option<Snapshot> {
        Snapshot::decode_as(text, "3 ")
    }

    /// A format 2 snapshot, whose head is in hash v1: for the migration.
    pub fn decode_legacy(text: &str) -> Option<Snapshot> {
        Snapshot::decode_as(text, "2 ")
    }

    fn decode_as(text: &str, format: &str) -> Option<Snapshot> {
        let covered = unseal(text.strip_prefix(format)?).ok()?;
        let (header, payload) = covered.split_once('\n')?;
        let (version, head) = header.split_once(' ')?;
        let version = parse_decimal(version).filter(|&v| v > 0).map(Version::new)?;
        Some(Snapshot { version, head: ChainHash::parse_hex(head)?, payload: payload.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_the_rest() {
        let snapshot = Snapshot { version: Version::new(640), head: ChainHash::GENESIS, payload: "{\"a\":1}\nx".into() };
        assert_eq!(Snapshot::decode(&snapshot.encode()), Some(snapshot.clone()));
        let text = snapshot.encode();
        let edited = text.replace("\"a\":1", "\"a\":2");
        let legacy = text.replacen("3 ", "2 ", 1);
        for bad in ["", "3 640", &legacy, &text.replacen(" 640", " 0640", 1), &edited] {
            assert_eq!(Snapshot::decode(bad), None, "{bad:?}");
        }
        assert_eq!(Snapshot::decode_legacy(&legacy), Some(snapshot.clone()));
        assert_eq!(Snapshot::decode_legacy(&text), None);
    }
}
