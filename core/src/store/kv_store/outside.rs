//! Writes by others: what another writer's change to the map (another
//! tab's, in the browser) means for what this store and its ledger keep.

use super::KvStore;
use crate::store::{KeyKind, KeyValue, OutsideWrite, Stale};

impl<K: KeyValue> KvStore<K> {
    /// Forgets the counted usage, and the reserved sequence numbers if the
    /// counter was cleared; says what the ledger must read again. A segment
    /// that only grew needs nothing (the next read finds the new events);
    /// one changed any other way makes its stream stale. A stream's first
    /// segment, legacy data or a foreign key under the namespace may change
    /// the list of streams.
    pub(super) fn notice_write(&mut self, write: OutsideWrite<'_>) -> Stale {
        self.kv.recount();
        let Some(key) = write.key else {
            // Storage was cleared: numbers reserved before may be handed out again.
            self.forget_reservation();
            return Stale { list: true, ..Stale::default() };
        };
        match self.keys.classify(key) {
            KeyKind::Sequence => {
                if write.new.is_none() {
                    self.forget_reservation();
                }
                Stale::default()
            }
            KeyKind::Segment { stream, index } => {
                let grown = match (write.old, write.new) {
                    (Some(old), Some(new)) => only_grew(old, new),
                    (None, Some(_)) => true,
                    (_, None) => false,
                };
                Stale { list: index == 0 && write.old.is_none(), stream: (!grown).then_some(stream), ..Stale::default() }
            }
            KeyKind::LegacyEvent { stream, .. } => Stale { list: true, stream: Some(stream), ..Stale::default() },
            KeyKind::Unknown => Stale { list: true, ..Stale::default() },
            KeyKind::Snapshot { .. } | KeyKind::LegacySequence | KeyKind::NotOurs => Stale::default(),
        }
    }
}

/// Whether segment text `new` is `old` with lines added (the header, which
/// holds the checksum and end hash, aside).
fn only_grew(old: &str, new: &str) -> bool {
    match (old.split_once('\n'), new.split_once('\n')) {
        (Some((_, old_body)), Some((_, new_body))) => new_body.starts_with(old_body),
        _ => false,
    }
}
