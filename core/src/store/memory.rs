//! The in-memory event store: the reference implementation of the contract.

use std::collections::BTreeMap;

use super::{read_admitted, ChainHash, Envelope, EventStore, NewEvent, Sequence, Snapshot, StoreError, StreamList, Tip};
use crate::domain::{AccountId, ExpectedVersion, Version};

#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    streams: BTreeMap<AccountId, Vec<Envelope>>,
    snapshots: BTreeMap<AccountId, Snapshot>,
    last_sequence: u64,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn version_of(&self, stream: &AccountId) -> Version {
        let len = self.streams.get(stream).map_or(0, Vec::len);
        Version::new(u64::try_from(len).unwrap_or(u64::MAX))
    }
}

impl EventStore for MemoryStore {
    fn read(&self, stream: &AccountId, after: Version) -> Result<Vec<Envelope>, StoreError> {
        let actual = self.version_of(stream);
        if after > actual {
            return Err(StoreError::Conflict { stream: stream.clone(), expected: after, actual });
        }
        let skip = usize::try_from(after.get()).unwrap_or(usize::MAX);
        Ok(self.streams.get(stream).map(|events| events.iter().skip(skip).cloned().collect()).unwrap_or_default())
    }

    fn append(
        &mut self,
        stream: &AccountId,
        ExpectedVersion(expected): ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Envelope>, StoreError> {
        let actual = self.version_of(stream);
        if expected != actual {
            return Err(StoreError::Conflict { stream: stream.clone(), expected, actual });
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut version = actual;
        let mut previous = self.streams.get(stream).and_then(|e| e.last()).map_or(ChainHash::GENESIS, |e| e.hash);
        let stored: Vec<Envelope> = events
            .into_iter()
            .map(|event| {
                version = version.next();
                self.last_sequence += 1;
                let mut envelope = event.into_envelope(version, Sequence(self.last_sequence));
                envelope.hash = ChainHash::link(&previous, stream, &envelope);
                previous = envelope.hash;
                envelope
            })
            .collect();
        self.streams.entry(stream.clone()).or_default().extend(stored.iter().cloned());
        Ok(stored)
    }

    fn streams(&self) -> Result<StreamList, StoreError> {
        Ok(StreamList { ids: self.streams.keys().cloned().collect(), damaged: Vec::new() })
    }

    fn read_from(&self, stream: &AccountId, tip: &mut Tip, until: Option<Version>) -> Result<Vec<Envelope>, StoreError> {
        read_admitted(self, stream, tip, until, |version| location(stream, version))
    }

    fn import(&mut self, batches: Vec<(AccountId, Version, Vec<Envelope>)>) -> Result<(), StoreError> {
        for (stream, expected, envelopes) in &batches {
            let actual = self.version_of(stream);
            if *expected != actual {
                return Err(StoreError::Conflict { stream: stream.clone(), expected: *expected, actual });
            }
            let mut previous = self.streams.get(stream).and_then(|e| e.last()).map_or(ChainHash::GENESIS, |e| e.hash);
            let mut version = *expected;
            for envelope in envelopes {
                version = version.next();
                if envelope.version != version || ChainHash::link(&previous, stream, envelope) != envelope.hash {
                    let reason = format!("version {}: does not continue the stream", envelope.version);
                    return Err(StoreError::Corrupt { key: location(stream, envelope.version), reason });
                }
                previous = envelope.hash;
            }
        }
        for (stream, _, envelopes) in batches {
            self.last_sequence = envelopes.iter().map(|e| e.sequence.0).fold(self.last_sequence, u64::max);
            self.streams.entry(stream).or_default().extend(envelopes);
        }
        Ok(())
    }

    fn snapshot(&self, stream: &AccountId) -> Result<Option<Snapshot>, StoreError> {
        let Some(snapshot) = self.snapshots.get(stream) else {
            return Ok(None);
        };
        let at = usize::try_from(snapshot.version.get()).ok().and_then(|v| v.checked_sub(1));
        let stored = at.and_then(|i| self.streams.get(stream)?.get(i));
        Ok(stored.filter(|e| e.hash == snapshot.head).map(|_| snapshot.clone()))
    }

    fn save_snapshot(&mut self, stream: &AccountId, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.snapshots.insert(stream.clone(), snapshot.clone());
        Ok(())
    }
}

/// Where a memory store says an event is kept, for errors that name it.
fn location(stream: &AccountId, version: Version) -> String {
    format!("memory/{stream}/{version}")
}
