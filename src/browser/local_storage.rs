//! localStorage as a [`KeyValue`] map: get, set, remove and keys, nothing
//! else. The key layout, records and rules all live in the core.
//!
//! This talks to `web_sys::Storage` directly rather than through gloo-storage:
//! gloo's `LocalStorage::raw()` throws when storage is disabled (private
//! modes, blocked site data) and its `set` JSON-encodes every value, while we
//! need raw text and a typed error for both cases.

use wasm_bindgen::{JsCast, JsValue};

use crate::store::{KeyValue, KvError, StoreError};

#[derive(Debug, Clone)]
pub struct LocalStorageKv {
    storage: web_sys::Storage,
}

impl LocalStorageKv {
    /// The page's localStorage, or why it can't be had.
    pub fn open() -> Result<LocalStorageKv, StoreError> {
        let unavailable = |reason: &str| StoreError::Unavailable { reason: reason.to_owned() };
        let window = web_sys::window().ok_or_else(|| unavailable("there is no window"))?;
        match window.local_storage() {
            Ok(Some(storage)) => Ok(LocalStorageKv { storage }),
            Ok(None) => Err(unavailable("this browser has no localStorage")),
            Err(error) => Err(unavailable(&describe(&error))),
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
        self.storage.set_item(key, value).map_err(|error| {
            if is_quota_error(&error) {
                KvError::QuotaExceeded
            } else {
                unavailable(error)
            }
        })
    }

    fn remove(&mut self, key: &str) -> Result<(), KvError> {
        self.storage.remove_item(key).map_err(unavailable)
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
}
