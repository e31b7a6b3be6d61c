//! The browser's side of the ports the core defines: localStorage as the
//! key-value map, `Date.now()` as the clock, `crypto.getRandomValues` for event
//! ids; and the one ledger the JS API and the UI share.

mod identity;
mod local_storage;

use std::cell::RefCell;

pub use identity::{BrowserClock, RandomIds};
pub use local_storage::LocalStorageKv;

use crate::ledger::{Ledger, LedgerError};
use crate::store::{KvStore, StoreError};

/// The namespace of the app's keys in localStorage: `ledger/v1/…`.
pub const NAMESPACE: &str = "ledger";

/// The ledger as the app runs it.
pub type BrowserLedger = Ledger<KvStore<LocalStorageKv>, BrowserClock, RandomIds>;

/// A ledger over this page's localStorage, with its keys under `namespace`.
pub fn open_ledger(namespace: &str) -> Result<BrowserLedger, StoreError> {
    let kv = LocalStorageKv::open()?;
    Ok(Ledger::new(KvStore::new(kv, namespace), BrowserClock, RandomIds))
}

thread_local! {
    static LEDGER: RefCell<Option<BrowserLedger>> = const { RefCell::new(None) };
}

/// Runs `f` with the page's one ledger, opening it on first use.
pub fn with_ledger<T>(f: impl FnOnce(&mut BrowserLedger) -> Result<T, LedgerError>) -> Result<T, LedgerError> {
    LEDGER.with(|cell| {
        // Only a call made from inside another call could find it borrowed;
        // refuse that instead of panicking.
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return Err(StoreError::Unavailable { reason: "the ledger is busy with another call".into() }.into());
        };
        if slot.is_none() {
            *slot = Some(open_ledger(NAMESPACE)?);
        }
        match slot.as_mut() {
            Some(ledger) => f(ledger),
            None => Err(StoreError::Unavailable { reason: "the ledger could not be opened".into() }.into()),
        }
    })
}
