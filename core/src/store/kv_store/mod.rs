//! An [`EventStore`] over any [`KeyValue`] map, in format 3 (segment.rs)
//! with the key layout of keys.rs. In the browser the map is localStorage;
//! everything but get/set/remove/keys lives here, so all of it is tested
//! natively. Format 2 segments and format 1 records (legacy.rs), from before
//! hash v2, are read where they are still stored, and rewritten in format 3
//! by [`KvStore::migrate`] or by the first append to their stream.

mod import;
mod migration;
mod outside;
mod read;
mod scan;
mod sequence;

use read::Decoded;
mod snapshots;

use super::segment::{encode_line, encode_segment, first_of, segment_of, Segment, SEGMENT_LEN};
use super::{
    read_admitted, ChainHash, Envelope, EventStore, KeyValue, Keys, KvError, NewEvent, OutsideWrite, Sequence, Snapshot, Stale,
    StoreError, StreamList, Timestamp, Tip,
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
    /// For segments from before hash v2 that a read walked: the stored end
    /// hash of each, and the other chain's hash at its end (read.rs).
    other_end: RefCell<std::collections::HashMap<ChainHash, ChainHash>>,
}

/// The 5 MiB (in UTF-16 units) that browsers give localStorage, for a map
/// that does not say its quota.
const BROWSER_QUOTA: usize = 5 * 1024 * 1024;

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
    /// The stream's last sequence number (0 for a new stream): the next
    /// event's must be greater, whatever the counter says.
    floor: u64,
    /// The segment (or, for a new one, the one before) is in format 2: the
    /// stream must be rewritten in format 3 before it takes an event.
    legacy: bool,
}

impl<K: KeyValue> KvStore<K> {
    /// A store whose keys start with `{namespace}/v2/` (and `/v1/` for
    /// format 1 data it finds).
    pub fn new(kv: K, namespace: &str) -> KvStore<K> {
        KvStore {
            kv,
            keys: Keys::new(namespace),
            full_at: None,
            decoded: RefCell::new(Vec::new()),
            reserved: Default::default(),
            other_end: Default::default(),
        }
    }

    /// Forgets the block of sequence numbers this store reserved: for when
    /// storage was cleared behind its back.
    pub(crate) fn forget_reservation(&mut self) {
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
        let used_units = self.kv.used_units().map_err(kv_error)?;
        let quota = self.kv.quota_units().unwrap_or(BROWSER_QUOTA);
        let quota_units = self.full_at.map_or(quota, |full| full.min(quota));
        Ok(Usage { used_units, quota_units })
    }

    /// Where the event at `version` of `stream` is kept: its segment, or its
    /// format 1 record while that is still there.
    fn location(&self, stream: &AccountId, version: Version) -> String {
        let key = self.keys.segment(stream, segment_of(version));
        match self.kv.get(&key) {
            Ok(None) if self.kv.get(&self.keys.legacy_event(stream, version)).is_ok_and(|v| v.is_some()) => {
                self.keys.legacy_event(stream, version)
            }
            _ => key,
        }
    }

