//! Snapshots in the key-value store: handed out only when the events they
//! cover check out; and the events behind one, read without their hashes.

use super::{corrupt, KvStore};
use crate::domain::{AccountId, Event, Version};
use crate::store::segment::{first_of, segment_of, Segment};
use crate::store::{ChainHash, CommandId, KeyValue, Snapshot, StoreError};

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

    /// See [`EventStore::read_behind_snapshot`]: checksums and rules, no hashes.
    pub(super) fn events_behind(
        &self,
        stream: &AccountId,
        until: Version,
    ) -> Result<Vec<(Event, Option<CommandId>)>, StoreError> {
        let mut out = Vec::new();
        for index in 0..=segment_of(until) {
            let key = self.keys.segment(stream, index);
            let text = self.get(&key)?.ok_or_else(|| corrupt(&key, "missing: a snapshot has seen its events"))?;
            let segment = Segment::parse(&text).map_err(|reason| corrupt(&key, reason))?;
            let events = segment.decode_unhashed(first_of(index)).map_err(|reason| corrupt(&key, reason))?;
            out.extend(events);
        }
        out.truncate(usize::try_from(until.get()).unwrap_or(usize::MAX));
        if u64::try_from(out.len()).ok() != Some(until.get()) {
            return Err(corrupt(&self.keys.segment(stream, segment_of(until)), "events a snapshot has seen are missing"));
        }
        Ok(out)
    }
}
