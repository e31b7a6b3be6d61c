//! The ledger and its storage: how full it is, and what others wrote to it.

use super::{Ledger, LedgerError, Overview};
use crate::clock::{Clock, IdGenerator};
use crate::store::{EventStore, Migration, OutsideWrite};

/// How full storage is: `storage_status()` in the JS API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StorageStatus {
    pub used_units: u64,
    pub quota_units: u64,
    /// Events stored in the accounts that can be read.
    pub events: u64,
    /// How many more events of the average size fit.
    pub est_events_left: u64,
}

impl StorageStatus {
    /// Used share of the quota, 0 to 1 (more if the quota guess was high).
    pub fn fraction_used(&self) -> f64 {
        self.used_units as f64 / self.quota_units.max(1) as f64
    }
}

/// A typical stored event (format 2, with a UUID), for estimates before
/// there is anything to measure.
const TYPICAL_EVENT_UNITS: u64 = 40;

impl<S: EventStore, C: Clock, G: IdGenerator> Ledger<S, C, G> {
    /// What the ledger uses of its store's room, and about how many more
    /// events fit; `None` for a store without a limit to speak of.
    pub fn storage_status(&mut self) -> Result<Option<StorageStatus>, LedgerError> {
        let overview = self.accounts()?;
        self.storage_status_of(&overview)
    }

    /// The same, for the accounts `overview` (just read) lists.
    pub fn storage_status_of(&mut self, overview: &Overview) -> Result<Option<StorageStatus>, LedgerError> {
        let Some(usage) = self.store.usage()? else { return Ok(None) };
        let events: u64 = overview.accounts.accounts.iter().map(|a| a.version.get()).sum();
        let used_units = u64::try_from(usage.used_units).unwrap_or(u64::MAX);
        let quota_units = u64::try_from(usage.quota_units).unwrap_or(u64::MAX);
        let per_event = used_units.checked_div(events).unwrap_or(TYPICAL_EVENT_UNITS).max(1);
        let est_events_left = quota_units.saturating_sub(used_units) / per_event;
        Ok(Some(StorageStatus { used_units, quota_units, events, est_events_left }))
    }

    /// Whether storage is far from full (under half the room it has shown):
    /// a write refused for room now is worth trying again a moment later.
    pub fn far_from_full(&mut self) -> bool {
        matches!(self.store.usage(), Ok(Some(usage)) if usage.used_units < usage.quota_units / 2)
    }

    /// Another writer changed the storage: forgets what it made stale.
    pub fn notice(&mut self, write: OutsideWrite<'_>) {
        let stale = self.store.noticed(write);
        if stale.everything {
            self.forget();
        }
        if let Some(stream) = &stale.stream {
            self.forget_stream(stream);
        }
        if stale.list {
            self.rescan();
        }
    }

    /// This ledger becomes the one writer of its storage, once every write
    /// of the writer before it has arrived: the list of streams is read
    /// afresh, and data of earlier formats is brought up to date. Cached
    /// accounts stay: each catches up on its next read (every read does),
    /// and its new events must link to what it has seen.
    pub fn become_writer(&mut self) -> Result<Migration, LedgerError> {
        self.rescan();
        Ok(self.store.become_writer()?)
    }
}
