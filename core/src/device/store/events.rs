//! The [`EventStore`] a device's ledger runs on: confirmed events, then
//! pending ones.

use super::View;
use crate::device::log::PendingLog;
use crate::device::SyncedStore;
use crate::domain::{AccountId, ExpectedVersion, Version};
use crate::store::{
    read_admitted, ChainHash, Envelope, EventStore, KeyValue, Migration, NewEvent, OutsideWrite, Sequence, Snapshot, Stale,
    StoreError, StreamList, Tip, Usage,
};

impl<K: KeyValue> EventStore for SyncedStore<K> {
    fn read(&self, stream: &AccountId, after: Version) -> Result<Vec<Envelope>, StoreError> {
        let Some(view) = self.view(stream)? else {
            return self.inner.read(stream, after);
        };
        view.reaches(stream, after)?;
        let mut events = if after < view.base { self.inner.read(stream, after)? } else { Vec::new() };
        events.extend(view.events.into_iter().filter(|e| e.version > after));
        Ok(events)
    }

    fn read_page(&self, stream: &AccountId, after: Version, max: usize) -> Result<Vec<Envelope>, StoreError> {
        let Some(view) = self.view(stream)? else {
            return self.inner.read_page(stream, after, max);
        };
        view.reaches(stream, after)?;
        let mut events = if after < view.base { self.inner.read_page(stream, after, max)? } else { Vec::new() };
        events.extend(view.events.into_iter().filter(|e| e.version > after));
        events.truncate(max);
        Ok(events)
    }

    fn append(
        &mut self,
        stream: &AccountId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Envelope>, StoreError> {
        if !self.holds_back()? {
            // Left its server: pending events are local history now (folded
            // by the first write after, if the writing tab has not yet).
            self.fold(stream)?;
            return self.inner.append(stream, expected, events);
        }
        let view = self.view(stream)?;
        let ExpectedVersion(expected) = expected;
        let log = self.log(stream)?;
        let (mut pending, mut rejected) = (Vec::new(), log.rejected.clone());
        let (actual, mut hash, floor) = match view {
            Some(View { base, events, rebased }) => {
                rejected.extend(rebased.map(|r| r.rejected).unwrap_or_default());
                pending = events;
                let last = pending.last().map(|e| (e.hash, e.sequence.0)).unwrap_or((ChainHash::GENESIS, 0));
                (Version::new(base.get() + u64::try_from(pending.len()).unwrap_or(u64::MAX)), last.0, last.1)
            }
            None => {
                let (hash, floor) = self.inner.head(stream, expected)?;
                (expected, hash, floor)
            }
        };
        if actual != expected {
            return Err(StoreError::Conflict { stream: stream.clone(), expected, actual });
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let count = u64::try_from(events.len()).unwrap_or(u64::MAX);
        let first = self.inner.take_sequences(count, floor)?;
        let mut version = expected;
        let mut added = Vec::with_capacity(events.len());
        for (sequence, event) in (first..).zip(events) {
            version = version.next();
            let mut envelope = event.into_envelope(version, Sequence(sequence));
            envelope.hash = ChainHash::link(&hash, stream, &envelope);
            hash = envelope.hash;
            added.push(envelope);
        }
        pending.extend(added.iter().cloned());
        self.write_log(stream, PendingLog { events: pending, rejected })?;
        Ok(added)
    }

    fn streams(&self) -> Result<StreamList, StoreError> {
        let StreamList { mut ids, mut damaged } = self.inner.streams()?;
        let (logged, broken) = self.logged()?;
        damaged.extend(broken);
        for stream in logged {
            if !ids.contains(&stream) && self.view(&stream)?.is_some() {
                ids.push(stream);
            }
        }
        ids.sort();
        Ok(StreamList { ids, damaged })
    }

    fn read_from(&self, stream: &AccountId, tip: &mut Tip, until: Option<Version>) -> Result<Vec<Envelope>, StoreError> {
        let base = self.view(stream)?.map(|view| view.base);
        let pending_key = self.inner.keys().pending(stream);
        read_admitted(self, stream, tip, until, |version| match base {
            Some(base) if version > base => pending_key.clone(),
            _ => self.segment_key(stream, version),
        })
    }

    fn snapshot(&self, stream: &AccountId) -> Result<Option<Snapshot>, StoreError> {
        self.inner.snapshot(stream)
    }

    fn snapshot_key(&self, stream: &AccountId) -> Option<String> {
        self.inner.snapshot_key(stream)
    }

    fn import(&mut self, batches: Vec<(AccountId, Version, Vec<Envelope>)>) -> Result<(), StoreError> {
        for (stream, _, _) in &batches {
            if self.view(stream)?.is_some() {
                let reason = format!("account {stream} has pending events: import it once they are confirmed");
                return Err(StoreError::Unavailable { reason });
            }
        }
        self.inner.import(batches)
    }

    fn snapshot_limit(&self, stream: &AccountId) -> Result<Option<Version>, StoreError> {
        Ok(self.view(stream)?.map(|view| view.base))
    }

    fn save_snapshot(&mut self, stream: &AccountId, snapshot: &Snapshot) -> Result<(), StoreError> {
        // A snapshot covers confirmed events only: pending ones may yet be
        // decided again.
        match self.view(stream)? {
            Some(view) if snapshot.version > view.base => Ok(()),
            _ => self.inner.save_snapshot(stream, snapshot),
        }
    }

    fn usage(&mut self) -> Result<Option<Usage>, StoreError> {
        EventStore::usage(&mut self.inner)
    }

    fn noticed(&mut self, write: OutsideWrite<'_>) -> Stale {
        let keys = self.inner.keys();
        match write.key {
            Some(key) if keys.is_sync(key) => {
                let stream = keys.pending_stream(key);
                if let Some(stream) = &stream {
                    self.logs.borrow_mut().remove(stream);
                }
                Stale { everything: false, list: stream.is_some(), stream }
            }
            _ => {
                if write.key.is_none() {
                    self.logs.borrow_mut().clear();
                }
                self.inner.noticed(write)
            }
        }
    }

    fn become_writer(&mut self) -> Result<Migration, StoreError> {
        self.logs.borrow_mut().clear();
        self.inner.become_writer()
    }
}
