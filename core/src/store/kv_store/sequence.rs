//! Global sequence numbers: each store takes them from a block it reserves
//! in the shared counter, so the counter is written once a block, not once
//! an append.

use super::{corrupt, KvStore};
use crate::store::{KeyValue, StoreError};

/// How many sequence numbers an append reserves beyond its own needs.
const SEQUENCE_BLOCK: u64 = 64;

/// The numbers one append uses: `first + 1 ..= first + count`, from a block
/// ending at `end`.
pub(super) struct Reservation {
    pub(super) first: u64,
    end: u64,
    /// The counter's text before this append moved it, if it did.
    moved_from: Option<Option<String>>,
}

impl<K: KeyValue> KvStore<K> {
    /// Numbers for `count` events of a stream whose last number is `floor`.
    ///
    /// A block is reserved in the counter before any of it is used: a crash
    /// leaves a gap in the global order, never a duplicate. A block is used
    /// only while the counter still ends at it: once another writer (a tab,
    /// an import) has moved the counter, the numbers after it may be theirs.
    /// And whatever the counter says, a stream's numbers only ever grow.
    pub(super) fn reserve(&mut self, count: u64, floor: u64) -> Result<Reservation, StoreError> {
        let (old_counter, counter) = self.last_sequence()?;
        match self.reserved.get() {
            Some((used, end)) if counter == end && used.max(floor).checked_add(count).is_some_and(|last| last <= end) => {
                Ok(Reservation { first: used.max(floor), end, moved_from: None })
            }
            _ => {
                let first = counter.max(floor);
                let end = first
                    .checked_add(count)
                    .and_then(|e| e.checked_add(SEQUENCE_BLOCK))
                    .ok_or_else(|| corrupt(&self.keys.sequence(), "the sequence counter is exhausted"))?;
                self.set(&self.keys.sequence(), &end.to_string())?;
                Ok(Reservation { first, end, moved_from: Some(old_counter) })
            }
        }
    }

    /// Numbers for `count` events kept outside the streams for now (a sync
    /// client's pending events), after `floor`: the first of them. Used at
    /// once, so a crash leaves a gap in the global order, never a duplicate.
    pub fn take_sequences(&mut self, count: u64, floor: u64) -> Result<u64, StoreError> {
        let reservation = self.reserve(count, floor)?;
        let first = reservation.first + 1;
        self.settle(reservation, count, true);
        Ok(first)
    }

    /// After the append: its numbers are used if it `stored`; if not, a
    /// counter moved for it is put back (nothing of it stays), and numbers
    /// of an older block are simply used next time.
    pub(super) fn settle(&mut self, reservation: Reservation, count: u64, stored: bool) {
        if stored {
            self.reserved.set(Some((reservation.first + count, reservation.end)));
        } else if let Some(old_counter) = reservation.moved_from {
            self.reserved.set(None);
            let key = self.keys.sequence();
            let _ = match &old_counter {
                Some(text) => self.kv.set(&key, text),
                None => self.kv.remove(&key),
            };
        }
    }

    fn read_counter(&self, key: &str) -> Result<(Option<String>, u64), StoreError> {
        let Some(text) = self.get(key)? else {
            return Ok((None, 0));
        };
        match crate::encoding::parse_decimal(&text) {
            Some(value) => Ok((Some(text), value)),
            None => Err(corrupt(key, "the sequence counter is not a whole number")),
        }
    }

    /// The last sequence number handed out (format 1's counter counts until
    /// migration removes it), and the stored counter text to restore.
    pub(super) fn last_sequence(&self) -> Result<(Option<String>, u64), StoreError> {
        let (text, current) = self.read_counter(&self.keys.sequence())?;
        let (_, legacy) = self.read_counter(&self.keys.legacy_sequence())?;
        Ok((text, current.max(legacy)))
    }
}
