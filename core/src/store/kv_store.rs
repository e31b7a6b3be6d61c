//! An [`EventStore`] over any [`KeyValue`] map, in format 2 (segment.rs)
//! with the key layout of keys.rs. In the browser the map is localStorage;
//! everything but get/set/remove/keys lives here, so all of it is tested
//! natively. Format 1 records (legacy.rs) are read where they are still
//! stored, and rewritten in format 2 by [`KvStore::migrate`] or by the first
//! append to their stream.

use super::segment::{encode_line, encode_segment, first_of, segment_of, Segment, SEGMENT_LEN};
use super::{
    decode_record, ChainHash, Damage, Envelope, EventStore, KeyKind, KeyValue, Keys, KvError, NewEvent, Sequence,
    Snapshot, StoreError, StreamList, Timestamp, SCHEMA_VERSION,
};
use crate::domain::{AccountId, ExpectedVersion, Version};
use std::cell::RefCell;
use std::rc::Rc;

/// The event store over a key-value map.
///
/// Appending one event reads the stream's open segment and writes it back
/// with one more line (and, once every 64 events, the sequence counter): at
/// most 64 lines, whatever the length of the stream.
#[derive(Debug)]
pub struct KvStore<K> {
    kv: K,
    keys: Keys,
    /// What the map held when a write last failed for want of room: the
    /// real quota, where the map does not say.
    full_at: Option<usize>,
    /// Segments decoded lately, with the text and start hash they were
    /// decoded from: reading one again costs a comparison, not a decode.
    decoded: RefCell<Vec<Decoded>>,
    /// The last sequence number used and the last one reserved in the
    /// counter by this store.
    reserved: std::cell::Cell<Option<(u64, u64)>>,
}

/// How many sequence numbers an append reserves beyond its own needs.
const SEQUENCE_BLOCK: u64 = 64;

#[derive(Debug)]
struct Decoded {
    key: String,
    text: String,
    start: ChainHash,
    events: Rc<Vec<Envelope>>,
}

/// How many decoded segments a store keeps.
const DECODED_KEPT: usize = 16;

/// How much of its quota the map uses, in UTF-16 code units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub used_units: usize,
    pub quota_units: usize,
}

/// What [`KvStore::migrate`] rewrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Migration {
    pub streams: u64,
    pub events: u64,
}

fn kv_error(error: KvError) -> StoreError {
    match error {
        KvError::QuotaExceeded => StoreError::Full,
        KvError::Unavailable(reason) => StoreError::Unavailable { reason },
    }
}

fn corrupt(key: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt { key: key.to_owned(), reason: reason.into() }
}

/// The segment a stream is appended to: its index, stored text (if any) and
/// what the next line needs.
struct Open {
    index: u64,
    old_text: Option<String>,
    body: String,
    /// Events already in it.
    len: u64,
    end: ChainHash,
    last: Option<(Timestamp, Sequence)>,
}

impl<K: KeyValue> KvStore<K> {
    /// A store whose keys start with `{namespace}/v2/` (and `/v1/` for
    /// format 1 data it finds).
    pub fn new(kv: K, namespace: &str) -> KvStore<K> {
        KvStore { kv, keys: Keys::new(namespace), full_at: None, decoded: RefCell::new(Vec::new()), reserved: Default::default() }
    }