    fn note_full(&mut self, error: &KvError) {
        if *error == KvError::QuotaExceeded {
            self.kv.recount();
            // A refusal under half the quota browsers give is not the quota:
            // Firefox, with several tabs open, now and then refuses a write
            // that it takes a moment later.
            let nominal = self.kv.quota_units().unwrap_or(BROWSER_QUOTA);
            if let Some(used) = self.kv.used_units().ok().filter(|used| *used >= nominal / 2) {
                self.full_at = Some(used);
            }
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

    /// How many events the stream holds, by walking its keys: for the rare
    /// paths (a conflict, a migration).
    /// The hash of the stream's last event and its last sequence number,
    /// if the stream ends at `expected` (a conflict otherwise).
    pub fn head(&self, stream: &AccountId, expected: Version) -> Result<(ChainHash, u64), StoreError> {
        self.open(stream, expected).map(|open| (open.end, open.floor))
    }

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
            let (end, floor, legacy) = match index.checked_sub(1) {
                None => (ChainHash::GENESIS, 0, false),
                Some(before) => self.with_full(stream, before, |segment| {
                    let last = segment.last_position()?;
                    Ok((segment.end, last.map_or(0, |(_, sequence)| sequence.0), segment.is_legacy()))
                })?,
            };
            return Ok(Open { index, old_text: None, body: String::new(), len: 0, end, last: None, floor, legacy });
        };
        let segment = Segment::parse(&text).map_err(|reason| corrupt(&key, reason))?;
        if segment.len() != in_segment {
            return Err(self.conflict(stream, expected));
        }
        let last = segment.last_position().map_err(|reason| corrupt(&key, reason))?;
        let floor = last.map_or(0, |(_, sequence)| sequence.0);
        // A format 2 segment is rewritten whole before anything is appended
        // (`append`); another format's lines are written again in this one.
        let body = match segment.is_legacy() {
            true => segment.body.to_owned(),
            false => segment.current_body().map_err(|reason| corrupt(&key, reason))?,
        };
        let (len, end, legacy) = (segment.len(), segment.end, segment.is_legacy());
        Ok(Open { index, body, len, end, last, old_text: Some(text), floor, legacy })
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
                open = Open {
                    index: open.index + 1,
                    old_text: None,
                    body: String::new(),
                    len: 0,
                    end: hash,
                    last: None,
                    floor: 0,
                    legacy: false,
                };
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
}

impl<K: KeyValue> EventStore for KvStore<K> {
    fn read(&self, stream: &AccountId, after: Version) -> Result<Vec<Envelope>, StoreError> {
        self.read_page(stream, after, usize::MAX)
    }

    fn read_page(&self, stream: &AccountId, after: Version, max: usize) -> Result<Vec<Envelope>, StoreError> {
        self.read_from(stream, after, max)
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
        let mut open = self.open(stream, expected)?;
        if open.legacy {
            self.rewrite_stream(stream)?;
            open = self.open(stream, expected)?;
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let count = u64::try_from(events.len()).unwrap_or(u64::MAX);
        let reservation = self.reserve(count, open.floor)?;
        let mut version = expected;
        let mut sequence = reservation.first;
        let envelopes = events
            .into_iter()
            .map(|event| {
                version = version.next();
                sequence += 1;
                event.into_envelope(version, Sequence(sequence))
            })
            .collect();
        let stored = self.write(stream, open, envelopes);
        self.settle(reservation, count, stored.is_ok());
        stored
    }

    fn streams(&self) -> Result<StreamList, StoreError> {
        self.scan()
    }

    fn read_from(&self, stream: &AccountId, tip: &mut Tip, until: Option<Version>) -> Result<Vec<Envelope>, StoreError> {
        read_admitted(self, stream, tip, until, |version| self.location(stream, version))
    }

    fn snapshot(&self, stream: &AccountId) -> Result<Option<Snapshot>, StoreError> {
        self.checked_snapshot(stream)
    }

    fn snapshot_key(&self, stream: &AccountId) -> Option<String> {
        Some(self.keys.snapshot(stream))
    }

    fn import(&mut self, batches: Vec<(AccountId, Version, Vec<Envelope>)>) -> Result<(), StoreError> {
        self.import_batches(batches)
    }

    fn usage(&mut self) -> Result<Option<Usage>, StoreError> {
        self.usage().map(Some)
    }

    fn noticed(&mut self, write: OutsideWrite<'_>) -> Stale {
        self.notice_write(write)
    }

    fn become_writer(&mut self) -> Result<Migration, StoreError> {
        self.forget_reservation();
        self.kv.recount();
        self.migrate()
    }

    fn save_snapshot(&mut self, stream: &AccountId, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.set(&self.keys.snapshot(stream), &snapshot.encode())
    }
}
