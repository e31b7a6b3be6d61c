//! localStorage as a [`KeyValue`] map: get, set, remove and keys, nothing
//! else. The key layout, records and rules all live in the core.
//!
//! This talks to `web_sys::Storage` directly rather than through gloo-storage:
//! gloo's `LocalStorage::raw()` throws when storage is disabled (private
//! modes, blocked site data) and its `set` JSON-encodes every value, while we
//! need raw text and a typed error for both cases.

use wasm_bindgen::{JsCast, JsValue};

use std::cell::Cell;

use crate::store::{units, KeyValue, KvError, StoreError};

#[derive(Debug, Clone)]
pub struct LocalStorageKv {
    storage: web_sys::Storage,
    /// UTF-16 units held, counted once by reading everything and then kept
    /// up to date by this tab's own writes; forgotten when another tab writes.
    used: Cell<Option<usize>>,
}

impl LocalStorageKv {
    /// The page's localStorage, or why it can't be had.
    pub fn open() -> Result<LocalStorageKv, StoreError> {
        let unavailable = |reason: &str| StoreError::Unavailable { reason: reason.to_owned() };
        let window = web_sys::window().ok_or_else(|| unavailable("there is no window"))?;
        match window.local_storage() {
            Ok(Some(storage)) => Ok(LocalStorageKv { storage, used: Cell::new(None) }),
            Ok(None) => Err(unavailable("this browser has no localStorage")),
            Err(error) => Err(unavailable(&describe(&error))),
        }
    }

    /// Another tab wrote: the count of units used must be taken again.
    pub fn forget_usage(&self) {
        self.used.set(None);
    }

    /// Adjusts the kept count for a write of `key` from `old` to `new`.
    fn track(&self, key: &str, old: Option<&str>, new: Option<&str>) {
        if let Some(used) = self.used.get() {
            let size = |v: Option<&str>| v.map_or(0, |v| units(key) + units(v));
            self.used.set(Some((used + size(new)).saturating_sub(size(old))));
        }
    }

    /// The raw storage, for tests that inspect or damage it.
    pub fn raw(&self) -> &web_sys::Storage {
        &self.storage
    }
}

/// Whether a thrown value is the browser saying the quota is exceeded
/// (`QuotaExceededError` everywhere now; older Firefox said
/// `NS_ERROR_DOM_QUOTA_REACHED`).
fn is_quota_error(error: &JsValue) -> bool {
    error
        .dyn_ref::<web_sys::DomException>()
        .is_some_and(|e| matches!(e.name().as_str(), "QuotaExceededError" | "NS_ERROR_DOM_QUOTA_REACHED"))
}

fn describe(error: &JsValue) -> String {
    if let Some(exception) = error.dyn_ref::<web_sys::DomException>() {
        return format!("{}: {}", exception.name(), exception.message());
    }
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    format!("{error:?}")
}

fn unavailable(error: JsValue) -> KvError {
    KvError::Unavailable(describe(&error))
}

impl KeyValue for LocalStorageKv {
    fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        self.storage.get_item(key).map_err(unavailable)
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), KvError> {
        let old = if self.used.get().is_some() { self.get(key)? } else { None };
        self.storage.set_item(key, value).map_err(|error| {
            if is_quota_error(&error) {
                KvError::QuotaExceeded
            } else {
                unavailable(error)
            }
        })?;
        self.track(key, old.as_deref(), Some(value));
        Ok(())
    }

    fn remove(&mut self, key: &str) -> Result<(), KvError> {
        let old = if self.used.get().is_some() { self.get(key)? } else { None };
        self.storage.remove_item(key).map_err(unavailable)?;
        self.track(key, old.as_deref(), None);
        Ok(())
    }

    fn keys(&self) -> Result<Vec<String>, KvError> {
        let length = self.storage.length().map_err(unavailable)?;
        let mut keys = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
        for index in 0..length {
            if let Some(key) = self.storage.key(index).map_err(unavailable)? {
                keys.push(key);
            }
        }
        Ok(keys)
    }

    fn recount(&mut self) {
        self.forget_usage();
    }

    fn used_units(&mut self) -> Result<usize, KvError> {
        if let Some(used) = self.used.get() {
            return Ok(used);
        }
        let mut used = 0;
        for key in self.keys()? {
            used += units(&key) + self.get(&key)?.map_or(0, |v| units(&v));
        }
        self.used.set(Some(used));
        Ok(used)
    }
}
