//! Writing an import's batches: all of them or none.

use super::{corrupt, KvStore};
use crate::domain::{AccountId, Version};
use crate::store::segment::segment_of;
use crate::store::{Envelope, EventStore, KeyValue, StoreError};

impl<K: KeyValue> KvStore<K> {
    /// See [`EventStore::import`]: all batches or none.
    pub(super) fn import_batches(&mut self, batches: Vec<(AccountId, Version, Vec<Envelope>)>) -> Result<(), StoreError> {
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
            // What was written must read back as it was given, decoded from
            // the stored text (not what this store remembers writing): an
            // import never leaves a stream that can't be read.
            self.decoded.borrow_mut().clear();
            for (stream, expected, envelopes) in &batches {
                let back = self.read(stream, *expected)?;
                let same = |(b, e): (&Envelope, &Envelope)| {
                    (b.version, b.sequence, b.recorded_at, &b.event_id, &b.command_id, &b.event, b.hash)
                        == (e.version, e.sequence, e.recorded_at, &e.event_id, &e.command_id, &e.event, e.hash)
                };
                if back.len() != envelopes.len() || !back.iter().zip(envelopes).all(same) {
                    let reason = "the imported events did not read back as they were given".to_owned();
                    return Err(corrupt(&self.keys.segment(stream, segment_of(expected.next())), reason));
                }
            }
            // The global order goes on after every imported number, and the
            // counter moves even when none is higher: a block another store
            // reserved before this import is then given up (see `append`),
            // so no number it holds can follow an imported one.
            let (_, counted) = self.last_sequence()?;
            let next = counted.max(last).checked_add(1).ok_or_else(|| corrupt(&counter, "the sequence counter is exhausted"))?;
            self.set(&counter, &next.to_string())?;
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
}
