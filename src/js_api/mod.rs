//! The JS API: the original server's endpoints as functions on
//! `window.wasmBindings`. Thin: parse the JS values, call the ledger, turn the
//! answer into plain JS objects or a typed `Error`.
//!
//! | original                    | here                       |
//! |-----------------------------|----------------------------|
//! | `POST /accounts/{id}`       | `execute(id, command)`     |
//! | `GET /accounts/{id}`        | `account(id)`              |
//! | `GET /accounts/{id}/events` | `events(id)`               |
//!
//! plus `history(id)`, `accounts()`, `account_at(id, version)`, `damaged()`,
//! `verify(id)` and `storage_status()`.
//!
//! `execute` returns a Promise; the reads answer at once from this tab's copy.
//! Every argument arrives as an untyped `JsValue` and is parsed here, so no
//! input of any type or shape can make the module panic: a wrong one is an
//! `Error` whose `code` says which kind of wrong.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{
    AccountState, AppLedger, BrowserLedger, CommandId, CommandRequest, Event, EventId, LedgerError, Overview, Sequence,
    Timestamp, Version,
};

mod error;
mod parse;
mod sync;

use error::ApiError;
use parse::{parse_command, parse_id, parse_version, type_name};

type ApiResult = Result<JsValue, JsValue>;

/// Runs `f` on the page's ledger (opened by the first call, when the app
/// has not opened it yet).
fn with_ledger<T>(f: impl FnOnce(&mut AppLedger) -> Result<T, LedgerError>) -> Result<T, LedgerError> {
    BrowserLedger::page()?.with(f)
}

fn respond(result: Result<JsValue, ApiError>) -> ApiResult {
    result.map_err(ApiError::into_js)
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, ApiError> {
    // Versions, sequences and times are far below 2^53, so they become plain
    // JS numbers; past it serde-wasm-bindgen refuses rather than round.
    // A missing value (`None`) is `null`, as JSON would have it.
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    value.serialize(&serializer).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Runs a command on an account, like `POST /accounts/{id}`; resolves to the
/// new state `{id, owner, balance, version}`. A Promise: in a tab that does
/// not write, the command travels to the one that does (browser/coordination/).
///
/// In the tab that writes, the Promise is settled before this returns (no
/// round through the task queue); elsewhere it waits for the writer.
#[wasm_bindgen]
pub fn execute(id: JsValue, command: JsValue) -> js_sys::Promise {
    let settle = |result: ApiResult| match result {
        Ok(value) => js_sys::Promise::resolve(&value),
        Err(error) => js_sys::Promise::reject(&error),
    };
    let answer = |state: Result<AccountState, LedgerError>| respond(state.map_err(ApiError::Ledger).and_then(|s| to_js(&s)));
    let parsed = parse_id(&id).and_then(|id| Ok((id, parse_command(&command)?)));
    let page = BrowserLedger::page().map_err(ApiError::Ledger);
    let (page, (id, (command, command_id))) = match page.and_then(|page| Ok((page, parsed?))) {
        Ok(parsed) => parsed,
        Err(error) => return settle(Err(error.into_js())),
    };
    let request = CommandRequest::new(id, command).with_command_id(command_id);
    if let Some(outcome) = page.execute_here(&request) {
        return settle(answer(outcome));
    }
    wasm_bindgen_futures::future_to_promise(async move { answer(page.execute(request).await) })
}

/// The whole ledger as NDJSON text: a header line (format, version,
/// exported_at, counts, each account's head hash) and a line per event with
/// its envelope and hash. See core/src/export/mod.rs.
#[wasm_bindgen]
pub fn export_ledger() -> ApiResult {
    respond(with_ledger(|ledger| ledger.export()).map(|text| JsValue::from_str(&text)).map_err(ApiError::Ledger))
}

/// Imports an export (or, with `account`, the original server's
/// `GET /accounts/{id}/events` array as that new account's history):
/// `{accounts, events_added, events_skipped}`. All or nothing; a bad file is
/// an `InvalidImport` error naming the line.
#[wasm_bindgen]
pub fn import_ledger(text: JsValue, account: JsValue) -> ApiResult {
    respond((|| {
        let text = text.as_string().ok_or_else(|| {
            ApiError::Ledger(LedgerError::InvalidImport {
                line: 0,
                reason: format!("the file must be text, got {}", type_name(&text)),
            })
        })?;
        let account = match account.is_undefined() || account.is_null() {
            true => None,
            false => Some(parse_id(&account)?),
        };
        to_js(&BrowserLedger::page()?.change_here(|ledger| ledger.import(&text, account.as_ref()))?)
    })())
}

/// An account's statement as CSV: `date,type,amount,balance_after`, a row
/// per event, dates in UTC.
#[wasm_bindgen]
pub fn statement_csv(id: JsValue) -> ApiResult {
    respond((|| {
        let id = parse_id(&id)?;
        let history = with_ledger(|ledger| ledger.history(&id))?;
        Ok(JsValue::from_str(&crate::statement_csv(&id, &history)))
    })())
}

/// The account's state, like `GET /accounts/{id}`, or `null`.
#[wasm_bindgen]
pub fn account(id: JsValue) -> ApiResult {
    respond((|| {
        let id = parse_id(&id)?;
        match with_ledger(|ledger| ledger.account(&id))? {
            Some(state) => to_js(&state),
            None => Ok(JsValue::NULL),
        }
    })())
}

/// The account's events, oldest first, like `GET /accounts/{id}/events`.
#[wasm_bindgen]
pub fn events(id: JsValue) -> ApiResult {
    respond((|| {
        let id = parse_id(&id)?;
        to_js(&with_ledger(|ledger| ledger.events(&id))?)
    })())
}

#[derive(Serialize)]
struct HistoryEntry<'a> {
    version: Version,
    sequence: Sequence,
    recorded_at: Timestamp,
    event_id: &'a EventId,
    #[serde(skip_serializing_if = "Option::is_none")]
    command_id: Option<&'a CommandId>,
    event: &'a Event,
    /// The chain hash (docs/event-identity.md): the same on every device
    /// and on the server.
    hash: String,
    /// Waiting for the server (only while one is linked).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pending: bool,
}

/// The account's events with their envelopes:
/// `[{version, sequence, recorded_at, event_id, event, hash}]`, plus
/// `command_id` on events whose command was sent with one, and
/// `pending: true` on events waiting for the server.
#[wasm_bindgen]
pub fn history(id: JsValue) -> ApiResult {
    respond((|| {
        let id = parse_id(&id)?;
        let (history, confirmed) = with_ledger(|ledger| {
            let history = ledger.history(&id)?;
            let last = history.last().map_or(Version::EMPTY, |e| e.version);
            Ok((history, ledger.store().confirmed_version(&id, last)?))
        })?;
        let entries: Vec<HistoryEntry<'_>> = history
            .iter()
            .map(|e| HistoryEntry {
                version: e.version,
                sequence: e.sequence,
                recorded_at: e.recorded_at,
                event_id: &e.event_id,
                command_id: e.command_id.as_ref(),
                event: &e.event,
                hash: e.hash.to_string(),
                pending: e.version > confirmed,
            })
            .collect();
        to_js(&entries)
    })())
}

/// The overview from a fresh scan of storage: a script asking for it may have
/// changed storage itself, which no `storage` event reports to its own page.
fn fresh_overview(ledger: &mut AppLedger) -> Result<Overview, LedgerError> {
    ledger.rescan();
    ledger.accounts()
}

/// Every healthy account's state, sorted by id.
#[wasm_bindgen]
pub fn accounts() -> ApiResult {
    respond((|| to_js(&with_ledger(fresh_overview)?.accounts.accounts))())
}

#[derive(Serialize)]
struct DamageEntry<'a> {
    key: &'a str,
    reason: &'a str,
}

