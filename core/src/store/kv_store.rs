//! An [`EventStore`] over any [`KeyValue`] map, with the key layout of
//! keys.rs and the records of codec.rs. In the browser the map is
//! localStorage; everything but get/set/remove/keys lives here, so all of it
//! is tested natively.

use super::{
    decode_record, encode_record, ChainHash, Damage, Envelope, EventStore, KeyKind, KeyValue, Keys, KvError,
    NewEvent, Sequence, StoreError, StreamList, SCHEMA_VERSION,
};
use crate::domain::{AccountId, ExpectedVersion, Version};

/// The event store over a key-value map.
///
/// Appending one event reads four keys (decoding the last record, for the
/// hash chain) and writes two (the sequence counter and the record): O(1),
/// whatever the length of the stream.
#[derive(Debug)]
pub struct KvStore<K> {
    kv: K,
    keys: Keys,
    /// What the map held when a write last failed for want of room: the
    /// real quota, where the map does not say.
    full_at: Option<usize>,
}

/// How much of its quota the map uses, in UTF-16 code units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub used_units: usize,
    pub quota_units: usize,
}

fn kv_error(error: KvError) -> StoreError {
    match error {
        KvError::QuotaExceeded => StoreError::Full,
        KvError::Unavailable(reason) => StoreError::Unavailable { reason },
    }
}

impl<K: KeyValue> KvStore<K> {
    /// A store whose keys all start with `{namespace}/v1/`.
    pub fn new(kv: K, namespace: &str) -> KvStore<K> {
        KvStore { kv, keys: Keys::new(namespace), full_at: None }
    }

    pub fn kv(&self) -> &K {
        &self.kv
    }

    pub fn kv_mut(&mut self) -> &mut K {
        &mut self.kv
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// What the map uses of its quota. Without a known quota, the 5 MiB that
    /// browsers give localStorage (5,242,880 units), or less once a write
    /// has failed for want of room.
    pub fn usage(&mut self) -> Result<Usage, StoreError> {
        const BROWSER_QUOTA: usize = 5 * 1024 * 1024;
        let used_units = self.kv.used_units().map_err(kv_error)?;
        let quota = self.kv.quota_units().unwrap_or(BROWSER_QUOTA);
        let quota_units = self.full_at.map_or(quota, |full| full.min(quota));
        Ok(Usage { used_units, quota_units })
    }

    fn note_full(&mut self, error: &KvError) {
        if *error == KvError::QuotaExceeded {
            self.kv.recount();
            self.full_at = self.kv.used_units().ok();
        }
    }

    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.kv.get(key).map_err(kv_error)
    }

    fn exists(&self, stream: &AccountId, version: Version) -> Result<bool, StoreError> {
        if version == Version::EMPTY {
            return Ok(true);
        }
        Ok(self.get(&self.keys.event(stream, version))?.is_some())
    }

    /// The hash of the record at `version` (genesis for 0), or `None` when
    /// there is no such record.
    fn head_hash(&self, stream: &AccountId, version: Version) -> Result<Option<ChainHash>, StoreError> {
        if version == Version::EMPTY {
            return Ok(Some(ChainHash::GENESIS));
        }
        let key = self.keys.event(stream, version);
        match self.get(&key)? {
            Some(text) => Ok(Some(decode_record(&key, version, &text)?.hash)),
            None => Ok(None),
        }
    }

    /// How many contiguous events the stream holds, counted from 1. Only for
    /// the rare path that reports a conflict.
    fn count(&self, stream: &AccountId) -> Result<Version, StoreError> {
        let mut version = Version::EMPTY;
        while self.exists(stream, version.next())? {
            version = version.next();
        }
        Ok(version)
    }

    fn conflict(&self, stream: &AccountId, expected: Version) -> StoreError {
        match self.count(stream) {
            Ok(actual) => StoreError::Conflict { stream: stream.clone(), expected, actual },
            Err(error) => error,
        }
    }

    fn read_sequence(&self) -> Result<(Option<String>, Sequence), StoreError> {
        let key = self.keys.sequence();
        let Some(text) = self.get(&key)? else {
            return Ok((None, Sequence(0)));
        };
        let canonical = text == "0" || (!text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit()));
        match text.parse::<u64>() {
            Ok(value) if canonical => Ok((Some(text), Sequence(value))),
            _ => Err(StoreError::Corrupt { key, reason: "the sequence counter is not a whole number".into() }),
        }
    }

    /// Undoes the writes of a failed append: removes the records written and
    /// puts the counter back. Removing never needs quota; restoring the counter
    /// writes a value no longer than the one it replaces.
    fn roll_back(&mut self, written: &[String], old_sequence: Option<&str>) {
        for key in written {
            // A failure here can only be storage going away entirely; the
            // record is then unreachable anyway, and the error that got us
            // here is the one to report.
            let _ = self.kv.remove(key);
        }
        let key = self.keys.sequence();
        let _ = match old_sequence {
            Some(text) => self.kv.set(&key, text),
            None => self.kv.remove(&key),
        };
    }
}

