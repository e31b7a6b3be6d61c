//! Checking a whole stream: `Ledger::verify`.

use super::cached::Cached;
use super::{Ledger, LedgerError, Verification};
use crate::clock::{Clock, IdGenerator};
use crate::domain::{AccountId, Version};
use crate::store::{EventStore, StoreError};

impl<S: EventStore, C: Clock, G: IdGenerator> Ledger<S, C, G> {
    /// Checks the whole stored stream of `id` from the first event: every
    /// record readable, every hash linking to the one before, every event one
    /// the rules allow. Snapshots play no part. A damaged segment is reported
    /// at its first version: the chain shows that something in it changed,
    /// not which line.
    pub fn verify(&self, id: &AccountId) -> Result<Verification, LedgerError> {
        const PAGE: usize = 64;
        // A snapshot the store would hand out must be what the events make
        // at its version. One that fails the store's own checks is ignored
        // by every load anyway (and replaced by the next).
        let snapshot = self.store.snapshot(id).ok().flatten();
        let mut bad_snapshot = None;
        let mut cached = Cached::new(id);
        let mut tip = cached.tip();
        let bad = |version: Version, checked: Version, bad_snapshot| {
            Ok(Verification { ok: false, checked: checked.get(), first_bad_version: Some(version), bad_snapshot })
        };
        loop {
            let checked = tip.version();
            let page = match self.store.read_page(id, checked, PAGE) {
                Ok(page) => page,
                Err(StoreError::Corrupt { .. }) => return bad(checked.next(), checked, bad_snapshot),
                Err(error) => return Err(error.into()),
            };
            if page.is_empty() {
                let ok = bad_snapshot.is_none();
                return Ok(Verification { ok, checked: checked.get(), first_bad_version: None, bad_snapshot });
            }
            for envelope in &page {
                if tip.admit(envelope).is_err() {
                    return bad(envelope.version, tip.version(), bad_snapshot);
                }
                cached.apply(envelope);
                if let Some(snapshot) = snapshot.as_ref().filter(|s| s.version == envelope.version) {
                    let made = cached.snapshot();
                    if made.as_ref().map(|m| (&m.payload, m.head)) != Some((&snapshot.payload, snapshot.head)) {
                        bad_snapshot = Some(snapshot.version);
                    }
                }
            }
        }
    }
}
