//! The JS API of sync: connect to a server of record, leave it, and what
//! the page shows of it (ledger_core's `device`, src/browser/sync/).
//!
//! `sync_connect({url, token})` resolves with the status once the first
//! round has synced, or rejects with its error (`SyncUnavailable`,
//! `Unauthorized`, `ServerChanged`, …), while sync goes on trying by
//! itself; `sync_disconnect()`, `sync_status()`, `sync_rejected()`,
//! `sync_cancel(id, event_id)`, `sync_dismiss(id, event_id)`,
//! `sync_restore(id)` and `sync_decide("upload" | "start_over")`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::error::ApiError;
use super::parse::{parse_id, type_name};
use super::{respond, to_js, ApiResult};
use crate::browser::{Problem, SyncRequest, SyncState, SyncStatus};
use crate::{BrowserLedger, Command, CommandId, EventId, Link, Timestamp};

/// How often a waiting call looks at the status again.
const POLL_MS: i32 = 100;

fn page() -> Result<BrowserLedger, ApiError> {
    BrowserLedger::page().map_err(ApiError::Ledger)
}

fn text_field(object: &JsValue, name: &str) -> Result<Option<String>, ApiError> {
    let value = js_sys::Reflect::get(object, &name.into()).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| ApiError::Sync(bad_link(format!("{name} must be a string, got {}", type_name(&value)))))
}

fn bad_link(message: impl Into<String>) -> Problem {
    Problem { code: "InvalidLink".into(), message: message.into() }
}

/// `{url, token}`: an http(s) URL and, when the server wants one, a token.
fn parse_link(options: &JsValue) -> Result<Link, ApiError> {
    if !options.is_object() {
        return Err(ApiError::Sync(bad_link(format!("sync_connect takes {{url, token}}, got {}", type_name(options)))));
    }
    for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if key != "url" && key != "token" {
            let message = format!("unknown field {:?}: sync_connect takes url and token", crate::preview(&key));
            return Err(ApiError::Sync(bad_link(message)));
        }
    }
    let url = text_field(options, "url")?.unwrap_or_default();
    let token = text_field(options, "token")?.unwrap_or_default();
    crate::browser::link_from(&url, &token).map_err(ApiError::Sync)
}

async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[derive(Serialize)]
struct Progress {
    downloaded: u64,
    to_download: u64,
    uploaded: u64,
    to_upload: u64,
    redecided: u64,
    rejected: u64,
}

#[derive(Serialize)]
struct StatusView {
    state: SyncState,
    url: Option<String>,
    pending: usize,
    server_position: u64,
    last_synced_at: Option<f64>,
    error: Option<Problem>,
    progress: Progress,
    differs: Vec<crate::browser::Differs>,
}

fn view(page: &BrowserLedger) -> StatusView {
    let SyncStatus {
        state,
        url,
        server_position,
        last_synced_at,
        error,
        downloaded,
        to_download,
        uploaded,
        to_upload,
        redecided,
        rejected,
        differs,
        ..
    } = page.sync_status();
    StatusView {
        state,
        url,
        pending: page.pending_total(),
        server_position,
        last_synced_at,
        error,
        progress: Progress { downloaded, to_download, uploaded, to_upload, redecided, rejected },
        differs,
    }
}

/// Links this device to a server of record and syncs. Resolves with the
/// status after the first full round; rejects with its error.
#[wasm_bindgen]
pub fn sync_connect(options: JsValue) -> js_sys::Promise {
    let started = js_sys::Date::now();
    let linked = (|| -> Result<(BrowserLedger, Link), ApiError> {
        let link = parse_link(&options)?;
        let page = page()?;
        page.connect(&link).map_err(ApiError::Sync)?;
        Ok((page, link))
    })();
    let (page, link) = match linked {
        Ok(linked) => linked,
        Err(error) => return js_sys::Promise::reject(&error.into_js()),
    };
    wasm_bindgen_futures::future_to_promise(async move {
        loop {
            let status = page.sync_status();
            let ours = status.url.as_deref() == Some(link.url.as_str()) && status.updated_at >= started;
            if ours {
                match status.state {
                    SyncState::Synced | SyncState::NeedsServerUpdate => return respond(to_js(&view(&page))),
                    SyncState::Offline | SyncState::Error | SyncState::NeedsDecision | SyncState::NeedsReload => {
                        let problem =
                            status.error.unwrap_or(Problem { code: "SyncUnavailable".into(), message: "sync stopped".into() });
                        return Err(ApiError::Sync(problem).into_js());
                    }
                    SyncState::Off | SyncState::Syncing => {}
                }
            }
            pause(POLL_MS).await;
        }
    })
}

