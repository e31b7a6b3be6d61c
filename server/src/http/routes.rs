//! The handlers: each turns a request into a call of the service and its
//! answer into the original's JSON. Every rejection of a request's parts
//! (path, body) becomes an [`ApiError`], never the framework's plain text.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ledger_core::{read_account_id, read_command_request, write_events, write_state, AccountId, LedgerError};

use super::{AppState, Caller, BODY_LIMIT};
use crate::error::ApiError;
use crate::store::EventStore;

pub(super) fn json(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

pub(super) fn account_id(path: Result<Path<String>, PathRejection>) -> Result<AccountId, ApiError> {
    let Path(text) = path.map_err(|rejection| ApiError::BadBody(rejection.body_text()))?;
    Ok(read_account_id(&text)?)
}

/// Whether the body is declared JSON (`application/json`, any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    let declared = headers.get(CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    declared.split(';').next().is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn body_error(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge { limit: BODY_LIMIT }
    } else {
        ApiError::BadBody(rejection.body_text())
    }
}

/// A JSON request's body as text: declared JSON, within the limit, UTF-8.
pub(super) fn body_text<'a>(headers: &HeaderMap, body: &'a Result<Bytes, BytesRejection>) -> Result<&'a str, ApiError> {
    if !is_json(headers) {
        return Err(ApiError::NotJson);
    }
    let body = body.as_ref().map_err(body_error)?;
    std::str::from_utf8(body).map_err(|_| ApiError::BadBody("the body is not UTF-8 text".into()))
}

/// `POST /accounts/{id}`: runs the command in the body, answers the state.
pub async fn execute<S: EventStore>(
    State(app): State<AppState<S>>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = account_id(path)?;
    let request = read_command_request(id, body_text(&headers, &body)?)?;
    let state = app.ledger.execute(&caller.tenant, &caller.device, &request).await?;
    Ok(json(StatusCode::OK, write_state(&state)))
}

/// `GET /accounts/{id}`: the account's state.
pub async fn account<S: EventStore>(
    State(app): State<AppState<S>>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = account_id(path)?;
    let state = app.ledger.account(&caller.tenant, &id).await?;
    Ok(json(StatusCode::OK, write_state(&state)))
}

/// `GET /accounts/{id}/events`: the bare array of the account's events.
pub async fn events<S: EventStore>(
    State(app): State<AppState<S>>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = account_id(path)?;
    let events = app.ledger.events(&caller.tenant, &id).await?;
    Ok(json(StatusCode::OK, write_events(&events)))
}

/// `GET /health`: 200 once the database answers.
pub async fn health<S: EventStore>(State(app): State<AppState<S>>) -> Result<Response, ApiError> {
    app.ledger.store().ping().await.map_err(LedgerError::from)?;
    Ok(json(StatusCode::OK, r#"{"status":"ok"}"#.to_owned()))
}

/// Any other path, when no app is served.
pub async fn not_found() -> ApiError {
    ApiError::Http { status: StatusCode::NOT_FOUND, message: "no such resource".into() }
}
