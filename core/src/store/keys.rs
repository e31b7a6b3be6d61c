//! The key layout of a key-value event store.
//!
//! ```text
//! {namespace}/v2/seg/{account id}/{n}     events 64n+1 ..= 64n+64 of the account (segment.rs)
//! {namespace}/v2/snap/{account id}        the account's latest snapshot (snapshot.rs)
//! {namespace}/v2/sequence                 the last global sequence number reserved
//! {namespace}/v1/event/{account id}/{v}   format 1: one event record (legacy.rs), until migrated
//! {namespace}/v1/sequence                 format 1's counter, until migrated
//! {namespace}/sync/pending/{account id}   the account's pending log (device/log.rs)
//! {namespace}/sync/link                   the server the device is connected to (device/link.rs)
//! {namespace}/sync/place                  its id, and how far this device pulled (device/link.rs)
//! {namespace}/sync/status                 the sync state the writing tab shows the others
//! {namespace}/sync/request                a request another tab leaves for the writing tab
//! ```
//!
//! The `sync/` keys are the sync client's (`device/`): to the event store
//! they are not its own (`KeyKind::NotOurs`).
//!
//! Account ids are restricted to `[A-Za-z0-9_-]`, so `/` can't be part of one.

use crate::domain::{AccountId, Version};

/// Builds and recognises the keys of one namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    root: String,
    legacy_root: String,
    sync_root: String,
}

/// What a key is, for this store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Segment {
        stream: AccountId,
        index: u64,
    },
    Snapshot {
        stream: AccountId,
    },
    Sequence,
    /// A format 1 record, not migrated yet.
    LegacyEvent {
        stream: AccountId,
        version: Version,
    },
    LegacySequence,
    /// Under this store's roots, but not a key it writes: foreign or damaged.
    Unknown,
    /// Outside this store's roots: somebody else's, ignored.
    NotOurs,
}

impl Keys {
    /// The app's namespace is `"ledger"`; tests use their own.
    pub fn new(namespace: &str) -> Keys {
        Keys {
            root: format!("{namespace}/v2/"),
            legacy_root: format!("{namespace}/v1/"),
            sync_root: format!("{namespace}/sync/"),
        }
    }

    pub fn pending(&self, stream: &AccountId) -> String {
        format!("{}pending/{stream}", self.sync_root)
    }

    /// The account whose pending log `key` is, if it is one.
    pub fn pending_stream(&self, key: &str) -> Option<AccountId> {
        AccountId::parse(key.strip_prefix(&self.sync_root)?.strip_prefix("pending/")?).ok()
    }

    /// Whether `key` is one of the sync client's.
    pub fn is_sync(&self, key: &str) -> bool {
        key.starts_with(&self.sync_root)
    }

    pub fn link(&self) -> String {
        format!("{}link", self.sync_root)
    }

    pub fn place(&self) -> String {
        format!("{}place", self.sync_root)
    }

    pub fn sync_status(&self) -> String {
        format!("{}status", self.sync_root)
    }

    pub fn sync_request(&self) -> String {
        format!("{}request", self.sync_root)
    }

    pub fn segment(&self, stream: &AccountId, index: u64) -> String {
        format!("{}seg/{stream}/{index}", self.root)
    }

    pub fn snapshot(&self, stream: &AccountId) -> String {
        format!("{}snap/{stream}", self.root)
    }

    pub fn sequence(&self) -> String {
        format!("{}sequence", self.root)
    }

    pub fn legacy_event(&self, stream: &AccountId, version: Version) -> String {
        format!("{}event/{stream}/{version}", self.legacy_root)
    }

    pub fn legacy_sequence(&self) -> String {
        format!("{}sequence", self.legacy_root)
    }

    pub fn classify(&self, key: &str) -> KeyKind {
        if let Some(rest) = key.strip_prefix(&self.root) {
            if rest == "sequence" {
                return KeyKind::Sequence;
            }
            if let Some(stream) = rest.strip_prefix("snap/") {
                return AccountId::parse(stream).map_or(KeyKind::Unknown, |stream| KeyKind::Snapshot { stream });
            }
            let segment = rest.strip_prefix("seg/").and_then(|tail| tail.split_once('/'));
            return match segment.map(|(stream, index)| (AccountId::parse(stream), parse_number(index, 0))) {
                Some((Ok(stream), Some(index))) => KeyKind::Segment { stream, index },
                _ => KeyKind::Unknown,
            };
        }
        if let Some(rest) = key.strip_prefix(&self.legacy_root) {
            if rest == "sequence" {
                return KeyKind::LegacySequence;
            }
            let event = rest.strip_prefix("event/").and_then(|tail| tail.split_once('/'));
            return match event.map(|(stream, version)| (AccountId::parse(stream), parse_number(version, 1))) {
                Some((Ok(stream), Some(version))) => KeyKind::LegacyEvent { stream, version: Version::new(version) },
                _ => KeyKind::Unknown,
            };
        }
        KeyKind::NotOurs
    }
}

/// A number as written in a key: a decimal from `min`, without leading zeros.
fn parse_number(text: &str, min: u64) -> Option<u64> {
    crate::encoding::parse_decimal(text).filter(|&n| n >= min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> AccountId {
        AccountId::parse(text).unwrap()
    }

    #[test]
    fn keys_round_trip() {
        let keys = Keys::new("ledger");
        let key = keys.segment(&id("acc-001"), 12);
        assert_eq!(key, "ledger/v2/seg/acc-001/12");
        assert_eq!(keys.classify(&key), KeyKind::Segment { stream: id("acc-001"), index: 12 });
        assert_eq!(keys.classify(&keys.segment(&id("a"), 0)), KeyKind::Segment { stream: id("a"), index: 0 });
        assert_eq!(keys.classify("ledger/v2/snap/acc-001"), KeyKind::Snapshot { stream: id("acc-001") });
        assert_eq!(keys.classify("ledger/v2/sequence"), KeyKind::Sequence);
        let legacy = keys.legacy_event(&id("acc-001"), Version::new(3));
        assert_eq!(legacy, "ledger/v1/event/acc-001/3");
        assert_eq!(keys.classify(&legacy), KeyKind::LegacyEvent { stream: id("acc-001"), version: Version::new(3) });
        assert_eq!(keys.classify("ledger/v1/sequence"), KeyKind::LegacySequence);
    }

    #[test]
    fn anything_else_is_unknown_or_not_ours() {
        let keys = Keys::new("ledger");
        for unknown in [
            "ledger/v2/",
            "ledger/v2/seg/acc/01",
            "ledger/v2/seg/acc/x",
            "ledger/v2/seg/a b/1",
            "ledger/v2/seg/acc/1/2",
            "ledger/v2/seg/acc/99999999999999999999999",
            "ledger/v2/snap/a b",
            "ledger/v2/other",
            "ledger/v1/event/acc/0",
            "ledger/v1/event/acc/01",
            "ledger/v1/other",
        ] {
            assert_eq!(keys.classify(unknown), KeyKind::Unknown, "{unknown}");
        }
        for other in ["ledger/v3/sequence", "ledgerx/v2/sequence", "theme", ""] {
            assert_eq!(keys.classify(other), KeyKind::NotOurs, "{other}");
        }
    }
}
