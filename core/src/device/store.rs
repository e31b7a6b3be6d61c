//! [`SyncedStore`]: the event store of a device that syncs. Its streams
//! are the confirmed events (a [`KvStore`], never rewritten) followed by
//! the account's pending events (its pending log, log.rs), so the ledger
//! reads, decides and appends as it always did.
//!
//! While a server is linked (a link is stored: device/link.rs), an append
//! goes to the pending log, not to the stream; the stream grows only by events the
//! server confirmed ([`SyncedStore::adopt`]). The pending events a read
//! shows are always the log's commands decided on the confirmed head: the
//! stored ones when they still follow it, and otherwise (the stream grew
//! and the log was not written again yet: a crash, a full quota) the same
//! commands decided again on the fly, as [`rebase`] would.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::link::{Link, Place};
use super::log::PendingLog;
use super::rebase::{held, rebase, Held, Rebased, Rejection};
use crate::domain::{AccountId, ExpectedVersion, Version};
use crate::store::segment::segment_of;
use crate::store::{
    read_admitted, ChainHash, Damage, Envelope, EventId, EventStore, KeyKind, KeyValue, KvStore, Migration, NewEvent,
    OutsideWrite, Sequence, Snapshot, Stale, StoreError, StreamList, Tip, Usage,
};

/// The confirmed streams of a [`KvStore`] and a pending log per account.
#[derive(Debug)]
pub struct SyncedStore<K> {
    inner: KvStore<K>,
    /// Logs decoded lately, with the text they were decoded from.
    logs: RefCell<HashMap<AccountId, (String, Rc<PendingLog>)>>,
}

/// The pending events of one account as a read sees them.
#[derive(Clone, Debug)]
pub(super) struct View {
    /// The confirmed version they follow.
    pub(super) base: Version,
    pub(super) events: Vec<Envelope>,
    /// Set when the stored log no longer follows the stream: the commands
    /// decided again, which a writer stores.
    pub(super) rebased: Option<Rebased>,
}

