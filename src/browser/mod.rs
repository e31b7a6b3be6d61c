//! The browser's side of the ports the core defines: localStorage as the
//! key-value map, `Date.now()` as the clock, `crypto.getRandomValues` for event
//! ids; and the one ledger the JS API and the UI share.

mod coordination;
mod identity;
mod local_storage;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

pub use coordination::execute;
pub use identity::{new_command_id, BrowserClock, RandomIds};
pub use local_storage::LocalStorageKv;

use crate::domain::Version;
use crate::ledger::{Ledger, LedgerError};
use crate::store::{KeyKind, KvStore, StoreError};

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
    static LISTENERS: RefCell<Vec<Rc<dyn Fn()>>> = const { RefCell::new(Vec::new()) };
}

/// Calls `listener` whenever the ledger changed: after a command through the
/// JS API, or a write by another tab (the `storage` event).
pub fn on_change(listener: impl Fn() + 'static) {
    LISTENERS.with(|listeners| {
        if let Ok(mut listeners) = listeners.try_borrow_mut() {
            listeners.push(Rc::new(listener));
        }
    });
}

/// Tells every listener that the ledger changed.
pub fn notify_change() {
    let listeners = LISTENERS.with(|listeners| listeners.try_borrow().map(|l| l.clone()).unwrap_or_default());
    for listener in listeners {
        listener();
    }
}

/// Another tab wrote to localStorage. Its new events are read on the next
/// look at their account anyway; a new stream (a version-1 key), a cleared
/// storage or a foreign key means the list of accounts must be scanned again,
/// and a changed event means its stream must be checked again.
fn on_storage_event(event: web_sys::StorageEvent) {
    LEDGER.with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else { return };
        let Some(ledger) = slot.as_mut() else { return };
        ledger.store().kv().forget_usage();
        let rescan = match event.key() {
            None => true,
            Some(key) => match ledger.store().keys().classify(&key) {
                KeyKind::Event { stream, version } => {
                    // The writing tab never changes a stored event: a change
                    // is damage, so load and check that stream afresh.
                    if event.old_value().is_some() {
                        ledger.forget_stream(&stream);
                    }
                    version == Version::EMPTY.next()
                }
                KeyKind::Unknown => true,
                KeyKind::Sequence | KeyKind::NotOurs => false,
            },
        };
        if rescan {
            ledger.rescan();
        }
    });
    notify_change();
}

fn listen_to_other_tabs() {
    let Some(window) = web_sys::window() else { return };
    let callback = Closure::<dyn Fn(web_sys::StorageEvent)>::new(on_storage_event);
    if window.add_event_listener_with_callback("storage", callback.as_ref().unchecked_ref()).is_ok() {
        // The listener lives as long as the page.
        callback.forget();
    }
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
            listen_to_other_tabs();
            coordination::start();
        }
        match slot.as_mut() {
            Some(ledger) => f(ledger),
            None => Err(StoreError::Unavailable { reason: "the ledger could not be opened".into() }.into()),
        }
    })
}
