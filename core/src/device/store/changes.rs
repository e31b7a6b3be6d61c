//! What sync changes in a device's store: the server's events adopted
//! (the stream first, the log last), a pending command removed (cancelled
//! or refused), a rejection dismissed, the pending events folded into local
//! history, a log repaired, and the user's removals.

use super::{kv_error, View};
use crate::device::log::PendingLog;
use crate::device::rebase::{held, rebase, Held, Rejection};
use crate::device::SyncedStore;
use crate::domain::{AccountId, Version};
use crate::store::{Envelope, EventId, EventStore, KeyKind, KeyValue, Sequence, StoreError, Tip};

/// What [`SyncedStore::adopt`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adopted {
    /// Events of the server's added to the stream.
    pub added: usize,
    /// Pending events found among them: this device's, now confirmed.
    pub confirmed: Vec<Envelope>,
    /// Pending commands decided again on the new head (moved, still pending).
    pub redecided: usize,
    pub rejected: Vec<Rejection>,
}

impl<K: KeyValue> SyncedStore<K> {
    /// Adds `events` of the server's to the stream, after `tip` (the
    /// stream's confirmed head), and decides the account's pending commands
    /// again on top of them: those among the events are confirmed, those
    /// that no longer pass are rejected. The stream is written first, then
    /// the log (the commit point of both: until it is written, reads decide
    /// the old log again on the fly, to the same result).
    pub fn adopt(&mut self, stream: &AccountId, tip: &Tip, mut events: Vec<Envelope>) -> Result<Adopted, StoreError> {
        let (head, floor) = self.inner.head(stream, tip.version())?;
        if head != tip.hash {
            let reason = "the stream's last event is not the one the sync began from".to_owned();
            return Err(StoreError::Corrupt { key: self.segment_key(stream, tip.version()), reason });
        }
        let mut next = tip.clone();
        for event in &events {
            next.admit(event).map_err(|reason| StoreError::Corrupt { key: "the server's events".into(), reason })?;
        }
        let log = self.log(stream)?;
        let mut held = held(&events);
        if let Some(first) = log.events.first() {
            // Pending events already added to the stream (a crash after
            // that write, before the log's).
            let base = Version::new(first.version.get() - 1).min(tip.version());
            held.extend(crate::device::rebase::held(&self.inner.read(stream, base)?));
        }
        let rebased = rebase(&next, &held, &log.events);
        let count = u64::try_from(events.len() + rebased.pending.len()).unwrap_or(u64::MAX);
        let mut sequence = match count {
            0 => 0,
            _ => self.inner.take_sequences(count, floor)?,
        };
        let mut numbered = |e: &mut Envelope| {
            e.sequence = Sequence(sequence);
            sequence += 1;
        };
        events.iter_mut().for_each(&mut numbered);
        let mut pending = rebased.pending;
        pending.iter_mut().for_each(&mut numbered);
        let added = events.len();
        if !events.is_empty() {
            self.logs.borrow_mut().remove(stream);
            self.inner.import(vec![(stream.clone(), tip.version(), events)])?;
        }
        let redecided = if rebased.changed { pending.len() } else { 0 };
        let mut rejected = log.rejected.clone();
        rejected.extend(rebased.rejected.iter().cloned());
        self.write_log(stream, PendingLog { events: pending, rejected })?;
        Ok(Adopted { added, confirmed: rebased.confirmed, redecided, rejected: rebased.rejected })
    }

    /// Removes a pending event (the user cancels its command, or the server
    /// refused it: then it is kept as a rejection with `refusal`'s code and
    /// message) and decides the commands after it again on `tip`, the
    /// confirmed head. Answers every rejection this made (the refused event
    /// first); `None` when the event is not pending.
    pub fn remove_pending(
        &mut self,
        stream: &AccountId,
        tip: &Tip,
        event_id: &EventId,
        refusal: Option<(String, String)>,
    ) -> Result<Option<Vec<Rejection>>, StoreError> {
        let log = self.log(stream)?;
        let Some(at) = log.events.iter().position(|e| e.event_id == *event_id) else {
            return Ok(None);
        };
        let mut events = log.events.clone();
        let removed = events.remove(at);
        let rebased = rebase(tip, &Held::new(), &events);
        let mut made: Vec<Rejection> =
            refusal.map(|(code, message)| Rejection { envelope: removed, code, message }).into_iter().collect();
        made.extend(rebased.rejected);
        let mut rejected = log.rejected.clone();
        rejected.extend(made.iter().cloned());
        self.write_log(stream, PendingLog { events: rebased.pending, rejected })?;
        Ok(Some(made))
    }

