//! The sync API's handlers (docs/sync-protocol.md): push, pull, live, the
//! accounts' heads and one account's events, each a thin call of the
//! service (sync.rs) with the core's messages.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use ledger_core::{preview, Push, Version, MAX_PULL};

use super::routes::{account_id, body_text, json};
use super::{AppState, Caller};
use crate::error::ApiError;
use crate::store::EventStore;
use crate::sync::{PushAnswer, MAX_WAIT};

/// `POST /sync/accounts/{id}`: a device's new events for the account.
pub async fn push<S: EventStore>(
    State(app): State<AppState<S>>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let account = account_id(path)?;
    let text = body_text(&headers, &body)?;
    let push = Push::read(text)?;
    Ok(match app.ledger.push(&caller.tenant, &caller.device, &account, push).await? {
        PushAnswer::Pushed(pushed) => json(StatusCode::OK, pushed.write()),
        PushAnswer::Behind(behind) => json(StatusCode::CONFLICT, behind.write()),
    })
}

/// `GET /sync/events?after=P&limit=N`: the ledger's events after P.
pub async fn pull<S: EventStore>(State(app): State<AppState<S>>, caller: Caller, uri: Uri) -> Result<Response, ApiError> {
    let query = Query::read(&uri, &["after", "limit"])?;
    let pulled = app.ledger.pull(&caller.tenant, query.after, query.limit).await?;
    Ok(json(StatusCode::OK, pulled.write()))
}

/// `GET /sync/accounts`: the head of each of the ledger's accounts.
pub async fn heads<S: EventStore>(State(app): State<AppState<S>>, caller: Caller, uri: Uri) -> Result<Response, ApiError> {
    Query::read(&uri, &[])?;
    let heads = app.ledger.heads(&caller.tenant).await?;
    Ok(json(StatusCode::OK, heads.write()))
}

/// `GET /sync/accounts/{id}?after=V&limit=N`: the account's events after
/// version V, as a pull answers them.
pub async fn account<S: EventStore>(
    State(app): State<AppState<S>>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let account = account_id(path)?;
    let query = Query::read(&uri, &["after", "limit"])?;
    let events = app.ledger.account_events(&caller.tenant, &account, Version::new(query.after), query.limit).await?;
    Ok(json(StatusCode::OK, events.write()))
}

/// `GET /sync/live?after=P&wait=S`: a pull that waits up to S seconds for news.
pub async fn live<S: EventStore>(State(app): State<AppState<S>>, caller: Caller, uri: Uri) -> Result<Response, ApiError> {
    let query = Query::read(&uri, &["after", "limit", "wait"])?;
    let pulled = app.ledger.live(&caller.tenant, query.after, query.limit, query.wait).await?;
    Ok(json(StatusCode::OK, pulled.write()))
}

/// A sync request's query: whole numbers only, nothing unknown.
struct Query {
    after: u64,
    limit: usize,
    wait: Duration,
}

impl Query {
    fn read(uri: &Uri, known: &[&str]) -> Result<Query, ApiError> {
        let mut query = Query { after: 0, limit: MAX_PULL, wait: Duration::from_secs(25) };
        for pair in uri.query().unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !known.contains(&name) {
                let takes = if known.is_empty() { "no parameters".to_owned() } else { known.join(", ") };
                return Err(ApiError::BadQuery(format!("unknown parameter {:?}: this takes {takes}", preview(name))));
            }
            let number = ledger_core::parse_decimal(value)
                .ok_or_else(|| ApiError::BadQuery(format!("{name} must be a whole number, got {:?}", preview(value))))?;
            match name {
                "after" => query.after = number,
                "limit" if (1..=MAX_PULL as u64).contains(&number) => query.limit = usize::try_from(number).unwrap_or(MAX_PULL),
                "limit" => return Err(ApiError::BadQuery(format!("limit is 1 to {MAX_PULL}"))),
                _ if number <= MAX_WAIT.as_secs() => query.wait = Duration::from_secs(number),
                _ => return Err(ApiError::BadQuery(format!("wait is at most {} seconds", MAX_WAIT.as_secs()))),
            }
        }
        Ok(query)
    }
}
