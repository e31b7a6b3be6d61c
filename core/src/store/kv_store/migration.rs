//! Migrations: format 1 records into segments, a segment at a time, and
//! format 2 segments into format 3, a stream at a time (see
//! `KvStore::migrate`).

use super::read::Ends;
use super::{corrupt, kv_error, KvStore, Migration};
use crate::domain::{AccountId, Version};
use crate::store::segment::{encode_segment_in, first_of, segment_of, Segment, FIRST_V2_FORMAT, SEGMENT_LEN};
use crate::store::{decode_record, EventStore, KeyKind, KeyValue, Snapshot, StoreError, SCHEMA_VERSION};

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

    /// Rewrites every stream still (partly) in format 1 or 2 in format 3
    /// (see [`KvStore::migrate_format_1`] and [`KvStore::rewrite_stream`]).
    /// An interruption loses nothing: the next run goes on where this one
    /// stopped. A stream that can't be read is left as it is and reported
    /// by [`EventStore::streams`].
    pub fn migrate(&mut self) -> Result<Migration, StoreError> {
        let mut report = self.migrate_format_1()?;
        for stream in self.scan()?.ids {
            let first = self.keys.segment(&stream, 0);
            let legacy = self.get(&first)?.is_some_and(|text| Segment::parse(&text).is_ok_and(|s| s.is_legacy()));
            if !legacy {
                continue;
            }
            match self.rewrite_stream(&stream) {
                Ok(events) => {
                    report.streams += 1;
                    report.events += events;
                }
                Err(StoreError::Corrupt { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(report)
    }

    /// Rewrites every stream still (partly) in format 1 in segments, then
    /// retires format 1's counter. Each stream goes a segment at a time —
    /// write the segment, then remove the records it holds — so the space
    /// needed stays small.
    fn migrate_format_1(&mut self) -> Result<Migration, StoreError> {
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
        let mut previous = self.ends_of_segments(stream, version)?;
        let mut moved = 0;
        loop {
            let room = SEGMENT_LEN - (version.get() % SEGMENT_LEN);
            let mut chunk = Vec::new();
            let mut next = version.next();
            while u64::try_from(chunk.len()).unwrap_or(u64::MAX) < room {
                let Some((mut envelope, ends)) = self.legacy(stream, next, &previous)? else {
                    break;
                };
                previous = ends;
                envelope.schema = SCHEMA_VERSION;
                chunk.push(envelope);
                next = next.next();
            }
            if chunk.is_empty() {
                return Ok(moved);
            }
            let count = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
            let mut open = self.open(stream, version)?;
            if open.legacy {
                self.rewrite_stream(stream)?;
                open = self.open(stream, version)?;
            }
            let written = self.write(stream, open, chunk)?;
            if written.last().map(|e| e.hash) != Some(previous.hash) {
                return Err(corrupt(&self.keys.segment(stream, segment_of(next)), "the migrated copy hashes differently"));
            }
            for n in 1..=count {
                self.kv.remove(&self.keys.legacy_event(stream, Version::new(version.get() + n))).map_err(kv_error)?;
            }
            version = Version::new(version.get() + count);
            moved += count;
        }
    }

    /// Rewrites the stream's format 2 segments in format 3: the same lines
    /// under a header with the end hash in hash v2, after checking every
    /// event against its hash v1 (and the stream's snapshot, if it is one of
    /// format 2 that agrees with its events, with its hash in v2, written
    /// first). How many
    /// events the rewritten segments hold.
    ///
    /// Each segment is one write of a text as long as the old one, so it
    /// needs no room. They are written last first: until segment 0 is, the
    /// stream is not done (`migrate` looks at segment 0 only), and a reader
    /// of a stream half done walks its format 2 segments with both chains.
    pub(super) fn rewrite_stream(&mut self, stream: &AccountId) -> Result<u64, StoreError> {
        let snapshot = self.get(&self.keys.snapshot(stream))?.as_deref().and_then(Snapshot::decode_legacy);
        let mut snapshot_head = None;
        let mut rewrites = Vec::new();
        let mut ends = Ends::GENESIS;
        let mut events = 0;
        for index in 0.. {
            let key = self.keys.segment(stream, index);
            let Some(text) = self.get(&key)? else {
                break;
            };
            let segment = Segment::parse(&text).map_err(|reason| corrupt(&key, reason))?;
            let (decoded, legacy) =
                segment.decode_legacy(stream, first_of(index), ends.hash, ends.legacy).map_err(|reason| corrupt(&key, reason))?;
            if let Some(snapshot) = &snapshot {
                let at = decoded.iter().zip(&legacy).find(|(e, l)| e.version == snapshot.version && **l == snapshot.head);
                if let Some((event, _)) = at {
                    snapshot_head = Some(Snapshot { head: event.hash, ..snapshot.clone() });
                }
            }
            if let (Some(last), Some(legacy)) = (decoded.last(), legacy.last()) {
                ends = Ends { hash: last.hash, legacy: *legacy };
            }
            if segment.is_legacy() {
                events += segment.len();
                rewrites.push((key, encode_segment_in(FIRST_V2_FORMAT, &ends.hash, segment.body)));
            }
            if segment.len() < SEGMENT_LEN {
                break;
            }
        }
        // The snapshot first: it agrees with the stream in either state.
        if let Some(snapshot) = snapshot_head {
            self.set(&self.keys.snapshot(stream), &snapshot.encode())?;
        }
        for (key, text) in rewrites.iter().rev() {
            self.set(key, text)?;
        }
        Ok(events)
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