/// What stored data could not be read: `[{key, reason}]`, sorted by key.
/// The app leaves all of it exactly as it is.
#[wasm_bindgen]
pub fn damaged() -> ApiResult {
    respond((|| {
        let overview = with_ledger(fresh_overview)?;
        let entries: Vec<DamageEntry<'_>> =
            overview.damaged.iter().map(|d| DamageEntry { key: &d.key, reason: &d.reason }).collect();
        to_js(&entries)
    })())
}

/// The state after the first `version` events (time travel); `null` for 0.
#[wasm_bindgen]
pub fn account_at(id: JsValue, version: JsValue) -> ApiResult {
    respond((|| {
        let id = parse_id(&id)?;
        let version = parse_version(&version)?;
        match with_ledger(|ledger| ledger.account_at(&id, Version::new(version)))? {
            Some(state) => to_js(&state),
            None => Ok(JsValue::NULL),
        }
    })())
}

/// Checks the account's whole stored history: `{ok, checked,
/// first_bad_version}` (`checked` events were sound; `null` when all are).
#[wasm_bindgen]
pub fn verify(id: JsValue) -> ApiResult {
    respond((|| {
        let id = parse_id(&id)?;
        to_js(&with_ledger(|ledger| ledger.verify(&id))?)
    })())
}

/// How full localStorage is: `{used_units, quota_units, events,
/// est_events_left}`, in UTF-16 code units as browsers count their quota.
#[wasm_bindgen]
pub fn storage_status() -> ApiResult {
    respond((|| to_js(&with_ledger(|ledger| ledger.storage_status())?))())
}
