//! localStorage as a [`KeyValue`] map: get, set, remove and keys, nothing
//! else. The key layout, records and rules all live in the core.
//!
//! This talks to `web_sys::Storage` directly rather than through gloo-storage:
//! gloo's `LocalStorage::raw()` throws when storage is disabled (private
//! modes, blocked site data) and its `set` JSON-encodes every value, while we
//! need raw text and a typed error for both cases.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use std::cell::Cell;

use crate::{units, KeyValue, KvError, StoreError};

// Sizes are measured where the strings live: bringing a value into wasm
// to learn its length would copy it (5 MB for a full storage).
#[wasm_bindgen(inline_js = "
export function value_units(storage, key) {
  const value = storage.getItem(key);
  return value === null ? -1 : key.length + value.length;
}
export function all_units(storage) {
  let units = 0;
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    const value = key === null ? null : storage.getItem(key);
    if (value !== null) units += key.length + value.length;
  }
  return units;
}")]
extern "C" {
    /// The units `key` and its value take, or -1 when it is not stored.
    #[wasm_bindgen(catch)]
    fn value_units(storage: &web_sys::Storage, key: &str) -> Result<f64, JsValue>;
    /// The units every key and value take.
    #[wasm_bindgen(catch)]
    fn all_units(storage: &web_sys::Storage) -> Result<f64, JsValue>;
}

/// A count of units from JS: a whole number below 2^53.
fn whole(units: f64) -> usize {
    units.max(0.0) as usize
}

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

    /// What `key` and its value take now (0 if it is not stored), when a
    /// count is kept.
    fn size_now(&self, key: &str) -> Result<Option<usize>, KvError> {
        if self.used.get().is_none() {
            return Ok(None);
        }
        Ok(Some(whole(value_units(&self.storage, key).map_err(unavailable)?)))
    }

    /// Adjusts the kept count for a write that changed `old` units to `new`.
    fn track(&self, old: Option<usize>, new: usize) {
        if let (Some(used), Some(old)) = (self.used.get(), old) {
            self.used.set(Some((used + new).saturating_sub(old)));
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
        let old = self.size_now(key)?;
        self.storage.set_item(key, value).map_err(|error| {
            if is_quota_error(&error) {
                KvError::QuotaExceeded
            } else {
                unavailable(error)
            }
        })?;
        self.track(old, units(key) + units(value));
        Ok(())
    }

    fn remove(&mut self, key: &str) -> Result<(), KvError> {
        let old = self.size_now(key)?;
        self.storage.remove_item(key).map_err(unavailable)?;
        self.track(old, 0);
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
        let used = whole(all_units(&self.storage).map_err(unavailable)?);
        self.used.set(Some(used));
        Ok(used)
    }
}