/// Leaves the server: pending events become local history (they stay on
/// this device only). Resolves once the tab that syncs has stopped.
#[wasm_bindgen]
pub fn sync_disconnect() -> js_sys::Promise {
    let page = match page().and_then(|page| page.disconnect().map_err(ApiError::Sync).map(|()| page)) {
        Ok(page) => page,
        Err(error) => return js_sys::Promise::reject(&error.into_js()),
    };
    wasm_bindgen_futures::future_to_promise(async move {
        // The writing tab folds the pending events a moment later; wait a
        // little for it, then answer whatever it has done.
        for _ in 0..50 {
            if page.pending_total() == 0 {
                break;
            }
            pause(POLL_MS).await;
        }
        respond(to_js(&view(&page)))
    })
}

/// `{state, url, pending, server_position, last_synced_at, error,
/// progress: {downloaded, to_download, uploaded, to_upload}, differs}`.
#[wasm_bindgen]
pub fn sync_status() -> ApiResult {
    respond(page().and_then(|page| to_js(&view(&page))))
}

#[derive(Serialize)]
struct RejectedView<'a> {
    id: String,
    command: Command,
    command_id: Option<&'a CommandId>,
    event_id: &'a EventId,
    recorded_at: Timestamp,
    code: &'a str,
    message: &'a str,
}

/// The commands the server's history refused, oldest account first:
/// `[{id, command, command_id, event_id, recorded_at, code, message}]`.
#[wasm_bindgen]
pub fn sync_rejected() -> ApiResult {
    respond((|| {
        let logs = page()?.with(|ledger| {
            let store = ledger.store();
            let mut logs = Vec::new();
            for account in store.logged()?.0 {
                let log = store.log(&account)?;
                logs.push((account, log));
            }
            Ok(logs)
        })?;
        let mut out = Vec::new();
        for (account, log) in &logs {
            for rejection in &log.rejected {
                out.push(RejectedView {
                    id: account.to_string(),
                    command: rejection.command(),
                    command_id: rejection.envelope.command_id.as_ref(),
                    event_id: &rejection.envelope.event_id,
                    recorded_at: rejection.envelope.recorded_at,
                    code: &rejection.code,
                    message: &rejection.message,
                });
            }
        }
        to_js(&out)
    })())
}

fn event_text(value: &JsValue) -> Result<String, ApiError> {
    value.as_string().ok_or_else(|| {
        ApiError::Sync(Problem {
            code: "InvalidEventId".into(),
            message: format!("event id must be a string, got {}", type_name(value)),
        })
    })
}

fn request(request: SyncRequest) -> ApiResult {
    respond(page().and_then(|page| page.sync_request(request).map_err(ApiError::Sync)).map(|()| JsValue::UNDEFINED))
}

/// Withdraws a pending command before the server has it; the commands
/// after it are decided again (and may be rejected).
#[wasm_bindgen]
pub fn sync_cancel(id: JsValue, event_id: JsValue) -> ApiResult {
    let parsed = parse_id(&id).and_then(|id| Ok((id, event_text(&event_id)?)));
    match parsed {
        Ok((id, event)) => request(SyncRequest::Cancel { account: id.to_string(), event }),
        Err(error) => Err(error.into_js()),
    }
}

/// Forgets a rejection the user has seen.
#[wasm_bindgen]
pub fn sync_dismiss(id: JsValue, event_id: JsValue) -> ApiResult {
    let parsed = parse_id(&id).and_then(|id| Ok((id, event_text(&event_id)?)));
    match parsed {
        Ok((id, event)) => request(SyncRequest::Dismiss { account: id.to_string(), event }),
        Err(error) => Err(error.into_js()),
    }
}

/// Replaces this device's copy of an account that differs from the
/// server's with the server's (offer `export_ledger()` first).
#[wasm_bindgen]
pub fn sync_restore(id: JsValue) -> ApiResult {
    match parse_id(&id) {
        Ok(id) => request(SyncRequest::Restore { account: id.to_string() }),
        Err(error) => Err(error.into_js()),
    }
}

/// The server changed (`needs_decision`): `"upload"` this ledger to it, or
/// `"start_over"` from it (this ledger is dropped here: export it first).
#[wasm_bindgen]
pub fn sync_decide(choice: JsValue) -> ApiResult {
    match choice.as_string().as_deref() {
        Some("upload") => request(SyncRequest::Upload),
        Some("start_over") => request(SyncRequest::StartOver),
        _ => Err(ApiError::Sync(Problem {
            code: "InvalidChoice".into(),
            message: "the choice is \"upload\" or \"start_over\" (or sync_disconnect())".into(),
        })
        .into_js()),
    }
}
