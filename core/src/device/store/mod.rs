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

mod changes;
mod events;
mod notes;

pub use changes::Adopted;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::log::PendingLog;
use super::rebase::{held, rebase, Rebased};
use crate::domain::{AccountId, Version};
use crate::store::segment::segment_of;
use crate::store::{ChainHash, Damage, Envelope, EventStore, KeyValue, KvStore, Sequence, StoreError, Tip};

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
