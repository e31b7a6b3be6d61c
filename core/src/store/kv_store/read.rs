//! Reading segments (and format 1 records): the chain recomputed from the
//! segment before, the decoded events of recent segments remembered with the
//! text they came from.
//!
//! Data from before hash v2 (format 2 segments, format 1 records) is
//! checked against its own hashes (v1) and read with hash v2: [`Ends`]
//! carries both chains through it, and the store remembers, for each old
//! segment it walked, the hash of the other chain at its end.

use std::rc::Rc;

use super::{corrupt, KvStore};
use crate::domain::{AccountId, Version};
use crate::store::segment::{first_of, segment_of, Segment, LEGACY_FORMAT, SEGMENT_LEN};
use crate::store::{decode_record, ChainHash, Envelope, KeyValue, StoreError};

/// How many decoded segments a store keeps.
const DECODED_KEPT: usize = 16;

/// Both chain hashes after some event: hash v2, and hash v1 (which format
/// 2 segments and format 1 records were stored with).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Ends {
    pub(super) hash: ChainHash,
    pub(super) legacy: ChainHash,
}

impl Ends {
    pub(super) const GENESIS: Ends = Ends { hash: ChainHash::GENESIS, legacy: ChainHash::GENESIS };
}

#[derive(Debug)]
pub(super) struct Decoded {
    pub(super) key: String,
    pub(super) text: String,
    pub(super) start: ChainHash,
    pub(super) events: Rc<Vec<Envelope>>,
}

impl<K: KeyValue> KvStore<K> {
    /// The end hash (v2) of segment `index` (the hash a segment after it
    /// starts from), checking that it is full.
    pub(super) fn end_of_full(&self, stream: &AccountId, index: u64) -> Result<ChainHash, StoreError> {
        match self.with_full(stream, index, |segment| Ok((!segment.is_legacy()).then_some(segment.end)))? {
            Some(end) => Ok(end),
            None => self.ends(stream, index).map(|ends| ends.hash),
        }
    }

    /// Both chains' hashes at the end of segment `index`: what its stored end
    /// hash is, and the other chain's, remembered from an earlier walk or
    /// found by decoding from the last segment whose ends are known (from
    /// the first, at worst). Only data from before hash v2 needs this.
    pub(super) fn ends(&self, stream: &AccountId, index: u64) -> Result<Ends, StoreError> {
        let stored_end = |i: u64| -> Result<(u32, ChainHash), StoreError> {
            let key = self.keys.segment(stream, i);
            let text = self.get(&key)?.ok_or_else(|| corrupt(&key, "a segment before this one is missing"))?;
            let segment = Segment::parse(&text).map_err(|reason| corrupt(&key, reason))?;
            Ok((segment.format, segment.end))
        };
        let known = |(format, end): (u32, ChainHash)| -> Option<Ends> {
            let other = *self.other_end.try_borrow().ok()?.get(&end)?;
            Some(match format {
                LEGACY_FORMAT => Ends { hash: other, legacy: end },
                _ => Ends { hash: end, legacy: other },
            })
        };
        // Down to the last segment whose ends are known...
        let mut from = index;
        let mut ends = loop {
            if let Some(ends) = known(stored_end(from)?) {
                if from == index {
                    return Ok(ends);
                }
                from += 1;
                break ends;
            }
            match from.checked_sub(1) {
                Some(before) => from = before,
                None => break Ends::GENESIS,
            }
        };
        // ...then up, decoding each with both chains.
        for i in from..=index {
            let key = self.keys.segment(stream, i);
            let text = self.get(&key)?.ok_or_else(|| corrupt(&key, "a segment before this one is missing"))?;
            let segment = Segment::parse(&text).map_err(|reason| corrupt(&key, reason))?;
            if i < index && segment.len() != SEGMENT_LEN {
                return Err(corrupt(&key, format!("the segment holds {} events, not {SEGMENT_LEN}", segment.len())));
            }
            let (events, legacy) =
                segment.decode_legacy(stream, first_of(i), ends.hash, ends.legacy).map_err(|reason| corrupt(&key, reason))?;
            if let (Some(last), Some(legacy)) = (events.last(), legacy.last()) {
                ends = Ends { hash: last.hash, legacy: *legacy };
            }
            self.learn_ends(segment.format, ends);
        }
        Ok(ends)
    }

    /// Remembers the other chain's hash at the end of a segment stored in
    /// `format`, whose ends are `ends`.
    pub(super) fn learn_ends(&self, format: u32, ends: Ends) {
        if let Ok(mut other) = self.other_end.try_borrow_mut() {
            match format {
                LEGACY_FORMAT => other.insert(ends.legacy, ends.hash),
                _ => other.insert(ends.hash, ends.legacy),
            };
        }
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
        let events = if segment.is_legacy() {
            let legacy_start = match index.checked_sub(1) {
                None => ChainHash::GENESIS,
                Some(before) => self.ends(stream, before)?.legacy,
            };
            let (events, legacy) =
                segment.decode_legacy(stream, first_of(index), start, legacy_start).map_err(|reason| corrupt(&key, reason))?;
            if let (Some(last), Some(legacy)) = (events.last(), legacy.last()) {
                self.learn_ends(segment.format, Ends { hash: last.hash, legacy: *legacy });
            }
            Rc::new(events)
        } else {
            Rc::new(segment.decode(stream, first_of(index), start).map_err(|reason| corrupt(&key, reason))?)
        };
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

    /// The format 1 record of `version`, upcast, its stored hash (v1)
    /// checked against `previous`; with both chains' hashes after it.
    pub(super) fn legacy(
        &self,
        stream: &AccountId,
        version: Version,
        previous: &Ends,
    ) -> Result<Option<(Envelope, Ends)>, StoreError> {
        let key = self.keys.legacy_event(stream, version);
        let Some(text) = self.get(&key)? else {
            return Ok(None);
        };
        let mut envelope = decode_record(&key, version, &text)?;
        if ChainHash::link_v1(&previous.legacy, stream, &envelope) != envelope.hash {
            return Err(corrupt(&key, format!("version {version}: the hash chain is broken, the stored event was changed")));
        }
        let legacy = envelope.hash;
        envelope.hash = ChainHash::link(&previous.hash, stream, &envelope);
        Ok(Some((envelope.clone(), Ends { hash: envelope.hash, legacy })))
    }

    /// Both chains' hashes after the stream's segments, which hold
    /// `in_segments` events: where its format 1 records (if any) go on from.
    pub(super) fn ends_of_segments(&self, stream: &AccountId, in_segments: Version) -> Result<Ends, StoreError> {
        match in_segments {
            Version::EMPTY => Ok(Ends::GENESIS),
            last => self.ends(stream, segment_of(last)),
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
        // not migrated yet): they go on from the segments' last event.
        let in_segments = match reached {
            Some(reached) => reached,
            None => self.length_in_segments(stream)?,
        };
        if self.get(&self.keys.legacy_event(stream, in_segments.next()))?.is_none() {
            return match in_segments < after {
                true => Err(shorter()),
                false => Ok(out),
            };
        }
        let mut version = in_segments;
        let mut ends = self.ends_of_segments(stream, in_segments)?;
        while out.len() < max {
            let Some((envelope, next)) = self.legacy(stream, version.next(), &ends)? else {
                break;
            };
            ends = next;
            version = envelope.version;
            if version > after {
                out.push(envelope);
            }
        }
        if version < after {
            return Err(shorter());
        }
        Ok(out)
    }
}
