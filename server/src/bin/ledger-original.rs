//! `ledger-original`: the original example's design, as the server
//! benchmark's baseline: every account's events in memory, in one map
//! behind a lock (the original's was a `DashMap<String, Vec<Event>>`),
//! nothing written anywhere, each command decided on the state folded from
//! the account's events. The same three endpoints and JSON as the
//! ledger-server (the core's), so the same load generator drives both; no
//! command ids, guard or metrics. Not for use: a restart loses everything.
//!
//! ```text
//! PORT=8090 ledger-original
//! ```
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use ledger_core::{
    read_account_id, read_command_request, write_events, write_state, BankAccount, DomainError, Event, Facts, LedgerError,
};
use ledger_server::error::ApiError;

type Accounts = Arc<Mutex<HashMap<String, Vec<Event>>>>;

fn json(body: String) -> Response {
    (StatusCode::OK, [(CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

fn not_found(id: &str) -> Result<Response, ApiError> {
    let id = read_account_id(id)?;
    Err(LedgerError::from(DomainError::AccountNotFound { id }).into())
}

async fn execute(State(accounts): State<Accounts>, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::BadBody("the body is not UTF-8 text".into()))?;
    let request = read_command_request(read_account_id(&id)?, text)?;
    let mut map = accounts.lock().unwrap_or_else(PoisonError::into_inner);
    let events = map.entry(id).or_default();
    let mut account = BankAccount::replay(request.account.clone(), events.iter());
    let new = account.decide(&request.command, &Facts::NONE).map_err(LedgerError::from)?;
    for event in new {
        account.apply(&event);
        events.push(event);
    }
    match account.state() {
        Some(state) => Ok(json(write_state(&state))),
        None => Err(LedgerError::from(DomainError::AccountNotFound { id: request.account }).into()),
    }
}

async fn account(State(accounts): State<Accounts>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let account_id = read_account_id(&id)?;
    let state = {
        let map = accounts.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&id).and_then(|events| BankAccount::replay(account_id, events.iter()).state())
    };
    match state {
        Some(state) => Ok(json(write_state(&state))),
        None => not_found(&id),
    }
}

async fn events(State(accounts): State<Accounts>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let body = {
        let map = accounts.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&id).filter(|events| !events.is_empty()).map(|events| write_events(events.iter()))
    };
    match body {
        Some(body) => Ok(json(body)),
        None => not_found(&id),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let port = std::env::var("PORT").ok().and_then(|port| port.parse::<u16>().ok()).unwrap_or(8090);
    let accounts: Accounts = Arc::default();
    let app = Router::new()
        .route("/accounts/{id}", get(account).post(execute))
        .route("/accounts/{id}/events", get(events))
        .with_state(accounts);
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("ledger-original: can't listen on 127.0.0.1:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("ledger-original: listening on http://127.0.0.1:{port} (in memory, not durable)");
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ledger-original: {error}");
            ExitCode::FAILURE
        }
    }
}
