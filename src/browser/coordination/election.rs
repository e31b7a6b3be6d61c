//! Which tab writes: the one holding the Web Lock, asked for as the page
//! opens; without Web Locks, or when the browser refuses the request, the
//! one holding the lease (lease.rs). The tab that gets either takes over
//! once the last writer's writes have reached it (handover.rs).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::tabs::Role;
use super::waiting::resend_waiting;
use super::wire::TabMessage as Message;
use super::{handover, lease};
use crate::browser::{new_command_id, BrowserLedger, LocalStorageKv};

/// Asks for the lock. First without waiting, to learn at once whether
/// another tab leads; if one does, this tab follows and queues for the lock,
/// to take over when it is released.
pub(super) fn ask_to_write(page: &BrowserLedger) {
    let locks = web_sys::window()
        .map(|w| js_sys::Reflect::get(&w.navigator(), &"locks".into()).unwrap_or(JsValue::UNDEFINED))
        .filter(|locks| !locks.is_undefined());
    let Some(locks) = locks else {
        return write_by_lease(page);
    };
    let at_once = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&at_once, &"ifAvailable".into(), &JsValue::TRUE);
    let queued_locks = locks.clone();
    let this = page.clone();
    let asked_at = js_sys::Date::now();
    let first = Closure::<dyn FnMut(JsValue) -> js_sys::Promise>::new(move |lock: JsValue| {
        if lock.is_null() {
            this.tabs().role.set(Role::Follower);
            let later_page = this.clone();
            let later = Closure::<dyn FnMut(JsValue) -> js_sys::Promise>::new(move |_lock: JsValue| {
                wasm_bindgen_futures::spawn_local(take_over(later_page.clone(), true, js_sys::Date::now()));
                hold_forever()
            });
            request_lock(&this, &queued_locks, &js_sys::Object::new(), &later);
            later.forget();
            js_sys::Promise::resolve(&JsValue::UNDEFINED)
        } else {
            // Granted at once: the lock was free when it was asked for
            // (the browser decides a moment later), so the last writer
            // was gone by then, however long this page was busy before
            // this callback ran.
            wasm_bindgen_futures::spawn_local(take_over(this.clone(), false, asked_at));
            hold_forever()
        }
    });
    request_lock(page, &locks, &at_once, &first);
    first.forget();
}

/// Without Web Locks, the tab that writes is the one holding the lease
/// (lease.rs).
pub(super) fn write_by_lease(page: &BrowserLedger) {
    lease::start(page);
}

/// The lock is held for as long as this promise is pending: the page's life.
fn hold_forever() -> js_sys::Promise {
    js_sys::Promise::new(&mut |_, _| {})
}

fn request_lock(
    page: &BrowserLedger,
    locks: &JsValue,
    options: &js_sys::Object,
    callback: &Closure<dyn FnMut(JsValue) -> js_sys::Promise>,
) {
    let request = js_sys::Reflect::get(locks, &"request".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let name = JsValue::from_str(&page.tabs().scope.lock());
    let requested = request.and_then(|request| request.call3(locks, &name, options, callback.as_ref().unchecked_ref()).ok());
    match requested.and_then(|p| p.dyn_into::<js_sys::Promise>().ok()) {
        // A request the browser refuses (a sandboxed frame, a security
        // policy) falls back to the lease.
        Some(promise) => {
            let page = page.clone();
            let refused = Closure::<dyn FnMut(JsValue)>::new(move |_| write_by_lease(&page));
            let _ = promise.catch(&refused);
            refused.forget();
        }
        None => write_by_lease(page),
    }
}

/// Becomes the tab that writes: once the last writer's writes have all
/// arrived (handover.rs; the last writer was gone by `free_since`, when the
/// lock or lease was found free), with the list of accounts read afresh,
/// format 1 data migrated, and (`announce`) the other tabs told to resend to
/// this one.
pub(super) async fn take_over(page: BrowserLedger, announce: bool, free_since: f64) {
    let tabs = page.tabs();
    let Ok(mut kv) = LocalStorageKv::open() else {
        tabs.role.set(Role::Leader);
        return;
    };
    handover::settle(&kv, &page.tabs().scope.mark(), free_since).await;
    handover::open(&page, &mut kv, new_command_id().as_str());
    if let Err(error) = page.with(|ledger| ledger.become_writer()) {
        web_sys::console::warn_1(&format!("format 1 data was not migrated yet: {error}").into());
    }
    tabs.role.set(Role::Leader);
    // This tab syncs now; pending events are in storage, so none is left
    // behind by the tab before it.
    page.start_sync();
    if announce {
        tabs.post(&Message::Leader);
    }
    // Requests this tab sent to the old leader are answered here now.
    resend_waiting(tabs);
    page.changed();
}