    /// Forgets a rejection the user has seen.
    pub fn dismiss(&mut self, stream: &AccountId, event_id: &EventId) -> Result<bool, StoreError> {
        let log = self.log(stream)?;
        let mut rejected = log.rejected.clone();
        rejected.retain(|r| r.envelope.event_id != *event_id);
        if rejected.len() == log.rejected.len() {
            return Ok(false);
        }
        self.write_log(stream, PendingLog { events: log.events.clone(), rejected })?;
        Ok(true)
    }

    /// Makes the account's pending events part of its stream as they are
    /// (the device leaves its server: they become local history, as events
    /// made without sync are). Rejections stay until dismissed.
    pub fn fold(&mut self, stream: &AccountId) -> Result<usize, StoreError> {
        let log = self.log(stream)?;
        let Some(view) = self.view(stream)? else {
            return Ok(0);
        };
        let mut rejected = log.rejected.clone();
        let mut events = view.events;
        if let Some(rebased) = view.rebased {
            rejected.extend(rebased.rejected);
            let (_, floor) = self.inner.head(stream, view.base)?;
            let count = u64::try_from(events.len()).unwrap_or(u64::MAX);
            let first = if count == 0 { 0 } else { self.inner.take_sequences(count, floor)? };
            for (n, event) in events.iter_mut().enumerate() {
                event.sequence = Sequence(first + u64::try_from(n).unwrap_or(u64::MAX));
            }
        }
        let folded = events.len();
        if !events.is_empty() {
            self.logs.borrow_mut().remove(stream);
            self.inner.import(vec![(stream.clone(), view.base, events)])?;
        }
        self.write_log(stream, PendingLog { events: Vec::new(), rejected })?;
        Ok(folded)
    }

    /// Stores what reads decide on the fly for a log the stream moved
    /// under (see the module's docs). Answers the commands rejected.
    pub fn repair(&mut self, stream: &AccountId) -> Result<Vec<Rejection>, StoreError> {
        let Some(View { rebased: Some(_), .. }) = self.view(stream)? else {
            return Ok(Vec::new());
        };
        let mut tip = Tip::new(stream);
        self.inner.read_from(stream, &mut tip, None)?;
        Ok(self.adopt(stream, &tip, Vec::new())?.rejected)
    }

    /// Removes every key of the account: its stream, snapshot and pending
    /// log. Only for the user's choice to take the account from the server
    /// again, after the copy here was offered as a download.
    pub fn remove_stream(&mut self, stream: &AccountId) -> Result<usize, StoreError> {
        let keys = self.inner.keys().clone();
        self.remove_where(|key| match keys.classify(key) {
            KeyKind::Segment { stream: s, .. } | KeyKind::Snapshot { stream: s } | KeyKind::LegacyEvent { stream: s, .. } => {
                s == *stream
            }
            KeyKind::Sequence | KeyKind::LegacySequence | KeyKind::Unknown | KeyKind::NotOurs => {
                keys.pending_stream(key).is_some_and(|s| s == *stream)
            }
        })
    }

    /// Removes the whole ledger here (streams, snapshots, pending logs, the
    /// place in the server's order), keeping the link: only for the user's
    /// choice to start over from the server, after an export was offered.
    pub fn clear_ledger(&mut self) -> Result<usize, StoreError> {
        let keys = self.inner.keys().clone();
        let link = keys.link();
        self.remove_where(|key| match keys.classify(key) {
            KeyKind::NotOurs => keys.is_sync(key) && key != link,
            KeyKind::Segment { .. }
            | KeyKind::Snapshot { .. }
            | KeyKind::Sequence
            | KeyKind::LegacyEvent { .. }
            | KeyKind::LegacySequence
            | KeyKind::Unknown => true,
        })
    }

    fn remove_where(&mut self, doomed: impl Fn(&str) -> bool) -> Result<usize, StoreError> {
        let keys: Vec<String> = self.inner.kv().keys().map_err(kv_error)?.into_iter().filter(|k| doomed(k)).collect();
        self.logs.borrow_mut().clear();
        let kv = self.inner.kv_mut();
        for key in &keys {
            kv.remove(key).map_err(kv_error)?;
        }
        self.inner.forget_reservation();
        Ok(keys.len())
    }
}
