//! The event store: the contract ([`EventStore`]), the envelope every stored
//! event travels in, and two implementations: [`MemoryStore`] (the reference)
//! and [`KvStore`] over any [`KeyValue`] map such as the browser's localStorage.

mod chain;
mod derived;
mod envelope;
mod index;
pub(crate) mod json;
mod keys;
mod kv;
mod kv_store;
mod legacy;
mod memory;
pub mod segment;
mod short_id;
mod snapshot;
mod tip;

use crate::domain::{AccountId, ExpectedVersion, Version};

pub use chain::ChainHash;
pub use derived::derived_event_id;
pub use envelope::{CommandId, Envelope, EventId, EventIdError, NewEvent, Sequence, Timestamp};
pub use index::{DayBook, IdIndex};
pub use keys::{KeyKind, Keys};
pub use kv::{units, KeyValue, KvError, MemoryKv};
pub use kv_store::{KvStore, Migration, Usage};
pub use legacy::decode_record;
#[cfg(any(test, feature = "testing"))]
pub use legacy::LEGACY_SCHEMA;
pub use memory::MemoryStore;
pub use snapshot::Snapshot;
pub(crate) use tip::read_admitted;
pub use tip::Tip;

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

    /// The events after `tip` (up to `until`, every one of which must be
    /// there, or else to the end), each admitted to `tip` in turn
    /// ([`Tip::admit`]): they must continue it, link to its hash and obey
    /// the account's rules. An event that does not is `Corrupt`, naming
    /// where it is kept; `tip` then stays where it was.
    fn read_from(&self, stream: &AccountId, tip: &mut Tip, until: Option<Version>) -> Result<Vec<Envelope>, StoreError>;

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

    /// The highest version a snapshot of the stream may cover, where the
    /// store limits it (a device's pending events may yet be decided again:
    /// only confirmed ones are snapshotted); `None`: any.
    fn snapshot_limit(&self, _stream: &AccountId) -> Result<Option<Version>, StoreError> {
        Ok(None)
    }

    /// Keeps `snapshot` as the stream's latest, replacing the one before.
    /// Stores without snapshots ignore it.
    fn save_snapshot(&mut self, _stream: &AccountId, _snapshot: &Snapshot) -> Result<(), StoreError> {
        Ok(())
    }

    /// How much of its room the store uses, where it has a limit to speak of.
    fn usage(&mut self) -> Result<Option<Usage>, StoreError> {
        Ok(None)
    }

    /// Another writer changed the storage under this store: what must be
    /// read again. A store that can't tell says everything.
    fn noticed(&mut self, _write: OutsideWrite<'_>) -> Stale {
        Stale { everything: true, list: true, stream: None }
    }

    /// This store becomes the one writer of its storage (in the browser:
    /// this tab becomes the writing tab). It forgets what it kept of the
    /// storage, which others wrote until now, and brings data of earlier
    /// formats up to date.
    fn become_writer(&mut self) -> Result<Migration, StoreError> {
        Ok(Migration::default())
    }
}

/// A write to the storage under a store that another writer made (in the
/// browser: another tab's, as its `storage` event reports it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutsideWrite<'a> {
    /// The key written; `None` when all of storage was cleared.
    pub key: Option<&'a str>,
    pub old: Option<&'a str>,
    pub new: Option<&'a str>,
}

/// What a ledger must read again after an [`OutsideWrite`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stale {
    /// Anything cached may be out of date.
    pub everything: bool,
    /// The list of streams may have changed.
    pub list: bool,
    /// This stream changed in a way its cached state can't follow.
    pub stream: Option<AccountId>,
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
