//! Without Web Locks (an insecure context such as plain http on a LAN
//! address, an old browser, or a lock request that fails) one tab still
//! writes alone: the one holding a lease kept in storage, [`LEASE`]:
//! `{tab} {expires at, ms since the epoch}`.
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

use std::cell::{Cell, RefCell};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::sleep;
use crate::browser::{new_command_id, LocalStorageKv};
use crate::KeyValue;

/// The key of the lease: outside the store's `ledger/v2/` and `ledger/v1/`
/// keys, like the hand-over's mark.
pub const LEASE: &str = "ledger/tabs/lease";
const TERM_MS: f64 = 3_000.0;
const RENEW_MS: i32 = 1_000;
const CONFIRM_MS: i32 = 50;

thread_local! {
    static ME: String = new_command_id().as_str().to_owned();
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static HOLDING: Cell<bool> = const { Cell::new(false) };
    static ON_GAIN: RefCell<Option<fn()>> = const { RefCell::new(None) };
    static ON_FOLLOW: RefCell<Option<fn()>> = const { RefCell::new(None) };
}

fn me() -> String {
    ME.with(Clone::clone)
}

/// Whether this tab writes by the lease rather than by a Web Lock.
pub fn active() -> bool {
    ACTIVE.with(Cell::get)
}

fn read(kv: &LocalStorageKv) -> Option<(String, f64)> {
    let text = kv.get(LEASE).ok().flatten()?;
    let (holder, expires) = text.split_once(' ')?;
    Some((holder.to_owned(), expires.parse().ok()?))
}

fn write_mine(kv: &mut LocalStorageKv) -> bool {
    kv.set(LEASE, &format!("{} {}", me(), js_sys::Date::now() + TERM_MS)).is_ok()
}

/// Before this tab writes by the lease: whether it still holds it (renewed
/// when less than half its term is left). Found another's, this tab stops
/// writing.
pub fn still_mine() -> bool {
    let Ok(mut kv) = LocalStorageKv::open() else { return false };
    match read(&kv) {
        Some((holder, expires)) if holder == me() => {
            if expires - js_sys::Date::now() < TERM_MS / 2.0 {
                write_mine(&mut kv);
            }
            true
        }
        _ => {
            lose();
            false
        }
    }
}

fn lose() {
    HOLDING.with(|h| h.set(false));
    follow();
}

fn follow() {
    if let Some(on_follow) = ON_FOLLOW.with(|f| *f.borrow()) {
        on_follow();
    }
}

/// Takes the lease if it is free, and keeps it if it still reads as this
/// tab's a moment later.
async fn try_take() {
    let Ok(mut kv) = LocalStorageKv::open() else { return };
    let free = read(&kv).is_none_or(|(holder, expires)| holder == me() || expires <= js_sys::Date::now());
    if !free || !write_mine(&mut kv) {
        return follow();
    }
    sleep(CONFIRM_MS).await;
    if read(&kv).is_none_or(|(holder, _)| holder != me()) {
        return follow();
    }
    if !HOLDING.with(|h| h.replace(true)) {
        if let Some(on_gain) = ON_GAIN.with(|f| *f.borrow()) {
            on_gain();
        }
    }
}

/// Starts writing by the lease: `on_gain` runs when this tab takes it,
/// `on_follow` whenever it finds the lease another's.
pub fn start(on_gain: fn(), on_follow: fn()) {
    if ACTIVE.with(|a| a.replace(true)) {
        return;
    }
    ON_GAIN.with(|f| *f.borrow_mut() = Some(on_gain));
    ON_FOLLOW.with(|f| *f.borrow_mut() = Some(on_follow));
    wasm_bindgen_futures::spawn_local(try_take());
    let Some(window) = web_sys::window() else { return };
    // The holder renews; the others try to take an expired lease.
    let tick = Closure::<dyn Fn()>::new(|| {
        if HOLDING.with(Cell::get) {
            still_mine();
        } else {
            wasm_bindgen_futures::spawn_local(try_take());
        }
    });
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), RENEW_MS);
    // A lease given back is taken at once, not at the next tick.
    let on_storage = Closure::<dyn Fn(web_sys::StorageEvent)>::new(|event: web_sys::StorageEvent| {
        if event.key().as_deref() == Some(LEASE) && event.new_value().is_none() && !HOLDING.with(Cell::get) {
            wasm_bindgen_futures::spawn_local(try_take());
        }
    });
    let on_hide = Closure::<dyn Fn()>::new(|| {
        if HOLDING.with(|h| h.replace(false)) {
            if let Ok(mut kv) = LocalStorageKv::open() {
                let _ = kv.remove(LEASE);
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
