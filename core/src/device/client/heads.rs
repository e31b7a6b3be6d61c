//! Comparing this device's confirmed streams with the server's heads: the
//! server is the witness, and an account whose history here is not the
//! server's is left alone until the user decides.

use std::collections::HashSet;

use super::{confirmed_tip, DeviceLedger, Progress, SyncClient, SyncError};
use crate::domain::{AccountId, Version};
use crate::store::{ChainHash, EventStore, KeyValue};
use crate::{Clock, IdGenerator};

/// An account whose confirmed history here is not the server's: edited
/// behind the app's back, or made apart from it before the device synced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    pub account: AccountId,
    /// The first version at which the two differ (or may).
    pub version: Version,
    pub reason: String,
}

impl SyncClient {
    /// Accounts whose confirmed history is not the server's: sync leaves
    /// them alone until the user decides.
    pub fn divergences(&self) -> impl Iterator<Item = &Divergence> {
        self.differs.values()
    }

    /// The account is to be synced again from scratch (restored from the
    /// server, or the user chose to keep syncing it).
    pub fn forgive(&mut self, account: &AccountId) {
        self.differs.remove(account);
        self.server_versions.remove(account);
    }
    pub(super) fn differ(&mut self, account: &AccountId, version: Version, reason: String) {
        self.differs.entry(account.clone()).or_insert(Divergence { account: account.clone(), version, reason });
    }

    /// Compares the server's head of every account (version and hash, from
    /// `GET /sync/accounts`) with this device's confirmed streams. An
    /// account the server lacks, or holds a prefix of, is to be uploaded;
    /// one it holds more of is read (a gap); one whose head differs where
    /// both reach is a divergence: the server is the witness.
    pub fn compare<K: KeyValue, C: Clock, G: IdGenerator>(
        &mut self,
        ledger: &mut DeviceLedger<K, C, G>,
        heads: impl IntoIterator<Item = (AccountId, Version, ChainHash)>,
    ) -> Result<Progress, SyncError> {
        let mut progress = Progress::default();
        let mut seen = HashSet::new();
        for (account, version, hash) in heads {
            seen.insert(account.clone());
            if self.differs.contains_key(&account) {
                continue;
            }
            self.server_versions.insert(account.clone(), version);
            let (confirmed, tip) = confirmed_tip(ledger, &account)?;
            if confirmed < version {
                progress.gaps.push((account, confirmed));
                continue;
            }
            let here = match (confirmed == version, version.get().checked_sub(1)) {
                (true, _) | (false, None) => tip.hash,
                (false, Some(before)) => {
                    let held = ledger.store().inner().read_page(&account, Version::new(before), 1)?;
                    held.first().map_or(ChainHash::GENESIS, |event| event.hash)
                }
            };
            if here != hash {
                let reason = format!("event {version} here is not the server's: this copy was changed, or made apart from it");
                self.differ(&account, version, reason);
            }
        }
        // Accounts with confirmed events the server lacks: upload them whole.
        let ids = ledger.store().inner().streams()?.ids;
        for account in ids.into_iter().filter(|id| !seen.contains(id)) {
            self.server_versions.insert(account, Version::EMPTY);
        }
        Ok(progress)
    }
}