    /// Forgets the block of sequence numbers this store reserved: for when
    /// storage was cleared behind its back.
    pub fn forget_reservation(&mut self) {
        self.reserved.set(None);
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

    fn set(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.kv.set(key, value).map_err(|error| {
            self.note_full(&error);
            kv_error(error)
        })
    }

    /// The end hash of segment `index` (the hash a segment after it starts
    /// from), checking that it is full.
    fn end_of_full(&self, stream: &AccountId, index: u64) -> Result<ChainHash, StoreError> {
        let key = self.keys.segment(stream, index);
        let text = self.get(&key)?.ok_or_else(|| corrupt(&key, "a segment before this one is missing"))?;
        let segment = Segment::parse(&text).map_err(|reason| corrupt(&key, reason))?;
        if segment.len() != SEGMENT_LEN {
            return Err(corrupt(&key, format!("the segment holds {} events, not {SEGMENT_LEN}", segment.len())));
        }
        Ok(segment.end)
    }

    /// The hash segment `index` starts from.
    fn start_of(&self, stream: &AccountId, index: u64) -> Result<ChainHash, StoreError> {
        match index.checked_sub(1) {
            None => Ok(ChainHash::GENESIS),
            Some(before) => self.end_of_full(stream, before),
        }
    }

    /// Every event of segment `index` (`None` if it is not stored), hashes
    /// recomputed from `start` and checked against the stored end.
    fn decode_segment(
        &self,
        stream: &AccountId,
        index: u64,
        start: ChainHash,
    ) -> Result<Option<Rc<Vec<Envelope>>>, StoreError> {
        let key = self.keys.segment(stream, index);
        let Some(text) = self.get(&key)? else {
            return Ok(None);
        };
        self.decode_text(stream, index, start, key, text).map(Some)
    }

    fn decode_text(
        &self,
        stream: &AccountId,
        index: u64,
        start: ChainHash,
        key: String,
        text: String,
    ) -> Result<Rc<Vec<Envelope>>, StoreError> {
        if let Ok(decoded) = self.decoded.try_borrow() {
            if let Some(hit) = decoded.iter().find(|d| d.key == key && d.start == start && d.text == text) {
                return Ok(hit.events.clone());
            }
        }
        let segment = Segment::parse(&text).map_err(|reason| corrupt(&key, reason))?;
        if segment.len() > SEGMENT_LEN || segment.is_empty() {
            return Err(corrupt(&key, format!("a segment holds 1 to {SEGMENT_LEN} events, not {}", segment.len())));
        }
        let events = Rc::new(segment.decode(stream, first_of(index), start).map_err(|reason| corrupt(&key, reason))?);
        self.remember(Decoded { key, text, start, events: events.clone() });
        Ok(events)
    }

    fn remember(&self, entry: Decoded) {
        if let Ok(mut decoded) = self.decoded.try_borrow_mut() {
            decoded.retain(|d| d.key != entry.key);
            if decoded.len() >= DECODED_KEPT {
                decoded.remove(0);
            }
            decoded.push(entry);
        }
    }

    /// Takes what was remembered of segment `key` decoded from `text` out of
    /// the store's memory.
    fn forget_decoded(&self, key: &str, text: &str) -> Option<(ChainHash, Rc<Vec<Envelope>>)> {
        let mut decoded = self.decoded.try_borrow_mut().ok()?;
        let at = decoded.iter().position(|d| d.key == key && d.text == text)?;
        let entry = decoded.remove(at);
        Some((entry.start, entry.events))
    }

    /// What was remembered of segment `key` decoded from `text`, if anything.
    fn remembered(&self, key: &str, text: &str) -> Option<(ChainHash, Rc<Vec<Envelope>>)> {
        let decoded = self.decoded.try_borrow().ok()?;
        decoded.iter().find(|d| d.key == key && d.text == text).map(|d| (d.start, d.events.clone()))
    }

    /// The format 1 record of `version`, upcast, its stored hash checked
    /// against `previous`.
    fn legacy(&self, stream: &AccountId, version: Version, previous: &ChainHash) -> Result<Option<Envelope>, StoreError> {
        let key = self.keys.legacy_event(stream, version);
        let Some(text) = self.get(&key)? else {
            return Ok(None);
        };
        let envelope = decode_record(&key, version, &text)?;
        if ChainHash::link(previous, stream, &envelope) != envelope.hash {
            return Err(corrupt(&key, format!("version {version}: the hash chain is broken, the stored event was changed")));
        }
        Ok(Some(envelope))
    }

    /// The hash of the format 1 record at `version` as stored (checked when
    /// that record itself is read).
    fn legacy_hash(&self, stream: &AccountId, version: Version) -> Result<Option<ChainHash>, StoreError> {
        let key = self.keys.legacy_event(stream, version);
        match self.get(&key)? {
            Some(text) => Ok(Some(decode_record(&key, version, &text)?.hash)),
            None => Ok(None),
        }
    }

    /// How many events the stream holds, by walking its keys: for the rare
    /// paths (a conflict, a migration).
    fn length(&self, stream: &AccountId) -> Result<Version, StoreError> {
        let mut index = 0;
        let mut version = Version::EMPTY;
        while let Some(text) = self.get(&self.keys.segment(stream, index))? {
            let len = Segment::parse(&text).map_or(0, |s| s.len());
            version = Version::new(first_of(index).get() - 1 + len);
            if len < SEGMENT_LEN {
                return Ok(version);
            }
            index += 1;
        }
        while self.get(&self.keys.legacy_event(stream, version.next()))?.is_some() {
            version = version.next();
        }
        Ok(version)
    }

    fn conflict(&self, stream: &AccountId, expected: Version) -> StoreError {
        match self.length(stream) {
            Ok(actual) => StoreError::Conflict { stream: stream.clone(), expected, actual },
            Err(error) => error,
        }
    }

    /// Whether any format 1 record of `stream` is still stored near `at`.
    fn has_legacy(&self, stream: &AccountId, at: Version) -> Result<bool, StoreError> {
        for version in [Version::new(1), at, at.next()] {
            if version > Version::EMPTY && self.get(&self.keys.legacy_event(stream, version))?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The segment that version `expected + 1` goes into, if the stream
    /// (in format 2) ends exactly at `expected`.
    fn open(&self, stream: &AccountId, expected: Version) -> Result<Open, StoreError> {
        let next = expected.next();
        let index = segment_of(next);
        let key = self.keys.segment(stream, index);
        // Never write into a gap: a segment already stored past this one
        // would silently join the stream.
        let after = self.keys.segment(stream, index + 1);
        if self.get(&after)?.is_some() {
            return Err(match self.length(stream)? {
                actual if actual != expected => StoreError::Conflict { stream: stream.clone(), expected, actual },
                _ => corrupt(&after, "a segment is stored past a gap in the stream"),
            });
        }
        let in_segment = next.get() - first_of(index).get();
        let Some(text) = self.get(&key)? else {
            if in_segment != 0 {
                return Err(self.conflict(stream, expected));
            }
            let end = self.start_of(stream, index)?;
            return Ok(Open { index, old_text: None, body: String::new(), len: 0, end, last: None });
        };
        let segment = Segment::parse(&text).map_err(|reason| corrupt(&key, reason))?;
        if segment.len() != in_segment {
            return Err(self.conflict(stream, expected));
        }
        let last = last_position(segment.body).map_err(|reason| corrupt(&key, reason))?;
        Ok(Open { index, body: segment.body.to_owned(), len: segment.len(), end: segment.end, last, old_text: Some(text) })
    }

    /// Writes `envelopes` (numbered from `expected + 1`, sequenced) after the
    /// stream's last event, computing their hashes: all or nothing.
    fn write(&mut self, stream: &AccountId, mut open: Open, mut envelopes: Vec<Envelope>) -> Result<Vec<Envelope>, StoreError> {
        let mut texts: Vec<(String, Option<String>, String)> = Vec::new();
        let mut hash = open.end;
        for envelope in &mut envelopes {
            if open.len == SEGMENT_LEN {
                let done = std::mem::take(&mut open.body);
                texts.push((self.keys.segment(stream, open.index), open.old_text.take(), encode_segment(&hash, &done)));
                open = Open { index: open.index + 1, old_text: None, body: String::new(), len: 0, end: hash, last: None };
            }
            envelope.hash = ChainHash::link(&hash, stream, envelope);
            hash = envelope.hash;
            encode_line(&mut open.body, envelope, open.last);
            open.last = Some((envelope.recorded_at, envelope.sequence));
            open.len += 1;
        }
        let (last_index, last_start) = (open.index, open.end);
        texts.push((self.keys.segment(stream, open.index), open.old_text, encode_segment(&hash, &open.body)));
        let mut written: Vec<(&str, Option<&str>)> = Vec::with_capacity(texts.len());
        for (key, old, new) in &texts {
            if let Err(error) = self.set(key, new) {
                for (key, old) in written {
                    // Restoring writes a value no longer than the one it
                    // replaces; removing never needs room. A failure here means
                    // storage went away; the error that got us here is the one
                    // to report.
                    let _ = match old {
                        Some(old) => self.kv.set(key, old),
                        None => self.kv.remove(key),
                    };
                }
                return Err(error);
            }
            written.push((key, old.as_deref()));
        }
        // The open segment's events, if its old text was decoded lately, are
        // remembered with the new lines: the next read needs no decode.
        if let Some((key, old, text)) = texts.pop() {
            let known = match old {
                Some(old) => self.forget_decoded(&key, &old),
                None => Some((last_start, Rc::new(Vec::new()))),
            };
            if let Some((start, mut events)) = known {
                let new = envelopes.iter().filter(|e| segment_of(e.version) == last_index).cloned();
                Rc::make_mut(&mut events).extend(new);
                self.remember(Decoded { key, text, start, events });
            }
        }
        Ok(envelopes)
    }

    fn read_counter(&self, key: &str) -> Result<(Option<String>, u64), StoreError> {
        let Some(text) = self.get(key)? else {
            return Ok((None, 0));
        };
        let canonical = text == "0" || (!text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit()));
        match text.parse::<u64>() {
            Ok(value) if canonical => Ok((Some(text), value)),
            _ => Err(corrupt(key, "the sequence counter is not a whole number")),
        }
    }

    /// The last sequence number handed out (format 1's counter counts until
    /// migration removes it), and the stored counter text to restore.
    fn last_sequence(&self) -> Result<(Option<String>, u64), StoreError> {
        let (text, current) = self.read_counter(&self.keys.sequence())?;
        let (_, legacy) = self.read_counter(&self.keys.legacy_sequence())?;
        Ok((text, current.max(legacy)))
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
                KeyKind::Segment { .. }
                | KeyKind::Snapshot { .. }
                | KeyKind::Sequence
                | KeyKind::Unknown
                | KeyKind::NotOurs => {}
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
    fn migrate_stream(&mut self, stream: &AccountId) -> Result<u64, StoreError> {
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

    /// How many events segment `index` holds, `None` if it is not stored.
    fn segment_len(&self, stream: &AccountId, index: u64) -> Result<Option<u64>, StoreError> {
        let key = self.keys.segment(stream, index);
        match self.get(&key)? {
            Some(text) => Segment::parse(&text).map(|s| Some(s.len())).map_err(|reason| corrupt(&key, reason)),
            None => Ok(None),
        }
    }

    /// How many events the stream's segments hold (format 1 records aside).
    fn length_in_segments(&self, stream: &AccountId) -> Result<Version, StoreError> {
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

/// The time and sequence of a segment's last line, summing the deltas
/// without decoding the events.
fn last_position(body: &str) -> Result<Option<(Timestamp, Sequence)>, String> {
    let mut position: Option<(i128, i128)> = None;
    for line in body.split_terminator('\n') {
        let mut fields = line.split(',').skip(1);
        let mut number = || fields.next().and_then(|f| f.parse::<i128>().ok()).ok_or("a line's time or sequence is unreadable");
        let (dt, ds) = (number()?, number()?);
        position = Some(position.map_or((dt, ds), |(t, s)| (t + dt, s + ds)));
    }
    position
        .map(|(t, s)| match (u64::try_from(t), u64::try_from(s)) {
            (Ok(t), Ok(s)) => Ok((Timestamp(t), Sequence(s))),
            _ => Err("a line's time or sequence is out of range".to_owned()),
        })
        .transpose()
}

impl<K: KeyValue> EventStore for KvStore<K> {
    fn read(&self, stream: &AccountId, after: Version) -> Result<Vec<Envelope>, StoreError> {
        self.read_page(stream, after, usize::MAX)
    }

    fn read_page(&self, stream: &AccountId, after: Version, max: usize) -> Result<Vec<Envelope>, StoreError> {
        let mut out = Vec::new();
        let shorter = || -> StoreError { self.conflict(stream, after) };
        // The segments, from the one holding `after + 1`.
        let mut index = segment_of(after.next());
        let mut start: Option<ChainHash> = None;
        let mut reached = None;
        while out.len() < max {
            let key = self.keys.segment(stream, index);
            let Some(text) = self.get(&key)? else {
                break;
            };
            // Nothing after `after` in the stream's last segment (a cache
            // catching up, usually): no need to decode it.
            if start.is_none() {
                let segment = Segment::parse(&text).map_err(|reason| corrupt(&key, reason))?;
                let last = first_of(index).get() + segment.len() - 1;
                if segment.len() < SEGMENT_LEN && last <= after.get() && self.remembered(&key, &text).is_none() {
                    if last < after.get() {
                        return Err(shorter());
                    }
                    return Ok(out);
                }
            }
            let from = match start {
                Some(hash) => hash,
                None => self.start_of(stream, index)?,
            };
            let events = self.decode_text(stream, index, from, key, text)?;
            let full = u64::try_from(events.len()).unwrap_or(0) == SEGMENT_LEN;
            if let Some(last) = events.last() {
                reached = Some(last.version);
                start = Some(last.hash);
            }
            out.extend(events.iter().filter(|e| e.version > after).take(max - out.len()).cloned());
            if !full {
                if reached.is_some_and(|r| r < after) {
                    return Err(shorter());
                }
                return Ok(out);
            }
            index += 1;
        }
        if out.len() >= max {
            return Ok(out);
        }
        // Format 1 records after the segments, or instead of them (a stream
        // not migrated yet): they follow the hash of version `from`.
        let (mut version, mut previous) = match (reached, start) {
            (Some(reached), Some(hash)) => (reached, hash),
            _ if after == Version::EMPTY => (after, ChainHash::GENESIS),
            _ if after.get() % SEGMENT_LEN == 0 && self.segment_len(stream, segment_of(after))? == Some(SEGMENT_LEN) => {
                (after, self.end_of_full(stream, segment_of(after))?)
            }
            _ => match self.legacy_hash(stream, after)? {
                Some(hash) => (after, hash),
                None => return Err(shorter()),
            },
        };
        while out.len() < max {
            let Some(envelope) = self.legacy(stream, version.next(), &previous)? else {
                break;
            };
            previous = envelope.hash;
            version = envelope.version;
            out.push(envelope);
        }
        Ok(out)
    }

    fn append(
        &mut self,
        stream: &AccountId,
        ExpectedVersion(expected): ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Envelope>, StoreError> {
        if self.has_legacy(stream, expected)? {
            self.migrate_stream(stream)?;
        }
        // Checks the stream ends at `expected` (a conflict otherwise) before
        // anything is written.
        let open = self.open(stream, expected)?;
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let count = u64::try_from(events.len()).unwrap_or(u64::MAX);
        let exhausted = || corrupt(&self.keys.sequence(), "the sequence counter is exhausted");
        // Sequence numbers come from a block reserved in the counter before
        // any is used: a crash leaves a gap in the global order, never a
        // duplicate, and the counter is written once a block, not once an
        // append.
        let (first, end, reserved_now) = match self.reserved.get() {
            Some((used, end)) if used.checked_add(count).is_some_and(|last| last <= end) => (used, end, None),
            _ => {
                let (old_counter, last) = self.last_sequence()?;
                let end = last.checked_add(count).and_then(|e| e.checked_add(SEQUENCE_BLOCK)).ok_or_else(exhausted)?;
                self.set(&self.keys.sequence(), &end.to_string())?;
                (last, end, Some(old_counter))
            }
        };
        let mut version = expected;
        let mut sequence = first;
        let envelopes = events
            .into_iter()
            .map(|event| {
                version = version.next();
                sequence += 1;
                event.into_envelope(version, Sequence(sequence))
            })
            .collect();
        match self.write(stream, open, envelopes) {
            Ok(stored) => {
                self.reserved.set(Some((first + count, end)));
                Ok(stored)
            }
            Err(error) => {
                // Put back a counter moved for this append (nothing of it
                // stays); numbers of an older block are simply used next time.
                if let Some(old_counter) = reserved_now {
                    self.reserved.set(None);
                    let key = self.keys.sequence();
                    let _ = match &old_counter {
                        Some(text) => self.kv.set(&key, text),
                        None => self.kv.remove(&key),
                    };
                }
                Err(error)
            }
        }
    }

    fn streams(&self) -> Result<StreamList, StoreError> {
        use std::collections::BTreeMap;
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
        let names: std::collections::BTreeSet<AccountId> = segments.keys().chain(legacy.keys()).cloned().collect();
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

    fn location(&self, stream: &AccountId, version: Version) -> String {
        let key = self.keys.segment(stream, segment_of(version));
        match self.kv.get(&key) {
            Ok(None) if self.kv.get(&self.keys.legacy_event(stream, version)).is_ok_and(|v| v.is_some()) => {
                self.keys.legacy_event(stream, version)
            }
            _ => key,
        }
    }

    fn snapshot(&self, stream: &AccountId) -> Result<Option<Snapshot>, StoreError> {
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

    fn read_behind_snapshot(
        &self,
        stream: &AccountId,
        until: Version,
    ) -> Result<Vec<(crate::domain::Event, Option<super::CommandId>)>, StoreError> {
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

    fn import(&mut self, batches: Vec<(AccountId, Version, Vec<Envelope>)>) -> Result<(), StoreError> {
        // What every key to be written holds now, to put back on any failure.
        let mut saved: Vec<(String, Option<String>)> = Vec::new();
        let mut last = 0;
        for (stream, expected, envelopes) in &batches {
            if self.has_legacy(stream, *expected)? {
                self.migrate_stream(stream)?;
            }
            self.open(stream, *expected)?;
            let count = u64::try_from(envelopes.len()).unwrap_or(u64::MAX);
            for index in segment_of(expected.next())..=segment_of(Version::new(expected.get().saturating_add(count))) {
                let key = self.keys.segment(stream, index);
                let old = self.get(&key)?;
                saved.push((key, old));
            }
            last = envelopes.iter().map(|e| e.sequence.0).fold(last, u64::max);
        }
        let counter = self.keys.sequence();
        saved.push((counter.clone(), self.get(&counter)?));
        let outcome = (|| {
            for (stream, expected, envelopes) in &batches {
                let open = self.open(stream, *expected)?;
                let written = self.write(stream, open, envelopes.clone())?;
                if written.iter().zip(envelopes).any(|(w, e)| w.hash != e.hash || w.version != e.version) {
                    let reason = "the imported events do not continue the stream's hash chain".to_owned();
                    return Err(corrupt(&self.keys.segment(stream, segment_of(expected.next())), reason));
                }
            }
            // The global order goes on after every imported number.
            let (_, counted) = self.last_sequence()?;
            if last > counted {
                self.set(&counter, &last.to_string())?;
            }
            self.reserved.set(None);
            Ok(())
        })();
        if outcome.is_err() {
            for (key, old) in saved {
                // Putting back never needs more room than was taken.
                let _ = match old {
                    Some(text) => self.kv.set(&key, &text),
                    None => self.kv.remove(&key),
                };
            }
            self.reserved.set(None);
        }
        outcome
    }

    fn save_snapshot(&mut self, stream: &AccountId, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.set(&self.keys.snapshot(stream), &snapshot.encode())
    }
}
