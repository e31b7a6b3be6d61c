//! The key layout of a key-value event store (format 1):
//!
//! ```text
//! {namespace}/v1/event/{account id}/{version}   one event record (see codec.rs)
//! {namespace}/v1/sequence                      the last global sequence number
//! ```
//!
//! One key per event, so appending never rewrites a stream. Account ids are
//! restricted to `[A-Za-z0-9_-]`, so `/` can't be part of one.

use crate::domain::{AccountId, Version};

/// Builds and recognises the keys of one namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    root: String,
}

/// What a key is, for this store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Event { stream: AccountId, version: Version },
    Sequence,
    /// Under this store's root, but not a key it writes: foreign or damaged.
    Unknown,
    /// Outside this store's root: somebody else's, ignored.
    NotOurs,
}

impl Keys {
    /// The app's namespace is `"ledger"`; tests use their own.
    pub fn new(namespace: &str) -> Keys {
        Keys { root: format!("{namespace}/v1/") }
    }

    pub fn event(&self, stream: &AccountId, version: Version) -> String {
        format!("{}event/{stream}/{version}", self.root)
    }

    pub fn sequence(&self) -> String {
        format!("{}sequence", self.root)
    }

    pub fn classify(&self, key: &str) -> KeyKind {
        let Some(rest) = key.strip_prefix(&self.root) else {
            return KeyKind::NotOurs;
        };
        if rest == "sequence" {
            return KeyKind::Sequence;
        }
        let event = rest.strip_prefix("event/").and_then(|tail| tail.split_once('/'));
        let Some((stream, version)) = event else {
            return KeyKind::Unknown;
        };
        match (AccountId::parse(stream), parse_version(version)) {
            (Ok(stream), Some(version)) => KeyKind::Event { stream, version },
            _ => KeyKind::Unknown,
        }
    }
}

/// A version as written in a key: a decimal from 1, without leading zeros.
fn parse_version(text: &str) -> Option<Version> {
    let canonical = !text.is_empty() && !text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit());
    canonical.then(|| text.parse().ok()).flatten().map(Version::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> AccountId {
        AccountId::parse(text).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn keys_round_trip() {
        let keys = Keys::new("ledger");
        let key = keys.event(&id("acc-001"), Version::new(12));
        assert_eq!(key, "ledger/v1/event/acc-001/12");
        assert_eq!(keys.classify(&key), KeyKind::Event { stream: id("acc-001"), version: Version::new(12) });
        assert_eq!(keys.classify("ledger/v1/sequence"), KeyKind::Sequence);
    }

    #[test]
    fn anything_else_is_unknown_or_not_ours() {
        let keys = Keys::new("ledger");
        for unknown in [
            "ledger/v1/",
            "ledger/v1/event/acc/0",
            "ledger/v1/event/acc/01",
            "ledger/v1/event/acc/x",
            "ledger/v1/event/a b/1",
            "ledger/v1/event/acc/1/2",
            "ledger/v1/event/acc/99999999999999999999999",
            "ledger/v1/other",
        ] {
            assert_eq!(keys.classify(unknown), KeyKind::Unknown, "{unknown}");
        }
        for other in ["ledger/v2/sequence", "ledgerx/v1/sequence", "theme", ""] {
            assert_eq!(keys.classify(other), KeyKind::NotOurs, "{other}");
        }
    }
}
