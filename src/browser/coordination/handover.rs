//! The hand-over between writing tabs: a new writer must not write before
//! every write of the one before it has reached its copy of localStorage.
//!
//! Each tab's copy of localStorage learns of other tabs' writes a little
//! later, and the lock reaches a new writer by another path than the old
//! writer's writes do. So the writer keeps a mark in storage under the
//! copy's mark key (`ledger/tabs/writer` at the root, scope.rs: outside the
//! store's keys, so no build's store reads it as data or as damage):
//! `open {tab}` when it starts writing, `closed {tab}` when its page
//! goes away (`pagehide`), after its last write. Writes of one tab reach
//! another in the order they were made, so a new writer that sees
//! `closed {tab}` has seen every write that tab made, answered or not. One
//! that sees `open {tab}` waits for it to close; a tab that crashed never
//! writes `closed`, and then the wait ends after [`SETTLE_LIMIT_MS`]: the
//! only guess left, and only after a crash.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::browser::{BrowserLedger, LocalStorageKv};
use crate::KeyValue;

/// The longest a new writer waits for the old one's mark to close.
pub const SETTLE_LIMIT_MS: i32 = 1_000;

fn read_mark(kv: &LocalStorageKv, mark: &str) -> Option<String> {
    kv.get(mark).ok().flatten()
}

/// Waits until the last writer's writes have all reached this tab: its mark
/// says `closed` (or there is none), or [`SETTLE_LIMIT_MS`] have passed
/// since `since` (a crash), a time by which the last writer was known to be
/// gone. Wakes on every change to storage rather than on a timer: a hidden
/// tab's timers may be slowed to one a second. Returns how long it waited,
/// in ms.
pub async fn settle(kv: &LocalStorageKv, mark: &str, since: f64) -> f64 {
    let start = since.min(js_sys::Date::now());
    // Other tabs' writes that reached this page while it was busy land
    // before the mark is read.
    next_storage_change(0).await;
    loop {
        let waited = js_sys::Date::now() - start;
        let open = read_mark(kv, mark).is_some_and(|mark| mark.starts_with("open "));
        if !open || waited >= f64::from(SETTLE_LIMIT_MS) {
            return waited;
        }
        // What is left of the limit, in whole ms (at least 1).
        let left = (f64::from(SETTLE_LIMIT_MS) - waited).ceil().max(1.0) as i32;
        next_storage_change(left).await;
    }
}

/// Resolves at the next `storage` event (another tab wrote), or after
/// `timeout_ms`.
async fn next_storage_change(timeout_ms: i32) {
    let Some(window) = web_sys::window() else { return };
    let changed = js_sys::Promise::new(&mut |resolve, _| {
        let once = web_sys::AddEventListenerOptions::new();
        once.set_once(true);
        let _ = window.add_event_listener_with_callback_and_add_event_listener_options("storage", &resolve, &once);
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, timeout_ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(changed).await;
}

/// Marks storage as written by this tab (`tab`), and arranges for the mark
/// to close when the page goes away.
pub fn open(page: &BrowserLedger, kv: &mut LocalStorageKv, tab: &str) {
    let mark = page.tabs().scope.mark();
    let _ = kv.set(&mark, &format!("open {tab}"));
    let first = page.tabs().writing_as.borrow_mut().replace(tab.to_owned()).is_none();
    if !first {
        return;
    }
    let Some(window) = web_sys::window() else { return };
    let writing_as = |page: &BrowserLedger| page.tabs().writing_as.borrow().clone();
    let hidden = page.clone();
    let hidden_mark = mark.clone();
    let on_hide = Closure::<dyn Fn(web_sys::Event)>::new(move |_| {
        // Only this tab's own mark is closed (a tab that lost the lease has
        // handed writing on, and the mark is another's now).
        if let (Some(tab), Ok(mut kv)) = (writing_as(&hidden), LocalStorageKv::open()) {
            if read_mark(&kv, &hidden_mark).is_some_and(|mark| mark == format!("open {tab}")) {
                let _ = kv.set(&hidden_mark, &format!("closed {tab}"));
            }
        }
    });
    // A page restored from the back-forward cache writes again.
    let shown = page.clone();
    let on_show = Closure::<dyn Fn(web_sys::Event)>::new(move |_| {
        if let (Some(tab), Ok(mut kv)) = (writing_as(&shown), LocalStorageKv::open()) {
            let _ = kv.set(&mark, &format!("open {tab}"));
        }
    });
    let _ = window.add_event_listener_with_callback("pagehide", on_hide.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback("pageshow", on_show.as_ref().unchecked_ref());
    // The listeners live as long as the page.
    on_hide.forget();
    on_show.forget();
}