impl<K: KeyValue> EventStore for KvStore<K> {
    fn read(&self, stream: &AccountId, after: Version) -> Result<Vec<Envelope>, StoreError> {
        self.read_page(stream, after, usize::MAX)
    }

    fn read_page(&self, stream: &AccountId, after: Version, max: usize) -> Result<Vec<Envelope>, StoreError> {
        if !self.exists(stream, after)? {
            return Err(self.conflict(stream, after));
        }
        let mut envelopes = Vec::new();
        let mut version = after.next();
        while envelopes.len() < max {
            let key = self.keys.event(stream, version);
            let Some(text) = self.get(&key)? else {
                break;
            };
            envelopes.push(decode_record(&key, version, &text)?);
            version = version.next();
        }
        Ok(envelopes)
    }

    fn append(
        &mut self,
        stream: &AccountId,
        ExpectedVersion(expected): ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Envelope>, StoreError> {
        // The stream must end exactly at `expected`; its last record gives
        // the hash the new ones link to.
        let previous = match self.head_hash(stream, expected)? {
            Some(hash) if !self.exists(stream, expected.next())? => hash,
            _ => return Err(self.conflict(stream, expected)),
        };
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // Never write into a gap: a record already stored past the new ones
        // would silently join the stream.
        let mut version = expected.next();
        for _ in 0..events.len() {
            version = version.next();
            let key = self.keys.event(stream, version);
            if self.get(&key)?.is_some() {
                return Err(StoreError::Corrupt { key, reason: "an event is stored past a gap in the stream".into() });
            }
        }

        let (old_text, Sequence(first)) = self.read_sequence()?;
        let count = u64::try_from(events.len()).unwrap_or(u64::MAX);
        let last = first.checked_add(count).ok_or_else(|| StoreError::Corrupt {
            key: self.keys.sequence(),
            reason: "the sequence counter is exhausted".into(),
        })?;
        // Reserve the sequence numbers first: a crash after this point leaves
        // a gap in the global order, never a duplicate.
        if let Err(error) = self.kv.set(&self.keys.sequence(), &last.to_string()) {
            self.note_full(&error);
            return Err(kv_error(error));
        }

        let mut envelopes = Vec::with_capacity(events.len());
        let mut written = Vec::with_capacity(events.len());
        let mut version = expected;
        let mut sequence = first;
        let mut previous = previous;
        for NewEvent { event_id, recorded_at, command_id, event } in events {
            version = version.next();
            sequence += 1;
            let mut envelope = Envelope {
                version,
                sequence: Sequence(sequence),
                recorded_at,
                event_id,
                command_id,
                schema: SCHEMA_VERSION,
                event,
                hash: ChainHash::GENESIS,
            };
            envelope.hash = ChainHash::link(&previous, stream, &envelope);
            previous = envelope.hash;
            let key = self.keys.event(stream, version);
            if let Err(error) = self.kv.set(&key, &encode_record(&envelope)) {
                self.roll_back(&written, old_text.as_deref());
                self.note_full(&error);
                return Err(kv_error(error));
            }
            written.push(key);
            envelopes.push(envelope);
        }
        Ok(envelopes)
    }

    fn streams(&self) -> Result<StreamList, StoreError> {
        let mut versions: std::collections::BTreeMap<AccountId, Vec<Version>> = Default::default();
        let mut damaged = Vec::new();
        for key in self.kv.keys().map_err(kv_error)? {
            match self.keys.classify(&key) {
                KeyKind::Event { stream, version } => versions.entry(stream).or_default().push(version),
                KeyKind::Sequence | KeyKind::NotOurs => {}
                KeyKind::Unknown => damaged.push(Damage { key, reason: "not a key this app writes".into() }),
            }
        }
        let mut ids = Vec::with_capacity(versions.len());
        for (stream, mut found) in versions {
            found.sort_unstable();
            // Versions must run 1, 2, 3, …; anything after a gap is damage.
            let mut expected = Version::EMPTY.next();
            for version in found {
                if version == expected {
                    expected = expected.next();
                } else {
                    damaged.push(Damage {
                        key: self.keys.event(&stream, version),
                        reason: format!("the stream has no version {expected} before this one"),
                    });
                }
            }
            if expected > Version::EMPTY.next() {
                ids.push(stream);
            }
        }
        damaged.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(StreamList { ids, damaged })
    }

    fn location(&self, stream: &AccountId, version: Version) -> String {
        self.keys.event(stream, version)
    }
}