impl View {
    /// The stream reads past `after`, or else a read there is a conflict.
    fn reaches(&self, stream: &AccountId, after: Version) -> Result<(), StoreError> {
        let actual = Version::new(self.base.get() + u64::try_from(self.events.len()).unwrap_or(u64::MAX));
        match after > actual {
            true => Err(StoreError::Conflict { stream: stream.clone(), expected: after, actual }),
            false => Ok(()),
        }
    }
}

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
    pub fn new(inner: KvStore<K>) -> SyncedStore<K> {
        SyncedStore { inner, logs: RefCell::default() }
    }

    pub fn inner(&self) -> &KvStore<K> {
        &self.inner
    }

    pub fn inner_mut(&mut self) -> &mut KvStore<K> {
        self.logs.borrow_mut().clear();
        &mut self.inner
    }

    /// Whether appends go to the pending logs: a server is linked.
    pub fn holds_back(&self) -> Result<bool, StoreError> {
        Ok(self.inner.kv().get(&self.inner.keys().link()).map_err(kv_error)?.is_some())
    }

    /// The account's pending log as stored (empty when there is none).
    pub fn log(&self, stream: &AccountId) -> Result<Rc<PendingLog>, StoreError> {
        let key = self.inner.keys().pending(stream);
        let Some(text) = self.inner.kv().get(&key).map_err(kv_error)? else {
            self.logs.borrow_mut().remove(stream);
            return Ok(Rc::default());
        };
        if let Some((seen, log)) = self.logs.borrow().get(stream) {
            if *seen == text {
                return Ok(Rc::clone(log));
            }
        }
        let log = Rc::new(PendingLog::read(&text).map_err(|reason| StoreError::Corrupt { key, reason })?);
        self.logs.borrow_mut().insert(stream.clone(), (text, Rc::clone(&log)));
        Ok(log)
    }

    fn write_log(&mut self, stream: &AccountId, log: PendingLog) -> Result<(), StoreError> {
        let key = self.inner.keys().pending(stream);
        self.logs.borrow_mut().remove(stream);
        let kv = self.inner.kv_mut();
        match log.is_empty() {
            true => kv.remove(&key),
            false => kv.set(&key, &log.write()),
        }
        .map_err(kv_error)
    }

    /// Every account with a pending log (events or rejections), sorted, and
    /// the keys of logs that can't be read.
    pub fn logged(&self) -> Result<(Vec<AccountId>, Vec<Damage>), StoreError> {
        let keys = self.inner.keys();
        let mut ids = Vec::new();
        let mut damaged = Vec::new();
        for key in self.inner.kv().keys().map_err(kv_error)? {
            let Some(stream) = keys.pending_stream(&key) else { continue };
            match self.log(&stream) {
                Ok(_) => ids.push(stream),
                Err(StoreError::Corrupt { key, reason }) => damaged.push(Damage { key, reason }),
                Err(error) => return Err(error),
            }
        }
        ids.sort();
        Ok((ids, damaged))
    }

    /// The account's pending events as reads show them, `None` when it has
    /// none.
    pub(super) fn view(&self, stream: &AccountId) -> Result<Option<View>, StoreError> {
        let log = self.log(stream)?;
        let Some(first) = log.events.first() else {
            return Ok(None);
        };
        let base = Version::new(first.version.get() - 1);
        match self.inner.head(stream, base) {
            Ok((head, _)) if ChainHash::link(&head, stream, first) == first.hash => {
                return Ok(Some(View { base, events: log.events.clone(), rebased: None }));
            }
            Ok(_) | Err(StoreError::Conflict { .. }) => {}
            Err(error) => return Err(error),
        }
        // The stream moved under the log: decide its commands again on the
        // confirmed head, recognising those the stream holds.
        let mut tip = Tip::new(stream);
        let confirmed = self.inner.read_from(stream, &mut tip, None)?;
        let mut rebased = rebase(&tip, &held(&confirmed), &log.events);
        // Numbered after the stream's last, as the writer will number them.
        let mut sequence = confirmed.last().map_or(0, |e| e.sequence.0);
        for event in &mut rebased.pending {
            sequence += 1;
            event.sequence = Sequence(sequence);
        }
        Ok(Some(View { base: tip.version(), events: rebased.pending.clone(), rebased: Some(rebased) }))
    }

    /// How many pending events the account has.
    pub fn pending_count(&self, stream: &AccountId) -> Result<usize, StoreError> {
        Ok(self.view(stream)?.map_or(0, |view| view.events.len()))
    }

    /// The account's pending events, oldest first.
    pub fn pending(&self, stream: &AccountId) -> Result<Vec<Envelope>, StoreError> {
        Ok(self.view(stream)?.map(|view| view.events).unwrap_or_default())
    }

    /// The version of the account's last confirmed event.
    pub fn confirmed_version(&self, stream: &AccountId, combined: Version) -> Result<Version, StoreError> {
        Ok(match self.view(stream)? {
            Some(view) => view.base,
            None => combined,
        })
    }

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
            held.extend(super::rebase::held(&self.inner.read(stream, base)?));
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

    /// The device's link to its server, if it has one.
    pub fn link(&self) -> Result<Option<Link>, StoreError> {
        let key = self.inner.keys().link();
        match self.inner.kv().get(&key).map_err(kv_error)? {
            None => Ok(None),
            Some(text) => Link::read(&text).map(Some).map_err(|reason| StoreError::Corrupt { key, reason }),
        }
    }

    pub fn save_link(&mut self, link: &Link) -> Result<(), StoreError> {
        let key = self.inner.keys().link();
        self.inner.kv_mut().set(&key, &link.write()).map_err(kv_error)
    }

    /// Forgets the link (the device leaves its server).
    pub fn forget_link(&mut self) -> Result<(), StoreError> {
        let key = self.inner.keys().link();
        self.inner.kv_mut().remove(&key).map_err(kv_error)
    }

    /// A value of the sync client's own under `key` (one of `Keys`'s
    /// `sync/` keys: the status the writing tab shows, a request left for it).
    pub fn note(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self.inner.keys().is_sync(key) {
            true => self.inner.kv().get(key).map_err(kv_error),
            false => Ok(None),
        }
    }

    /// Writes (or with `None` removes) such a value.
    pub fn write_note(&mut self, key: &str, text: Option<&str>) -> Result<(), StoreError> {
        if !self.inner.keys().is_sync(key) {
            return Err(StoreError::Unavailable { reason: format!("{key} is not a sync key") });
        }
        let kv = self.inner.kv_mut();
        match text {
            Some(text) => kv.set(key, text),
            None => kv.remove(key),
        }
        .map_err(kv_error)
    }

    /// Where the device stands with its server (none before it synced).
    pub fn place(&self) -> Result<Place, StoreError> {
        let key = self.inner.keys().place();
        match self.inner.kv().get(&key).map_err(kv_error)? {
            None => Ok(Place::default()),
            Some(text) => Place::read(&text).map_err(|reason| StoreError::Corrupt { key, reason }),
        }
    }

    pub fn save_place(&mut self, place: &Place) -> Result<(), StoreError> {
        let key = self.inner.keys().place();
        self.inner.kv_mut().set(&key, &place.write()).map_err(kv_error)
    }

    pub fn forget_place(&mut self) -> Result<(), StoreError> {
        let key = self.inner.keys().place();
        self.inner.kv_mut().remove(&key).map_err(kv_error)
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

    fn segment_key(&self, stream: &AccountId, version: Version) -> String {
        self.inner.keys().segment(stream, segment_of(version.max(Version::new(1))))
    }
}

