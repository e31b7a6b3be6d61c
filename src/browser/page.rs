//! The page's ledger: one handle, made once when the page starts, that the
//! UI (through Leptos context) and the JS API share. It owns the ledger over
//! localStorage, the listeners that redraw the page, and this tab's place
//! among the origin's tabs (coordination/).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::coordination::Tabs;
use super::persistence::Keeping;
use super::sync::Syncing;
use super::{BrowserClock, LocalStorageKv, RandomIds, Scope};
use crate::{KvStore, Ledger, LedgerError, OutsideWrite, StoreError, SyncedStore};

/// The ledger over localStorage, as the app runs it: confirmed streams and,
/// while a server is linked, pending logs (ledger_core's `device`).
pub type AppLedger = Ledger<SyncedStore<LocalStorageKv>, BrowserClock, RandomIds>;

/// A ledger over this page's localStorage, with its keys under `namespace`,
/// on its own: no other tab is asked whether it may write. For tests and
/// tools; the app uses [`BrowserLedger::page`].
pub fn open_ledger(namespace: &str) -> Result<AppLedger, StoreError> {
    let kv = LocalStorageKv::open()?;
    Ok(Ledger::new(SyncedStore::new(KvStore::new(kv, namespace)), BrowserClock, RandomIds))
}

/// The page's ledger and its place among the origin's tabs. A handle:
/// clones share one ledger.
#[derive(Clone)]
pub struct BrowserLedger(Rc<Page>);

/// A listener's number (to stop it) and what it runs.
type Listener = (u64, Rc<dyn Fn()>);

struct Page {
    ledger: RefCell<AppLedger>,
    listeners: RefCell<Vec<Listener>>,
    next_listener: Cell<u64>,
    vouching: Cell<bool>,
    tabs: Tabs,
    syncing: Syncing,
    keeping: Keeping,
}

thread_local! {
    /// The page's one handle, for the JS API, whose exported functions have
    /// no other way to reach it. Set once, by [`BrowserLedger::page`].
    static PAGE: RefCell<Option<BrowserLedger>> = const { RefCell::new(None) };
}

impl BrowserLedger {
    /// The page's ledger: opened by the first call (localStorage opened
    /// under this copy's namespace (scope.rs), other tabs' writes listened
    /// to, the tab that writes looked for), the same handle after that.
    pub fn page() -> Result<BrowserLedger, LedgerError> {
        if let Some(page) = PAGE.with(|page| page.borrow().clone()) {
            return Ok(page);
        }
        let scope = Scope::here();
        let page = BrowserLedger(Rc::new(Page {
            ledger: RefCell::new(open_ledger(&scope.namespace())?),
            listeners: RefCell::default(),
            next_listener: Cell::new(0),
            vouching: Cell::new(false),
            tabs: Tabs::new(scope),
            syncing: Syncing::default(),
            keeping: Keeping::default(),
        }));
        PAGE.with(|slot| *slot.borrow_mut() = Some(page.clone()));
        page.listen_to_other_tabs();
        page.start_coordination();
        page.vouch_when_idle();
        page.read_persistence();
        Ok(page)
    }

    /// Runs `f` on the ledger. A call made from inside another is refused
    /// rather than allowed to panic.
    pub fn with<T>(&self, f: impl FnOnce(&mut AppLedger) -> Result<T, LedgerError>) -> Result<T, LedgerError> {
        let Ok(mut ledger) = self.0.ledger.try_borrow_mut() else {
            return Err(StoreError::Unavailable { reason: "the ledger is busy with another call".into() }.into());
        };
        f(&mut ledger)
    }

    /// Whether another call has the ledger now (a call nested inside it,
    /// which must wait for it to end rather than be refused).
    pub fn is_busy(&self) -> bool {
        self.0.ledger.try_borrow_mut().is_err()
    }

    /// Calls `listener` whenever the ledger changed: after a command in this
    /// tab or another, or another tab's write (the `storage` event), until
    /// [`BrowserLedger::stop_listening`] with what this returns.
    pub fn on_change(&self, listener: impl Fn() + 'static) -> u64 {
        let id = self.0.next_listener.get();
        self.0.next_listener.set(id + 1);
        if let Ok(mut listeners) = self.0.listeners.try_borrow_mut() {
            listeners.push((id, Rc::new(listener)));
        }
        id
    }

    pub fn stop_listening(&self, listener: u64) {
        if let Ok(mut listeners) = self.0.listeners.try_borrow_mut() {
            listeners.retain(|(id, _)| *id != listener);
        }
    }

    /// Tells every listener that the ledger changed (they re-read it, which
    /// may load accounts from snapshots: those are vouched for when idle).
    pub fn changed(&self) {
        let listeners: Vec<Rc<dyn Fn()>> =
            self.0.listeners.try_borrow().map(|l| l.iter().map(|(_, f)| f.clone()).collect()).unwrap_or_default();
        for listener in listeners {
            listener();
        }
        self.vouch_when_idle();
    }

    pub(super) fn tabs(&self) -> &Tabs {
        &self.0.tabs
    }

    pub(super) fn sync_state(&self) -> &Syncing {
        &self.0.syncing
    }

    pub(super) fn keeping(&self) -> &Keeping {
        &self.0.keeping
    }

    /// Another tab wrote to localStorage: the ledger forgets what that made
    /// stale (see the store's outside.rs), and the page re-reads.
    fn listen_to_other_tabs(&self) {
        let Some(window) = web_sys::window() else { return };
        let page = self.clone();
        let callback = Closure::<dyn Fn(web_sys::StorageEvent)>::new(move |event: web_sys::StorageEvent| {
            let (key, old, new) = (event.key(), event.old_value(), event.new_value());
            let write = OutsideWrite { key: key.as_deref(), old: old.as_deref(), new: new.as_deref() };
            let _ = page.with(|ledger| {
                ledger.notice(write);
                Ok(())
            });
            if let Some(key) = key.as_deref() {
                page.heard_sync_write(key, new.as_deref());
            }
            page.changed();
        });
        if window.add_event_listener_with_callback("storage", callback.as_ref().unchecked_ref()).is_ok() {
            // The listener lives as long as the page.
            callback.forget();
        }
    }

    /// Vouches, one account per idle moment, for the accounts loaded from a
    /// snapshot (`Ledger::vouch_one`), and shows what that finds: a forged
    /// snapshot is named and replaced soon after a load, not at the
    /// account's next command. Scheduled after every change; runs once at a
    /// time.
    fn vouch_when_idle(&self) {
        if self.0.vouching.replace(true) {
            return;
        }
        let page = self.clone();
        let step = Closure::once_into_js(move || {
            page.0.vouching.set(false);
            match page.with(|ledger| Ok(ledger.vouch_one())) {
                Ok(Some((_, true))) => page.changed(),
                Ok(Some((_, false))) => page.vouch_when_idle(),
                Ok(None) | Err(_) => {}
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
            self.0.vouching.set(false);
        }
    }
}

impl fmt::Debug for BrowserLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrowserLedger").field("tabs", &self.0.tabs).finish_non_exhaustive()
    }
}
