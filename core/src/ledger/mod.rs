//! The application service: the one path every command takes, from the JS
//! API and from the UI alike.
//!
//! ```text
//! cached state ─catch up─▶ decide ─▶ append(expected version) ─▶ apply ─▶ state
//!                 ▲                         │ conflict: another writer got there first
//!                 └─────────────────────────┘ (retried, up to MAX_ATTEMPTS)
//! ```
//!
//! Each account's state is cached after its first load; a command then reads
//! only what is new (nothing, usually), so its cost does not grow with the
//! stream.

mod cached;
mod command;
mod error;
mod facts;
mod portable;
mod status;
mod step;
mod verify;
mod vouch;

use std::collections::{BTreeSet, HashMap};

use cached::Cached;
pub use command::CommandRequest;
pub use error::LedgerError;
pub use portable::ImportReport;
pub use status::StorageStatus;
pub use step::{step, Append, Done, Refusal, Step};

use crate::clock::{Clock, IdGenerator};
use crate::domain::projection::AccountsOverview;
use crate::domain::{AccountId, AccountState, Event, Money, Version};
use crate::store::{Damage, Envelope, EventStore, StoreError, StreamList, Tip};

/// How often a command is tried when other writers keep moving the stream.
pub const MAX_ATTEMPTS: u32 = 5;

/// How many events an account gets between snapshots, unless
/// [`Ledger::with_snapshot_every`] says otherwise.
pub const SNAPSHOT_EVERY: u64 = 256;

/// What [`Ledger::verify`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Verification {
    pub ok: bool,
    /// How many events were checked and found sound.
    pub checked: u64,
    pub first_bad_version: Option<Version>,
    /// The version of a stored snapshot that is not what the events make
    /// (its payload was changed): the events may be sound, the shortcut is not.
    pub bad_snapshot: Option<Version>,
}

/// Every healthy account, and every piece of stored data that is not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overview {
    pub accounts: AccountsOverview,
    pub damaged: Vec<Damage>,
}

/// The ledger over an event store, a clock and an id source.
#[derive(Debug)]
pub struct Ledger<S, C, G> {
    store: S,
    clock: C,
    ids: G,
    cache: HashMap<AccountId, Cached>,
    /// The streams known to exist and the damage seen by the last scan of
    /// the store; `None` until the first scan, or after [`Ledger::rescan`].
    known: Option<(BTreeSet<AccountId>, Vec<Damage>)>,
    /// Snapshots found not to match their events and replaced, this session.
    replaced: Vec<Damage>,
    /// Accounts whose events behind their snapshot turned out damaged: not
    /// served from the snapshot again until storage changes (`forget`).
    unsound: HashMap<AccountId, StoreError>,
    snapshot_every: u64,
}

impl<S: EventStore, C: Clock, G: IdGenerator> Ledger<S, C, G> {
    pub fn new(store: S, clock: C, ids: G) -> Self {
        Ledger {
            store,
            clock,
            ids,
            cache: HashMap::new(),
            known: None,
            replaced: Vec::new(),
            unsound: HashMap::new(),
            snapshot_every: SNAPSHOT_EVERY,
        }
    }

