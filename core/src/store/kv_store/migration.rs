//! Format 1 to format 2: finding format 1 records and rewriting them, a
//! segment at a time (see `KvStore::migrate`).

use super::{corrupt, kv_error, KvStore, Migration};
use crate::domain::{AccountId, Version};
use crate::store::segment::{segment_of, Segment, SEGMENT_LEN};
use crate::store::{decode_record, ChainHash, EventStore, KeyKind, KeyValue, StoreError, SCHEMA_VERSION};

impl<K: KeyValue> KvStore<K> {
    /// Whether any format 1 record of `stream` is still stored near `at`.
    pub(super) fn has_legacy(&self, stream: &AccountId, at: Version) -> Result<bool, StoreError> {
        for version in [Version::new(1), at, at.next()] {
            if version > Version::EMPTY && self.get(&self.keys.legacy_event(stream, version))?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Rewrites every stream still (partly) in format 1 in format 2, then
    /// retires format 1's counter. Each stream goes a segment at a time —
    /// write the segment, then remove the records it holds — so the space
    /// needed stays small and an interruption loses nothing: the next run
    /// goes on where this one stopped. A stream that can't be read is left
    /// as it is and reported by [`EventStore::streams`].
    pub fn migrate(&mut self) -> Result<Migration, StoreError> {
        // Format 1 always wrote its counter before its first record: without
        // it there is nothing to migrate (and no need to scan every key).
        if self.get(&self.keys.legacy_sequence())?.is_none() {
            return Ok(Migration::default());
        }
        let mut legacy: std::collections::BTreeSet<AccountId> = Default::default();
        let mut counter = false;
        for key in self.kv.keys().map_err(kv_error)? {
            match self.keys.classify(&key) {
                KeyKind::LegacyEvent { stream, .. } => {
                    legacy.insert(stream);
                }
                KeyKind::LegacySequence => counter = true,
                KeyKind::Segment { .. } | KeyKind::Snapshot { .. } | KeyKind::Sequence | KeyKind::Unknown | KeyKind::NotOurs => {}
            }
        }
        let mut report = Migration::default();
        let mut left = false;
        for stream in &legacy {
            match self.migrate_stream(stream) {
                Ok(0) => left = true,
                Ok(events) => {
                    report.streams += 1;
                    report.events += events;
                }
                Err(StoreError::Corrupt { .. }) => left = true,
                Err(error) => return Err(error),
            }
        }
        if counter {
            let (_, last) = self.last_sequence()?;
            self.set(&self.keys.sequence(), &last.to_string())?;
            if !left {
                self.kv.remove(&self.keys.legacy_sequence()).map_err(kv_error)?;
            }
        }
        Ok(report)
    }

    /// Moves the format 1 records of `stream` into segments; how many.
    pub(super) fn migrate_stream(&mut self, stream: &AccountId) -> Result<u64, StoreError> {
        let mut version = self.length_in_segments(stream)?;
        // Records already copied by an interrupted run: removed once they
        // are known to be the copies.
        let mut stale = version;
        while stale > Version::EMPTY {
            let key = self.keys.legacy_event(stream, stale);
            if self.get(&key)?.is_some() {
                let copy = self.read_page(stream, Version::new(stale.get() - 1), 1)?;
                let record = decode_record(&key, stale, &self.get(&key)?.unwrap_or_default())?;
                if copy.first().map(|c| (&c.event_id, &c.event)) != Some((&record.event_id, &record.event)) {
                    return Err(corrupt(&key, "this format 1 record differs from its migrated copy"));
                }
                self.kv.remove(&key).map_err(kv_error)?;
            }
            stale = Version::new(stale.get() - 1);
        }
        let mut previous = match version.get() {
            0 => ChainHash::GENESIS,
            _ => self.read_page(stream, Version::new(version.get() - 1), 1)?.first().map_or(ChainHash::GENESIS, |e| e.hash),
        };
        let mut moved = 0;
        loop {
            let room = SEGMENT_LEN - (version.get() % SEGMENT_LEN);
            let mut chunk = Vec::new();
            let mut next = version.next();
            while u64::try_from(chunk.len()).unwrap_or(u64::MAX) < room {
                let Some(mut envelope) = self.legacy(stream, next, &previous)? else {
                    break;
                };
                previous = envelope.hash;
                envelope.schema = SCHEMA_VERSION;
                chunk.push(envelope);
                next = next.next();
            }
            if chunk.is_empty() {
                return Ok(moved);
            }
            let count = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
            let open = self.open(stream, version)?;
            let written = self.write(stream, open, chunk)?;
            if written.last().map(|e| e.hash) != Some(previous) {
                return Err(corrupt(&self.keys.segment(stream, segment_of(next)), "the migrated copy hashes differently"));
            }
            for n in 1..=count {
                self.kv.remove(&self.keys.legacy_event(stream, Version::new(version.get() + n))).map_err(kv_error)?;
            }
            version = Version::new(version.get() + count);
            moved += count;
        }
    }

    /// How many events the stream's segments hold (format 1 records aside).
    pub(super) fn length_in_segments(&self, stream: &AccountId) -> Result<Version, StoreError> {
        let mut index = 0;
        loop {
            let key = self.keys.segment(stream, index);
            let Some(text) = self.get(&key)? else {
                return Ok(Version::new(index * SEGMENT_LEN));
            };
            let len = Segment::parse(&text).map_err(|reason| corrupt(&key, reason))?.len();
            if len < SEGMENT_LEN {
                return Ok(Version::new(index * SEGMENT_LEN + len));
            }
            index += 1;
        }
    }
}
