//! Listing the streams a map holds, and what under the store's keys is
//! not understood.

use std::collections::{BTreeMap, BTreeSet};

use super::{kv_error, KvStore};
use crate::domain::{AccountId, Version};
use crate::store::{Damage, KeyKind, KeyValue, StoreError, StreamList};

impl<K: KeyValue> KvStore<K> {
    /// See [`EventStore::streams`]: every key classified, gaps reported.
    pub(super) fn scan(&self) -> Result<StreamList, StoreError> {
        let mut segments: BTreeMap<AccountId, Vec<u64>> = BTreeMap::new();
        let mut legacy: BTreeMap<AccountId, Vec<Version>> = BTreeMap::new();
        let mut damaged = Vec::new();
        for key in self.kv.keys().map_err(kv_error)? {
            match self.keys.classify(&key) {
                KeyKind::Segment { stream, index } => segments.entry(stream).or_default().push(index),
                KeyKind::LegacyEvent { stream, version } => legacy.entry(stream).or_default().push(version),
                KeyKind::Snapshot { .. } | KeyKind::Sequence | KeyKind::LegacySequence | KeyKind::NotOurs => {}
                KeyKind::Unknown => damaged.push(Damage { key, reason: "not a key this app writes".into() }),
            }
        }
        let mut ids = Vec::new();
        let names: BTreeSet<AccountId> = segments.keys().chain(legacy.keys()).cloned().collect();
        for stream in names {
            let mut found = segments.remove(&stream).unwrap_or_default();
            found.sort_unstable();
            // Segments must run 0, 1, 2, …; anything after a gap is damage.
            let mut expected = 0;
            for index in found {
                if index == expected {
                    expected += 1;
                } else {
                    damaged.push(Damage {
                        key: self.keys.segment(&stream, index),
                        reason: format!("the stream has no segment {expected} before this one"),
                    });
                }
            }
            let mut versions = legacy.remove(&stream).unwrap_or_default();
            versions.sort_unstable();
            let in_segments = match versions.is_empty() || expected == 0 {
                true => Version::EMPTY,
                false => self.length_in_segments(&stream).unwrap_or(Version::EMPTY),
            };
            let mut next = in_segments.next();
            for version in versions {
                if version <= in_segments {
                    continue; // a copy awaiting removal by the migration
                }
                if version == next {
                    next = next.next();
                } else {
                    damaged.push(Damage {
                        key: self.keys.legacy_event(&stream, version),
                        reason: format!("the stream has no version {next} before this one"),
                    });
                }
            }
            if expected > 0 || next > Version::new(1) {
                ids.push(stream);
            }
        }
        damaged.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(StreamList { ids, damaged })
    }
}
