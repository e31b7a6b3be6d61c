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

pub use coordination::{change_here, execute, execute_here, other_build};
pub use identity::{new_command_id, BrowserClock, RandomIds};
pub use local_storage::LocalStorageKv;

use crate::{KvStore, Ledger, LedgerError, OutsideWrite, StoreError};

/// The namespace of the app's keys in localStorage: `ledger/v2/…`.
pub const NAMESPACE: &str = "ledger";

/// The ledger as the app runs it.
pub type BrowserLedger = Ledger<KvStore<LocalStorageKv>, BrowserClock, RandomIds>;

/// A ledger over this page's localStorage, with its keys under `namespace`.
/// Data still in format 1 is read as it is; the tab that writes rewrites it
/// in format 2 when it takes the lead (coordination.rs).
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

/// Tells every listener that the ledger changed (they re-read it, which may
/// load accounts from snapshots: those are vouched for when idle).
pub fn notify_change() {
    let listeners = LISTENERS.with(|listeners| listeners.try_borrow().map(|l| l.clone()).unwrap_or_default());
    for listener in listeners {
        listener();
    }
    vouch_when_idle();
}

/// Another tab wrote to localStorage: the ledger forgets what that made
/// stale (see `KvStore`'s outside.rs), and the page re-reads.
fn on_storage_event(event: web_sys::StorageEvent) {
    LEDGER.with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else { return };
        let Some(ledger) = slot.as_mut() else { return };
        let (key, old, new) = (event.key(), event.old_value(), event.new_value());
        ledger.notice(OutsideWrite { key: key.as_deref(), old: old.as_deref(), new: new.as_deref() });
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

thread_local! {
    static VOUCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Vouches, one account per idle moment, for the accounts loaded from a
/// snapshot (`Ledger::vouch_one`), and shows what that finds: a forged
/// snapshot is named and replaced soon after a load, not at the account's
/// next command. Scheduled after every change; runs once at a time.
pub fn vouch_when_idle() {
    if VOUCHING.with(|v| v.replace(true)) {
        return;
    }
    let step = Closure::once_into_js(|| {
        VOUCHING.with(|v| v.set(false));
        let vouched = LEDGER.with(|cell| cell.try_borrow_mut().ok()?.as_mut()?.vouch_one());
        match vouched {
            Some((_, true)) => notify_change(),
            Some((_, false)) => vouch_when_idle(),
            None => {}
        }
    });
    let Some(window) = web_sys::window() else { return };
    let idle =
        js_sys::Reflect::get(&window, &"requestIdleCallback".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let scheduled = match idle {
        Some(request) => request.call1(&window, &step).is_ok(),
        None => window.set_timeout_with_callback_and_timeout_and_arguments_0(step.unchecked_ref(), 50).is_ok(),
    };
    if !scheduled {
        VOUCHING.with(|v| v.set(false));
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
            vouch_when_idle();
        }
        match slot.as_mut() {
            Some(ledger) => f(ledger),
            None => Err(StoreError::Unavailable { reason: "the ledger could not be opened".into() }.into()),
        }
    })
}
