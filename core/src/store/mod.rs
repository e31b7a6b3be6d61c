//! The event store: the contract ([`EventStore`]), the envelope every stored
//! event travels in, and two implementations: [`MemoryStore`] (the reference)
//! and [`KvStore`] over any [`KeyValue`] map such as the browser's localStorage.

mod chain;
mod envelope;
pub(crate) mod json;
mod keys;
mod kv;
mod kv_store;
mod legacy;
mod memory;
pub mod segment;
mod short_id;
mod snapshot;

use crate::domain::{AccountId, ExpectedVersion, Version};

pub use chain::{write_event_json, write_json_string, ChainHash};
pub use envelope::{CommandId, Envelope, EventId, EventIdError, NewEvent, Sequence, Timestamp};
pub use keys::{KeyKind, Keys};
pub use kv::{units, KeyValue, KvError, MemoryKv};
pub use kv_store::{KvStore, Migration, Usage};
pub use legacy::decode_record;
#[cfg(any(test, feature = "testing"))]
pub use legacy::LEGACY_SCHEMA;
pub use memory::MemoryStore;
pub use snapshot::Snapshot;

/// The schema every event is written with today (format 2, segment.rs).
pub const SCHEMA_VERSION: u32 = segment::FORMAT;

/// Append-only storage of event streams, one stream per account.
pub trait EventStore {
    /// The events of `stream` after version `after`, oldest first: all of
    /// them for `Version::EMPTY`, and none for an unknown stream.
    ///
    /// Fails with [`StoreError::Conflict`] when the stream is shorter than
    /// `after` (it was removed behind the caller's back), and with
    /// [`StoreError::Corrupt`] when a stored event can't be read.
    fn read(&self, stream: &AccountId, after: Version) -> Result<Vec<Envelope>, StoreError>;

    /// Like [`EventStore::read`], but at most `max` events: one page of a
    /// history, without reading the rest of the stream.
    fn read_page(&self, stream: &AccountId, after: Version, max: usize) -> Result<Vec<Envelope>, StoreError> {
        let mut events = self.read(stream, after)?;
        events.truncate(max);
        Ok(events)
    }

    /// Appends `events` to `stream` if it is exactly at `expected`: all of them
    /// or none. Assigns versions, global sequence numbers and chain hashes
    /// and returns the stored envelopes.
    fn append(
        &mut self,
        stream: &AccountId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Envelope>, StoreError>;

    /// Every stream that holds events, sorted, and whatever stored data under
    /// the store's keys could not be understood (it is reported, never touched).
    fn streams(&self) -> Result<StreamList, StoreError>;

    /// Where the event at `version` of `stream` is kept (a storage key), for
    /// errors that must name it.
    fn location(&self, stream: &AccountId, version: Version) -> String;

    /// The stream's latest snapshot, if the store keeps one and it agrees
    /// with the stored events it covers (its head is the chain hash at its
    /// version). A snapshot that disagrees or can't be read is `None`: load
    /// from the events. Damage to the events it covers is an error, never
    /// hidden behind it.
    fn snapshot(&self, _stream: &AccountId) -> Result<Option<Snapshot>, StoreError> {
        Ok(None)
    }

    /// The storage key of the stream's snapshot, where the store keeps
    /// snapshots: for reports that must name it.
    fn snapshot_key(&self, _stream: &AccountId) -> Option<String> {
        None
    }

    /// Appends events exported elsewhere (versions, sequences, times, ids
    /// and hashes kept) to several streams: all or nothing. Each batch must
    /// continue its stream exactly: at the expected version, and with hashes
    /// that link to the stream's last one.
    fn import(&mut self, _batches: Vec<(AccountId, Version, Vec<Envelope>)>) -> Result<(), StoreError> {
        Err(StoreError::Unavailable { reason: "this store cannot import".into() })
    }

    /// Keeps `snapshot` as the stream's latest, replacing the one before.
    /// Stores without snapshots ignore it.
    fn save_snapshot(&mut self, _stream: &AccountId, _snapshot: &Snapshot) -> Result<(), StoreError> {
        Ok(())
    }
}

/// What [`EventStore::streams`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamList {
    pub ids: Vec<AccountId>,
    pub damaged: Vec<Damage>,
}

/// A stored value the store could not understand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    pub key: String,
    pub reason: String,
}

crate::coded::coded_error! {
    /// Why the store could not read or write.
    pub enum StoreError {
        #[error("conflict on stream {stream}: expected version {expected}, but it is at {actual}")]
        Conflict { stream: AccountId, expected: Version, actual: Version } => "Conflict",
        #[error("stored data under key {key:?} is damaged ({reason}); it was left as it is")]
        Corrupt { key: String, reason: String } => "StorageCorrupt",
        #[error("storage is full: nothing of this change was stored")]
        Full => "StorageFull",
        #[error("storage is unavailable: {reason}")]
        Unavailable { reason: String } => "StorageUnavailable",
    }
}
