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
    AccountId, AccountState, AppLedger, BrowserLedger, Command, CommandId, CommandRequest, Event, EventId, Kind, LedgerError,
    Money, Overview, Owner, Sequence, StoreError, Timestamp, Version, KINDS,
};

/// A rejection, as the JS caller will see it.
#[derive(Debug)]
enum ApiError {
    InvalidCommand(String),
    InvalidAmount(String),
    InvalidAccountId(String),
    InvalidOwner(String),
    InvalidVersion(String),
    Ledger(LedgerError),
    /// Turning an answer into JS failed; nothing was changed by it.
    Internal(String),
}

impl From<LedgerError> for ApiError {
    fn from(error: LedgerError) -> ApiError {
        ApiError::Ledger(error)
    }
}

impl ApiError {
    fn into_js(self) -> JsValue {
        let (code, message) = match &self {
            ApiError::InvalidCommand(m) => ("InvalidCommand", m.clone()),
            ApiError::InvalidAmount(m) => ("InvalidAmount", m.clone()),
            ApiError::InvalidAccountId(m) => ("InvalidAccountId", m.clone()),
            ApiError::InvalidOwner(m) => ("InvalidOwner", m.clone()),
            ApiError::InvalidVersion(m) => ("InvalidVersion", m.clone()),
            ApiError::Ledger(error) => (error.code(), error.to_string()),
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

fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        return "null".into();
    }
    if js_sys::Array::is_array(value) {
        return "an array".into();
    }
    value.js_typeof().as_string().unwrap_or_else(|| "unknown".into())
}

/// At most 40 characters of a text, for messages.
fn preview(text: &str) -> String {
    let head: String = text.chars().take(40).collect();
    if head.len() < text.len() {
        format!("{head}…")
    } else {
        head
    }
}

fn parse_id(value: &JsValue) -> Result<AccountId, ApiError> {
    let text = value
        .as_string()
        .ok_or_else(|| ApiError::InvalidAccountId(format!("account id must be a string, got {}", type_name(value))))?;
    AccountId::parse(&text).map_err(|e| ApiError::InvalidAccountId(e.to_string()))
}

fn parse_money(value: &JsValue, field: &str) -> Result<Money, ApiError> {
    let money = if let Some(number) = value.as_f64() {
        Money::from_units_shown(number, |n| {
            js_sys::Number::from(n).to_string_with_radix(10).map(String::from).unwrap_or_default()
        })
    } else if let Some(text) = value.as_string() {
        Money::parse(&text)
    } else if value.is_undefined() {
        return Err(ApiError::InvalidCommand(format!("the command has no {field}")));
    } else {
        return Err(ApiError::InvalidAmount(format!("{field} must be a number such as 12.34, got {}", type_name(value))));
    };
    money.map_err(|e| ApiError::InvalidAmount(format!("{field}: {e}")))
}

fn field(object: &JsValue, name: &str) -> Result<JsValue, ApiError> {
    js_sys::Reflect::get(object, &JsValue::from_str(name))
        .map_err(|_| ApiError::InvalidCommand(format!("reading {name} of the command failed")))
}

const COMMAND_SHAPE: &str = "a command is an object such as {type: \"Deposit\", amount: 12.34}";

/// Parses a command and its optional `command_id` (a string: sending the same
/// command with the same id again does it once).
fn parse_command(value: &JsValue) -> Result<(Command, Option<CommandId>), ApiError> {
    let command = parse_command_fields(value)?;
    let command_id = field(value, "command_id")?;
    if command_id.is_undefined() {
        return Ok((command, None));
    }
    let command_id = command_id
        .as_string()
        .and_then(|text| CommandId::parse(&text).ok())
        .ok_or_else(|| ApiError::InvalidCommand("command_id must be 1 to 64 ASCII letters, digits, '-' or '_'".into()))?;
    Ok((command, Some(command_id)))
}

/// Parses `{type: "OpenAccount", owner, initial_balance}`, `{type: "Deposit",
/// amount}` or `{type: "Withdraw", amount}`. Unknown fields are refused: a
/// typo must not pass silently.
fn parse_command_fields(value: &JsValue) -> Result<Command, ApiError> {
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(ApiError::InvalidCommand(format!("{COMMAND_SHAPE}, got {}", type_name(value))));
    }
    let kind = field(value, "type")?;
    let Some(kind) = kind.as_string() else {
        return Err(ApiError::InvalidCommand(format!("{COMMAND_SHAPE}; its type is missing")));
    };
    let Some(kind) = Kind::of_command(&kind) else {
        let names: Vec<&str> = KINDS.iter().map(|k| k.command).collect();
        return Err(ApiError::InvalidCommand(format!(
            "unknown command type {:?}: expected {}",
            preview(&kind),
            names.join(", ")
        )));
    };
    let allowed: Vec<&str> =
        ["type"].into_iter().chain(kind.owner.then_some("owner")).chain([kind.amount, "command_id"]).collect();
    // Reflect.ownKeys reports a throwing Proxy as an error instead of letting
    // the exception unwind through the module, and also sees symbol keys.
    let keys = js_sys::Reflect::own_keys(value.unchecked_ref())
        .map_err(|_| ApiError::InvalidCommand("the command's fields could not be listed".into()))?;
    for key in keys.iter() {
        let key = key.as_string().unwrap_or_else(|| "a symbol".into());
        if !allowed.contains(&key.as_str()) {
            return Err(ApiError::InvalidCommand(format!(
                "{} takes only {}; unexpected field {:?}",
                kind.command,
                allowed.join(", "),
                preview(&key)
            )));
        }
    }
    let owner = match kind.owner {
        false => None,
        true => {
            let owner = field(value, "owner")?;
            match owner.as_string() {
                Some(text) => Some(Owner::parse(&text).map_err(|e| ApiError::InvalidOwner(e.to_string()))?),
                None if owner.is_undefined() => return Err(ApiError::InvalidCommand("the command has no owner".into())),
                None => return Err(ApiError::InvalidOwner(format!("owner must be a string, got {}", type_name(&owner)))),
            }
        }
    };
    let amount = parse_money(&field(value, kind.amount)?, kind.amount)?;
    kind.command(amount, owner).ok_or_else(|| ApiError::InvalidCommand(format!("{} needs an owner", kind.command)))
}

