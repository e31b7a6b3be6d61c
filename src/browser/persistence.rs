//! Whether the browser keeps this origin's storage: `navigator.storage`'s
//! `persisted()`, read when the page opens, and `persist()`, asked once, at
//! this page's first write. Without it a browser may clear the origin's
//! storage, the ledger with it, when the disk runs low.
//!
//! Nothing waits on an answer: browsers differ (headless Chromium answers
//! `false`; Firefox may ask the person, and the promise may never settle),
//! so the page shows [`Persistence::Unknown`] until one arrives, and every
//! command goes on meanwhile. An answer tells the page's listeners, as a
//! change does.

use std::cell::Cell;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::BrowserLedger;

/// What the browser said about keeping this origin's storage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Persistence {
    /// No answer yet (or none will come).
    #[default]
    Unknown,
    /// Kept: the browser clears it only when the person asks.
    Persisted,
    /// Not kept: the browser may clear it to free space.
    NotPersisted,
    /// This browser has no `navigator.storage` (an insecure context, an old
    /// browser): it promises nothing.
    Unsupported,
}

/// The page's side: the last answer, and whether it asked already.
#[derive(Debug, Default)]
pub struct Keeping {
    state: Cell<Persistence>,
    asked: Cell<bool>,
}

/// Calls `navigator.storage[method]()`: its promise, or `None` when the
/// browser has no such method.
fn call(method: &str) -> Option<js_sys::Promise> {
    let navigator = web_sys::window()?.navigator();
    let storage = js_sys::Reflect::get(&navigator, &"storage".into()).ok().filter(|s| !s.is_undefined())?;
    let function = js_sys::Reflect::get(&storage, &method.into()).ok()?.dyn_into::<js_sys::Function>().ok()?;
    function.call0(&storage).ok()?.dyn_into::<js_sys::Promise>().ok()
}

impl BrowserLedger {
    /// What the browser said last about keeping this origin's storage.
    pub fn persistence(&self) -> Persistence {
        self.keeping().state.get()
    }

    /// Reads `persisted()`, without waiting: the answer, when it comes, is
    /// shown. Called once, when the page's ledger opens.
    pub(super) fn read_persistence(&self) {
        self.settle_persistence("persisted");
    }

    /// Asks the browser to keep this origin's storage (`persist()`), once a
    /// page, unless it does already. Called after a write; never waits.
    pub(crate) fn keep_storage(&self) {
        if self.persistence() != Persistence::Persisted && !self.keeping().asked.replace(true) {
            self.settle_persistence("persist");
        }
    }

    fn settle_persistence(&self, method: &str) {
        let Some(promise) = call(method) else {
            self.keeping().state.set(Persistence::Unsupported);
            return;
        };
        let page = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = JsFuture::from(promise).await.ok().and_then(|kept: JsValue| kept.as_bool());
            let state = match answer {
                Some(true) => Persistence::Persisted,
                Some(false) => Persistence::NotPersisted,
                None => return,
            };
            // A later `persisted()` that found it kept must not be undone by
            // an earlier answer arriving last.
            if page.persistence() != Persistence::Persisted && page.keeping().state.replace(state) != state {
                page.changed();
            }
        });
    }
}
