//! The storage governor's view: how full storage is.

use super::{Ledger, LedgerError};
use crate::clock::{Clock, IdGenerator};
use crate::store::{KeyValue, KvStore};

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

impl<K: KeyValue, C: Clock, G: IdGenerator> Ledger<KvStore<K>, C, G> {
    /// What the ledger uses of the storage quota, and about how many more
    /// events fit.
    pub fn storage_status(&mut self) -> Result<StorageStatus, LedgerError> {
        let usage = self.store.usage()?;
        let events: u64 = self.accounts()?.accounts.accounts.iter().map(|a| a.version.get()).sum();
        let used_units = u64::try_from(usage.used_units).unwrap_or(u64::MAX);
        let quota_units = u64::try_from(usage.quota_units).unwrap_or(u64::MAX);
        let per_event = used_units.checked_div(events).unwrap_or(TYPICAL_EVENT_UNITS).max(1);
        Ok(StorageStatus { used_units, quota_units, events, est_events_left: quota_units.saturating_sub(used_units) / per_event })
    }
}