fn kv_error(error: crate::store::KvError) -> StoreError {
    match error {
        crate::store::KvError::QuotaExceeded => StoreError::Full,
        crate::store::KvError::Unavailable(reason) => StoreError::Unavailable { reason },
    }
}

impl<K: KeyValue> EventStore for SyncedStore<K> {
    fn read(&self, stream: &AccountId, after: Version) -> Result<Vec<Envelope>, StoreError> {
        let Some(view) = self.view(stream)? else {
            return self.inner.read(stream, after);
        };
        view.reaches(stream, after)?;
        let mut events = if after < view.base { self.inner.read(stream, after)? } else { Vec::new() };
        events.extend(view.events.into_iter().filter(|e| e.version > after));
        Ok(events)
    }

    fn read_page(&self, stream: &AccountId, after: Version, max: usize) -> Result<Vec<Envelope>, StoreError> {
        let Some(view) = self.view(stream)? else {
            return self.inner.read_page(stream, after, max);
        };
        view.reaches(stream, after)?;
        let mut events = if after < view.base { self.inner.read_page(stream, after, max)? } else { Vec::new() };
        events.extend(view.events.into_iter().filter(|e| e.version > after));
        events.truncate(max);
        Ok(events)
    }

    fn append(
        &mut self,
        stream: &AccountId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Envelope>, StoreError> {
        if !self.holds_back()? {
            // Left its server: pending events are local history now (folded
            // by the first write after, if the writing tab has not yet).
            self.fold(stream)?;
            return self.inner.append(stream, expected, events);
        }
        let view = self.view(stream)?;
        let ExpectedVersion(expected) = expected;
        let log = self.log(stream)?;
        let (mut pending, mut rejected) = (Vec::new(), log.rejected.clone());
        let (actual, mut hash, floor) = match view {
            Some(View { base, events, rebased }) => {
                rejected.extend(rebased.map(|r| r.rejected).unwrap_or_default());
                pending = events;
                let last = pending.last().map(|e| (e.hash, e.sequence.0)).unwrap_or((ChainHash::GENESIS, 0));
                (Version::new(base.get() + u64::try_from(pending.len()).unwrap_or(u64::MAX)), last.0, last.1)
            }
            None => {
                let (hash, floor) = self.inner.head(stream, expected)?;
                (expected, hash, floor)
            }
        };
        if actual != expected {
            return Err(StoreError::Conflict { stream: stream.clone(), expected, actual });
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let count = u64::try_from(events.len()).unwrap_or(u64::MAX);
        let first = self.inner.take_sequences(count, floor)?;
        let mut version = expected;
        let mut added = Vec::with_capacity(events.len());
        for (sequence, event) in (first..).zip(events) {
            version = version.next();
            let mut envelope = event.into_envelope(version, Sequence(sequence));
            envelope.hash = ChainHash::link(&hash, stream, &envelope);
            hash = envelope.hash;
            added.push(envelope);
        }
        pending.extend(added.iter().cloned());
        self.write_log(stream, PendingLog { events: pending, rejected })?;
        Ok(added)
    }

    fn streams(&self) -> Result<StreamList, StoreError> {
        let StreamList { mut ids, mut damaged } = self.inner.streams()?;
        let (logged, broken) = self.logged()?;
        damaged.extend(broken);
        for stream in logged {
            if !ids.contains(&stream) && self.view(&stream)?.is_some() {
                ids.push(stream);
            }
        }
        ids.sort();
        Ok(StreamList { ids, damaged })
    }

    fn read_from(&self, stream: &AccountId, tip: &mut Tip, until: Option<Version>) -> Result<Vec<Envelope>, StoreError> {
        let base = self.view(stream)?.map(|view| view.base);
        let pending_key = self.inner.keys().pending(stream);
        read_admitted(self, stream, tip, until, |version| match base {
            Some(base) if version > base => pending_key.clone(),
            _ => self.segment_key(stream, version),
        })
    }

    fn snapshot(&self, stream: &AccountId) -> Result<Option<Snapshot>, StoreError> {
        self.inner.snapshot(stream)
    }

    fn snapshot_key(&self, stream: &AccountId) -> Option<String> {
        self.inner.snapshot_key(stream)
    }

    fn import(&mut self, batches: Vec<(AccountId, Version, Vec<Envelope>)>) -> Result<(), StoreError> {
        for (stream, _, _) in &batches {
            if self.view(stream)?.is_some() {
                let reason = format!("account {stream} has pending events: import it once they are confirmed");
                return Err(StoreError::Unavailable { reason });
            }
        }
        self.inner.import(batches)
    }

    fn snapshot_limit(&self, stream: &AccountId) -> Result<Option<Version>, StoreError> {
        Ok(self.view(stream)?.map(|view| view.base))
    }

    fn save_snapshot(&mut self, stream: &AccountId, snapshot: &Snapshot) -> Result<(), StoreError> {
        // A snapshot covers confirmed events only: pending ones may yet be
        // decided again.
        match self.view(stream)? {
            Some(view) if snapshot.version > view.base => Ok(()),
            _ => self.inner.save_snapshot(stream, snapshot),
        }
    }

    fn usage(&mut self) -> Result<Option<Usage>, StoreError> {
        EventStore::usage(&mut self.inner)
    }

    fn noticed(&mut self, write: OutsideWrite<'_>) -> Stale {
        let keys = self.inner.keys();
        match write.key {
            Some(key) if keys.is_sync(key) => {
                let stream = keys.pending_stream(key);
                if let Some(stream) = &stream {
                    self.logs.borrow_mut().remove(stream);
                }
                Stale { everything: false, list: stream.is_some(), stream }
            }
            _ => {
                if write.key.is_none() {
                    self.logs.borrow_mut().clear();
                }
                self.inner.noticed(write)
            }
        }
    }

    fn become_writer(&mut self) -> Result<Migration, StoreError> {
        self.logs.borrow_mut().clear();
        self.inner.become_writer()
    }
}
