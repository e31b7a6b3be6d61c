//! Vouching for an account loaded from a snapshot: the events behind the
//! snapshot are read (hashes and rules checked) and must make exactly the
//! snapshot, before anything derived from it decides a command. A snapshot
//! that is not what they make is replaced and reported.

use super::cached::Cached;
use super::{Ledger, LedgerError};
use crate::clock::{Clock, IdGenerator};
use crate::domain::{AccountId, Version};
use crate::store::{Damage, EventStore, StoreError};

impl<S: EventStore, C: Clock, G: IdGenerator> Ledger<S, C, G> {
    /// Makes `cached` reach back to the first event (after a load from a
    /// snapshot): for the whole timeline, time travel before the snapshot,
    /// command ids older than the snapshot's recent ones, and before the
    /// first command it decides.
    ///
    /// The events behind the snapshot are read as any load reads them (every
    /// hash recomputed, every rule checked), and must make exactly the
    /// snapshot's payload. `Ok(false)` when they do not: the snapshot was
    /// changed, and nothing of it is kept (see [`Ledger::vouch`]).
    pub(super) fn complete(&self, cached: &mut Cached) -> Result<bool, LedgerError> {
        const PAGE: u64 = 1024;
        if cached.is_complete() {
            return Ok(true);
        }
        let id = cached.account.id().clone();
        let base = cached.base;
        let mut earlier = Cached::new(&id);
        let mut tip = earlier.tip();
        while earlier.account.version() < base {
            let until = Version::new(earlier.account.version().get().saturating_add(PAGE).min(base.get()));
            for envelope in &self.store.read_from(&id, &mut tip, Some(until))? {
                earlier.apply(envelope);
            }
        }
        if earlier.snapshot() != cached.loaded_from {
            return Ok(false);
        }
        match earlier.join(cached.clone()) {
            Some(whole) => *cached = whole,
            None => return Ok(false),
        }
        Ok(true)
    }

    /// Makes `cached` complete (see [`Ledger::complete`]); if its snapshot
    /// turns out not to be what the events make, loads the account from its
    /// events instead, replaces the snapshot with a sound one and reports
    /// the old one as damage. Nothing derived from a snapshot decides a
    /// command, or is verified, before this has run.
    pub(super) fn vouch(&mut self, cached: &mut Cached) -> Result<(), LedgerError> {
        match self.complete(cached) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(LedgerError::Store(error @ StoreError::Corrupt { .. })) => {
                self.unsound.insert(cached.account.id().clone(), error.clone());
                return Err(error.into());
            }
            Err(error) => return Err(error),
        }
        let id = cached.account.id().clone();
        let forged = cached.base;
        *cached = Cached::new(&id);
        self.catch_up(cached)?;
        if let Some(snapshot) = cached.snapshot() {
            // A snapshot is only a shortcut: when it can't be stored, the
            // bad one stays ignored at every load (it fails this check again).
            if self.store.save_snapshot(&id, &snapshot).is_ok() {
                cached.snapshot_at = snapshot.version;
            }
        }
        let key = self.store.snapshot_key(&id).unwrap_or_else(|| id.to_string());
        let reason = format!(
            "the snapshot at version {forged} is not what account {id}'s events make (it was changed); it was replaced by one made from the events"
        );
        self.replaced.retain(|d| d.key != key);
        self.replaced.push(Damage { key, reason });
        Ok(())
    }

    /// Vouches for one cached account that was loaded from a snapshot and
    /// not yet vouched for, and returns which, and whether anything was
    /// found wrong (`None` when there is no such account): for a page to
    /// run in idle time after a load, so that a forged snapshot is found,
    /// replaced and reported soon, not only at the account's next command.
    /// Damage found behind a snapshot makes the account damaged until
    /// storage changes.
    pub fn vouch_one(&mut self) -> Option<(AccountId, bool)> {
        let unvouched = |(id, cached): &(&AccountId, &Cached)| !cached.is_complete() && !self.unsound.contains_key(*id);
        let id = self.cache.iter().find(unvouched).map(|(id, _)| id.clone())?;
        let before = self.replaced.len() + self.unsound.len();
        let _ = self.with_complete(&id, |_| ());
        Some((id, self.replaced.len() + self.unsound.len() != before))
    }

    /// Damage found after a load: snapshots replaced, accounts whose events
    /// behind a snapshot are damaged.
    pub(super) fn found_damage(&self) -> impl Iterator<Item = Damage> + '_ {
        let unsound = self.unsound.values().filter_map(|error| match error {
            StoreError::Corrupt { key, reason } => Some(Damage { key: key.clone(), reason: reason.clone() }),
            StoreError::Conflict { .. } | StoreError::Full | StoreError::Unavailable { .. } => None,
        });
        self.replaced.iter().cloned().chain(unsound)
    }
}
