//! How a rejection reaches JS: an `Error` named `LedgerError` with a
//! `code`, the message, and the fields a program needs.

use wasm_bindgen::JsValue;

use crate::{LedgerError, RequestError, StoreError};

/// A rejection, as the JS caller will see it.
#[derive(Debug)]
pub(super) enum ApiError {
    /// A command or an account id that is not one: the core's one parser's
    /// error, with its code.
    Request(RequestError),
    InvalidVersion(String),
    Ledger(LedgerError),
    /// Sync's own errors, with their codes (src/browser/sync/).
    Sync(crate::browser::Problem),
    /// Turning an answer into JS failed; nothing was changed by it.
    Internal(String),
}

impl From<RequestError> for ApiError {
    fn from(error: RequestError) -> ApiError {
        ApiError::Request(error)
    }
}

impl From<LedgerError> for ApiError {
    fn from(error: LedgerError) -> ApiError {
        ApiError::Ledger(error)
    }
}

impl ApiError {
    pub(super) fn into_js(self) -> JsValue {
        let (code, message) = match &self {
            ApiError::Request(error) => (error.code(), error.to_string()),
            ApiError::InvalidVersion(m) => ("InvalidVersion", m.clone()),
            ApiError::Ledger(error) => (error.code(), error.to_string()),
            ApiError::Sync(problem) => (problem.code.as_str(), problem.message.clone()),
            ApiError::Internal(m) => ("Internal", m.clone()),
        };
        let error = js_sys::Error::new(&message);
        error.set_name("LedgerError");
        let set = |name: &str, value: JsValue| {
            // Setting a property on a fresh Error object cannot throw.
            let _ = js_sys::Reflect::set(&error, &JsValue::from_str(name), &value);
        };
        set("code", code.into());
        if let ApiError::Ledger(LedgerError::Store(StoreError::Corrupt { key, .. })) = &self {
            set("key", key.into());
        }
        if let ApiError::Ledger(LedgerError::InvalidImport { line, .. }) = &self {
            set("line", JsValue::from_f64(*line as f64));
        }
        if let ApiError::Ledger(LedgerError::OutcomeUnknown { command_id, .. }) = &self {
            set("command_id", command_id.as_str().into());
        }
        error.into()
    }
}