fn parse_version(value: &JsValue) -> Result<u64, ApiError> {
    let invalid = |why: String| ApiError::InvalidVersion(why);
    let Some(number) = value.as_f64() else {
        return Err(invalid(format!("version must be a whole number, got {}", type_name(value))));
    };
    // 2^53: past it, JS numbers no longer count whole numbers one by one.
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    if !(number.is_finite() && number.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&number)) {
        return Err(invalid(format!("version must be a whole number from 0, got {number}")));
    }
    // A whole number in 0..=2^53-1: the cast is exact.
    Ok(number as u64)
}

/// Runs a command on an account, like `POST /accounts/{id}`; resolves to the
/// new state `{id, owner, balance, version}`. A Promise: in a tab that does
/// not write, the command travels to the one that does (see coordination.rs).
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
}

/// The account's events with their envelopes:
/// `[{version, sequence, recorded_at, event_id, event}]`, plus `command_id`
/// on events whose command was sent with one.
#[wasm_bindgen]
pub fn history(id: JsValue) -> ApiResult {
    respond((|| {
        let id = parse_id(&id)?;
        let history = with_ledger(|ledger| ledger.history(&id))?;
        let entries: Vec<HistoryEntry<'_>> = history
            .iter()
            .map(|e| HistoryEntry {
                version: e.version,
                sequence: e.sequence,
                recorded_at: e.recorded_at,
                event_id: &e.event_id,
                command_id: e.command_id.as_ref(),
                event: &e.event,
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