    /// Snapshots every `events` events of an account (at least 1).
    pub fn with_snapshot_every(mut self, events: u64) -> Self {
        self.snapshot_every = events.max(1);
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The account's current state, `None` if it does not exist:
    /// `GET /accounts/{id}`.
    pub fn account(&mut self, id: &AccountId) -> Result<Option<AccountState>, LedgerError> {
        self.with_current(id, |cached| cached.account.state())
    }

    /// The account's events, oldest first: `GET /accounts/{id}/events`.
    pub fn events(&self, id: &AccountId) -> Result<Vec<Event>, LedgerError> {
        Ok(self.history(id)?.into_iter().map(|envelope| envelope.event).collect())
    }

    /// The account's events with their envelopes, oldest first, checked as
    /// a load is.
    pub fn history(&self, id: &AccountId) -> Result<Vec<Envelope>, LedgerError> {
        Ok(self.store.read_from(id, &mut Tip::new(id), None)?)
    }

    /// At most `max` envelopes after version `after`: one page of history,
    /// read without touching the rest of the stream.
    pub fn history_page(&self, id: &AccountId, after: Version, max: usize) -> Result<Vec<Envelope>, LedgerError> {
        Ok(self.store.read_page(id, after, max)?)
    }

    /// The balance after each event, oldest first (index 0 is version 1).
    pub fn balances(&mut self, id: &AccountId) -> Result<Vec<Money>, LedgerError> {
        self.with_complete(id, |cached| cached.balances().to_vec())
    }

    /// The state after the first `version` events (time travel); `None` for
    /// version 0, before the account was opened.
    pub fn account_at(&mut self, id: &AccountId, version: Version) -> Result<Option<AccountState>, LedgerError> {
        // Before a snapshot the account was loaded from, the timeline must
        // reach back to the first event.
        let complete = self.with_current(id, |cached| version < cached.base)?;
        let read = |cached: &Cached| {
            let current = cached.account.version();
            if version > current {
                return Err(LedgerError::InvalidVersion { id: id.clone(), requested: version.get(), current });
            }
            Ok(cached.state_at(version))
        };
        match complete {
            true => self.with_complete(id, read)?,
            false => self.with_current(id, read)?,
        }
    }

    /// Every account's state, sorted by id (the read model), and what could
    /// not be read. One damaged account does not hide the others.
    ///
    /// The store's keys are scanned once; after that the ledger remembers
    /// which streams exist (it creates them itself) until [`Ledger::rescan`].
    pub fn accounts(&mut self) -> Result<Overview, LedgerError> {
        let (ids, mut damaged) = match &self.known {
            Some((ids, damaged)) => (ids.clone(), damaged.clone()),
            None => {
                let StreamList { ids, damaged } = self.store.streams()?;
                let ids: BTreeSet<AccountId> = ids.into_iter().collect();
                self.known = Some((ids.clone(), damaged.clone()));
                (ids, damaged)
            }
        };
        let mut states = Vec::with_capacity(ids.len());
        for id in ids {
            match self.account(&id) {
                Ok(Some(state)) => states.push(state),
                Ok(None) => {}
                Err(LedgerError::Store(StoreError::Corrupt { key, reason })) => damaged.push(Damage { key, reason }),
                Err(error) => return Err(error),
            }
        }
        damaged.extend(self.found_damage());
        damaged.sort_by(|a, b| a.key.cmp(&b.key));
        damaged.dedup();
        Ok(Overview { accounts: AccountsOverview::new(states), damaged })
    }

    /// Forgets everything cached: the next reads load from the store again.
    pub fn forget(&mut self) {
        self.cache.clear();
        self.known = None;
        self.unsound.clear();
    }

    /// Forgets one account's cached state: it is loaded and checked afresh.
    pub fn forget_stream(&mut self, id: &AccountId) {
        self.cache.remove(id);
        self.unsound.remove(id);
    }

    /// Forgets which streams exist, so the next [`Ledger::accounts`] scans
    /// the store again: for when another writer (a tab) may have added some.
    pub fn rescan(&mut self) {
        self.known = None;
    }

    /// Runs `f` on the up-to-date cached account `id`.
    fn with_current<T>(&mut self, id: &AccountId, f: impl FnOnce(&Cached) -> T) -> Result<T, LedgerError> {
        let mut cached = self.checkout(id)?;
        let result = self.catch_up(&mut cached).map(|()| f(&cached));
        self.keep(cached);
        result
    }

    /// Like [`Ledger::with_current`], with the account loaded back to its
    /// first event.
    fn with_complete<T>(&mut self, id: &AccountId, f: impl FnOnce(&Cached) -> T) -> Result<T, LedgerError> {
        let mut cached = self.checkout(id)?;
        let result = self.catch_up(&mut cached).and_then(|()| self.vouch(&mut cached)).map(|()| f(&cached));
        self.keep(cached);
        result
    }

    /// Brings `cached` up to date with the store: reads only the events past
    /// its version, or everything again if the stream was cut short under
    /// us. The store admits each to the stream (see [`crate::store::Tip`]):
    /// a history that is damaged or foreign changes nothing here.
    fn catch_up(&self, cached: &mut Cached) -> Result<(), LedgerError> {
        let id = cached.account.id().clone();
        let mut tip = cached.tip();
        let new = match self.store.read_from(&id, &mut tip, None) {
            Ok(new) => new,
            Err(StoreError::Conflict { .. }) => {
                let fresh = Cached::new(&id);
                let new = self.store.read_from(&id, &mut fresh.tip(), None)?;
                *cached = fresh;
                new
            }
            Err(error) => return Err(error.into()),
        };
        for envelope in &new {
            cached.apply(envelope);
        }
        Ok(())
    }

    /// Takes the cached account out of the cache, or loads it: from its
    /// latest snapshot and the events after it when the store has a sound
    /// one, from the first event otherwise.
    fn checkout(&mut self, id: &AccountId) -> Result<Cached, LedgerError> {
        if let Some(error) = self.unsound.get(id) {
            return Err(error.clone().into());
        }
        if let Some(cached) = self.cache.remove(id) {
            return Ok(cached);
        }
        let snapshot = self.store.snapshot(id)?;
        Ok(snapshot.and_then(|s| Cached::from_snapshot(id, &s)).unwrap_or_else(|| Cached::new(id)))
    }

    /// Caches accounts that exist (unknown ids asked about cost no memory),
    /// and stores a snapshot when enough events have passed since the last.
    fn keep(&mut self, mut cached: Cached) {
        let version = cached.account.version();
        if version == Version::EMPTY {
            return;
        }
        // Up to the version the store allows (a device's confirmed events).
        let upto = match self.store.snapshot_limit(cached.account.id()) {
            Ok(limit) => limit.map_or(version, |limit| limit.min(version)),
            Err(_) => Version::EMPTY,
        };
        if upto.get().saturating_sub(cached.snapshot_at.get()) >= self.snapshot_every {
            if let Some(snapshot) = self.snapshot_of(&cached, upto) {
                // A snapshot is only a shortcut: when it can't be stored (a
                // full quota), loads take the longer way.
                if self.store.save_snapshot(cached.account.id(), &snapshot).is_ok() {
                    cached.snapshot_at = upto;
                }
            }
        }
        self.cache.insert(cached.account.id().clone(), cached);
    }

    /// A snapshot of `cached` as of `version`: now, or an earlier version
    /// whose hash the store gives.
    fn snapshot_of(&self, cached: &Cached, version: Version) -> Option<crate::store::Snapshot> {
        if version == cached.account.version() {
            return cached.snapshot();
        }
        let before = Version::new(version.get().checked_sub(1)?);
        let head = self.store.read_page(cached.account.id(), before, 1).ok()?.first()?.hash;
        cached.snapshot_at_version(version, head)
    }
}
