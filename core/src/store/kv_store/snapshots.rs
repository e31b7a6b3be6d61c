//! Snapshots in the key-value store: handed out only when the events they
//! cover check out.

use super::{corrupt, KvStore};
use crate::domain::AccountId;
use crate::store::segment::segment_of;
use crate::store::{ChainHash, KeyValue, Snapshot, StoreError};

impl<K: KeyValue> KvStore<K> {
    /// The stream's snapshot, if it agrees with the events it covers (see
    /// [`EventStore::snapshot`]).
    pub(super) fn checked_snapshot(&self, stream: &AccountId) -> Result<Option<Snapshot>, StoreError> {
        let Some(text) = self.get(&self.keys.snapshot(stream))? else {
            return Ok(None);
        };
        let Some(snapshot) = Snapshot::decode(&text) else {
            return Ok(None);
        };
        // Every segment the snapshot covers must be intact (checksums: no
        // decoding), so a snapshot never hides a changed or missing event.
        let last = segment_of(snapshot.version);
        let mut start = ChainHash::GENESIS;
        for index in 0..last {
            start = self.end_of_full(stream, index)?;
        }
        let key = self.keys.segment(stream, last);
        let Some(events) = self.decode_segment(stream, last, start)? else {
            return Err(corrupt(&key, format!("missing: the snapshot has seen version {}", snapshot.version)));
        };
        let at = events.iter().find(|e| e.version == snapshot.version).map(|e| e.hash);
        match at {
            Some(hash) if hash == snapshot.head => Ok(Some(snapshot)),
            Some(_) => Ok(None),
            None => Err(corrupt(&key, format!("events are missing: the snapshot has seen version {}", snapshot.version))),
        }
    }
}
