//! Without Web Locks (an insecure context such as plain http on a LAN
//! address, an old browser, or a lock request that fails) one tab still
//! writes alone: the one holding a lease kept in storage under the copy's
//! lease key (`ledger/tabs/lease` at the root, scope.rs: outside the store's
//! keys, like the hand-over's mark): `{tab} {expires at, ms since the epoch}`.
//!
//! A tab takes the lease when there is none, or it has expired, and keeps it
//! only if it still reads as its own [`CONFIRM_MS`] later (two tabs that
//! wrote it at once: the later write wins, and the other backs off). The
//! holder renews it every [`RENEW_MS`] and before a command when less than
//! half its term is left; it gives it back when its page goes away, and
//! stops writing at once if it ever finds the lease another's. Other tabs
//! send their commands to the holder, as to a lock holder. localStorage
//! has no compare-and-set, so this is a careful best effort, not the
//! guarantee a Web Lock gives: two tabs would both have to act in the same
//! few milliseconds after a lease expired. (Lock and lease never write side
//! by side: browsers lack Web Locks, or refuse a request, for a whole kind
//! of context, an insecure or an opaque origin, not for one tab of many.)

use std::cell::Cell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::election::take_over;
use super::tabs::{sleep, Role, Tabs};
use crate::browser::{new_command_id, BrowserLedger, LocalStorageKv};
use crate::KeyValue;

const TERM_MS: f64 = 3_000.0;
const RENEW_MS: i32 = 1_000;
const CONFIRM_MS: i32 = 50;

/// This tab's side of the lease.
#[derive(Debug)]
pub(super) struct Lease {
    /// The key it is kept under: the copy's (scope.rs).
    key: String,
    /// This tab's name in the lease.
    me: String,
    /// This tab writes by the lease rather than by a Web Lock.
    active: Cell<bool>,
    /// This tab holds the lease.
    holding: Cell<bool>,
}

impl Lease {
    /// This tab's side of the lease kept under `key`.
    pub(super) fn new(key: String) -> Lease {
        Lease { key, me: new_command_id().as_str().to_owned(), active: Cell::new(false), holding: Cell::new(false) }
    }

    /// Whether this tab writes by the lease rather than by a Web Lock.
    pub(super) fn active(&self) -> bool {
        self.active.get()
    }

    fn write_mine(&self, kv: &mut LocalStorageKv) -> bool {
        kv.set(&self.key, &format!("{} {}", self.me, js_sys::Date::now() + TERM_MS)).is_ok()
    }

    fn read(&self, kv: &LocalStorageKv) -> Option<(String, f64)> {
        let text = kv.get(&self.key).ok().flatten()?;
        let (holder, expires) = text.split_once(' ')?;
        Some((holder.to_owned(), expires.parse().ok()?))
    }
}

/// Before this tab writes by the lease: whether it still holds it (renewed
/// when less than half its term is left). Found another's, this tab stops
/// writing.
pub(super) fn still_mine(tabs: &Tabs) -> bool {
    let lease = &tabs.lease;
    let Ok(mut kv) = LocalStorageKv::open() else { return false };
    match lease.read(&kv) {
        Some((holder, expires)) if holder == lease.me => {
            if expires - js_sys::Date::now() < TERM_MS / 2.0 {
                lease.write_mine(&mut kv);
            }
            true
        }
        _ => {
            lease.holding.set(false);
            tabs.role.set(Role::Follower);
            false
        }
    }
}

/// Takes the lease if it is free, and keeps it if it still reads as this
/// tab's a moment later; then this tab takes over as the writer.
async fn try_take(page: BrowserLedger) {
    let tabs = page.tabs();
    let lease = &tabs.lease;
    let Ok(mut kv) = LocalStorageKv::open() else { return };
    let free = lease.read(&kv).is_none_or(|(holder, expires)| holder == lease.me || expires <= js_sys::Date::now());
    if !free || !lease.write_mine(&mut kv) {
        return tabs.role.set(Role::Follower);
    }
    sleep(CONFIRM_MS).await;
    if lease.read(&kv).is_none_or(|(holder, _)| holder != lease.me) {
        return tabs.role.set(Role::Follower);
    }
    if !lease.holding.replace(true) {
        take_over(page.clone(), true, js_sys::Date::now()).await;
    }
}

/// Starts writing by the lease: this tab takes over when it takes the
/// lease, and follows whenever it finds the lease another's.
pub(super) fn start(page: &BrowserLedger) {
    let lease = &page.tabs().lease;
    if lease.active.replace(true) {
        return;
    }
    wasm_bindgen_futures::spawn_local(try_take(page.clone()));
    let Some(window) = web_sys::window() else { return };
    // The holder renews; the others try to take an expired lease.
    let ticking = page.clone();
    let tick = Closure::<dyn Fn()>::new(move || {
        if ticking.tabs().lease.holding.get() {
            still_mine(ticking.tabs());
        } else {
            wasm_bindgen_futures::spawn_local(try_take(ticking.clone()));
        }
    });
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), RENEW_MS);
    // A lease given back is taken at once, not at the next tick.
    let watching = page.clone();
    let on_storage = Closure::<dyn Fn(web_sys::StorageEvent)>::new(move |event: web_sys::StorageEvent| {
        let given_back = event.key().is_some_and(|key| key == watching.tabs().lease.key) && event.new_value().is_none();
        if given_back && !watching.tabs().lease.holding.get() {
            wasm_bindgen_futures::spawn_local(try_take(watching.clone()));
        }
    });
    let leaving = page.clone();
    let on_hide = Closure::<dyn Fn()>::new(move || {
        if leaving.tabs().lease.holding.replace(false) {
            if let Ok(mut kv) = LocalStorageKv::open() {
                let _ = kv.remove(&leaving.tabs().lease.key);
            }
        }
    });
    let _ = window.add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback("pagehide", on_hide.as_ref().unchecked_ref());
    // They live as long as the page.
    tick.forget();
    on_storage.forget();
    on_hide.forget();
}
