//! Reading segments (and format 1 records): the chain recomputed from the
//! segment before, the decoded events of recent segments remembered with the
//! text they came from.

use std::rc::Rc;

use super::{corrupt, KvStore};
use crate::domain::{AccountId, Version};
use crate::store::segment::{first_of, segment_of, Segment, SEGMENT_LEN};
use crate::store::{decode_record, ChainHash, Envelope, KeyValue, StoreError};

/// How many decoded segments a store keeps.
const DECODED_KEPT: usize = 16;

#[derive(Debug)]
pub(super) struct Decoded {
    pub(super) key: String,
    pub(super) text: String,
    pub(super) start: ChainHash,
    pub(super) events: Rc<Vec<Envelope>>,
}

impl<K: KeyValue> KvStore<K> {
    /// The end hash of segment `index` (the hash a segment after it starts
    /// from), checking that it is full.
    pub(super) fn end_of_full(&self, stream: &AccountId, index: u64) -> Result<ChainHash, StoreError> {
        self.with_full(stream, index, |segment| Ok(segment.end))
    }

    /// Runs `f` on segment `index`, checking that it is stored, sound and full.
    pub(super) fn with_full<T>(
        &self,
        stream: &AccountId,
        index: u64,
        f: impl FnOnce(&Segment<'_>) -> Result<T, String>,
    ) -> Result<T, StoreError> {
        let key = self.keys.segment(stream, index);
        let text = self.get(&key)?.ok_or_else(|| corrupt(&key, "a segment before this one is missing"))?;
        let segment = Segment::parse(&text).map_err(|reason| corrupt(&key, reason))?;
        if segment.len() != SEGMENT_LEN {
            return Err(corrupt(&key, format!("the segment holds {} events, not {SEGMENT_LEN}", segment.len())));
        }
        f(&segment).map_err(|reason| corrupt(&key, reason))
    }

    /// The hash segment `index` starts from.
    pub(super) fn start_of(&self, stream: &AccountId, index: u64) -> Result<ChainHash, StoreError> {
        match index.checked_sub(1) {
            None => Ok(ChainHash::GENESIS),
            Some(before) => self.end_of_full(stream, before),
        }
    }

    /// Every event of segment `index` (`None` if it is not stored), hashes
    /// recomputed from `start` and checked against the stored end.
    pub(super) fn decode_segment(
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

    pub(super) fn decode_text(
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

    pub(super) fn remember(&self, entry: Decoded) {
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
    pub(super) fn forget_decoded(&self, key: &str, text: &str) -> Option<(ChainHash, Rc<Vec<Envelope>>)> {
        let mut decoded = self.decoded.try_borrow_mut().ok()?;
        let at = decoded.iter().position(|d| d.key == key && d.text == text)?;
        let entry = decoded.remove(at);
        Some((entry.start, entry.events))
    }

    /// What was remembered of segment `key` decoded from `text`, if anything.
    pub(super) fn remembered(&self, key: &str, text: &str) -> Option<(ChainHash, Rc<Vec<Envelope>>)> {
        let decoded = self.decoded.try_borrow().ok()?;
        decoded.iter().find(|d| d.key == key && d.text == text).map(|d| (d.start, d.events.clone()))
    }

    /// The format 1 record of `version`, upcast, its stored hash checked
    /// against `previous`.
    pub(super) fn legacy(
        &self,
        stream: &AccountId,
        version: Version,
        previous: &ChainHash,
    ) -> Result<Option<Envelope>, StoreError> {
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
    pub(super) fn legacy_hash(&self, stream: &AccountId, version: Version) -> Result<Option<ChainHash>, StoreError> {
        let key = self.keys.legacy_event(stream, version);
        match self.get(&key)? {
            Some(text) => Ok(Some(decode_record(&key, version, &text)?.hash)),
            None => Ok(None),
        }
    }

    /// How many events segment `index` holds, `None` if it is not stored.
    pub(super) fn segment_len(&self, stream: &AccountId, index: u64) -> Result<Option<u64>, StoreError> {
        let key = self.keys.segment(stream, index);
        match self.get(&key)? {
            Some(text) => Segment::parse(&text).map(|s| Some(s.len())).map_err(|reason| corrupt(&key, reason)),
            None => Ok(None),
        }
    }

    /// See [`EventStore::read_page`]: segments from the one holding
    /// `after + 1`, then format 1 records where a stream still has them.
    pub(super) fn read_from(&self, stream: &AccountId, after: Version, max: usize) -> Result<Vec<Envelope>, StoreError> {
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
}
