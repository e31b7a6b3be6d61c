//! What a request that fails gets: a status and `{"code","message"}`, the
//! code the core's (or the JS API's) for the same error. Every error's
//! status is chosen here, once; and any error response without this body
//! (a framework's default: an unknown route, a wrong method, a body over
//! the limit) is given it ([`json_errors`]).

use crate::metrics::ErrorCode;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ledger_core::{DomainError, LedgerError, RequestError, StoreError};

/// Why a request was not done.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Request(#[from] RequestError),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    #[error("the request's body is not what was expected: {0}")]
    BadBody(String),
    #[error("{0}")]
    BadQuery(String),
    #[error("{0}")]
    Push(#[from] ledger_core::PushError),
    #[error("the request's body is over the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("a command is sent as JSON: Content-Type must be application/json")]
    NotJson,
    #[error("this server answers only requests for a loopback host (127.0.0.1, localhost or [::1]), not {host:?}")]
    ForbiddenHost { host: String },
    #[error("requests from the web page at {origin:?} are not allowed (CORS_ORIGINS lists the origins that are)")]
    ForbiddenOrigin { origin: String },
    #[error("this server needs `Authorization: Bearer {{token}}` with a token of its tokens file")]
    Unauthorized,
    #[error("too many requests for this token: try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error("the request has more than one {name} header")]
    DuplicateHeader { name: &'static str },
    #[error("the request's path and query are over the limit of {limit} bytes")]
    UriTooLong { limit: usize },
    /// An error response someone else made (the router, a layer).
    #[error("{message}")]
    Http { status: StatusCode, message: String },
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Request(_) | ApiError::BadBody(_) | ApiError::BadQuery(_) | ApiError::Push(_) => StatusCode::BAD_REQUEST,
            ApiError::Ledger(error) => ledger_status(error),
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::ForbiddenHost { .. } | ApiError::ForbiddenOrigin { .. } => StatusCode::FORBIDDEN,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::DuplicateHeader { .. } => StatusCode::BAD_REQUEST,
            ApiError::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            ApiError::Http { status, .. } => *status,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Request(error) => error.code(),
            ApiError::Ledger(error) => error.code(),
            ApiError::BadBody(_) => "InvalidCommand",
            ApiError::BadQuery(_) => "InvalidQuery",
            ApiError::Push(error) => error.code(),
            ApiError::TooLarge { .. } => "PayloadTooLarge",
            ApiError::NotJson => "UnsupportedMediaType",
            ApiError::ForbiddenHost { .. } => "ForbiddenHost",
            ApiError::ForbiddenOrigin { .. } => "ForbiddenOrigin",
            ApiError::Unauthorized => "Unauthorized",
            ApiError::TooManyRequests { .. } => "TooManyRequests",
            ApiError::DuplicateHeader { .. } => "BadRequest",
            ApiError::UriTooLong { .. } => "UriTooLong",
            ApiError::Http { status, .. } => http_code(*status),
        }
    }
}

fn ledger_status(error: &LedgerError) -> StatusCode {
    match error {
        LedgerError::Domain(DomainError::AccountNotFound { .. }) => StatusCode::NOT_FOUND,
        LedgerError::Domain(
            DomainError::ZeroAmount
            | DomainError::AccountAlreadyExists { .. }
            | DomainError::InsufficientFunds { .. }
            | DomainError::BalanceLimitExceeded { .. },
        )
        | LedgerError::CommandIdReused { .. }
        | LedgerError::InvalidVersion { .. }
        | LedgerError::InvalidImport { .. } => StatusCode::BAD_REQUEST,
        LedgerError::Store(StoreError::Conflict { .. }) => StatusCode::CONFLICT,
        LedgerError::Store(StoreError::Unavailable { .. }) | LedgerError::OutcomeUnknown { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        LedgerError::Store(StoreError::Full) => StatusCode::INSUFFICIENT_STORAGE,
        LedgerError::Store(StoreError::Corrupt { .. }) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The code of an error response that only has a status.
fn http_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "NotFound",
        StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowed",
        StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLarge",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
        StatusCode::URI_TOO_LONG => "UriTooLong",
        status if status.is_client_error() => "BadRequest",
        _ => "ServerError",
    }
}

/// `{"code":…,"message":…}`.
pub fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({ "code": code, "message": message }).to_string()
}

impl From<crate::sync::SyncError> for ApiError {
    fn from(error: crate::sync::SyncError) -> ApiError {
        match error {
            crate::sync::SyncError::Push(error) => ApiError::Push(error),
            crate::sync::SyncError::Ledger(error) => ApiError::Ledger(error),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code();
        let body = error_body(code, &self.to_string());
        let mut response = (self.status(), [(CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response();
        response.extensions_mut().insert(ErrorCode(code));
        if let ApiError::Unauthorized = self {
            response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::TooManyRequests { retry_after } = self {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

/// Gives an error response that is not JSON the `{"code","message"}` body.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response.headers().get(CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge { limit: crate::http::BODY_LIMIT },
        _ => ApiError::Http { status, message: status.canonical_reason().unwrap_or("error").to_owned() },
    };
    parts.extensions.insert(ErrorCode(error.code()));
    let body = error.into_response();
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, body.into_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::{AccountId, Money};

    #[test]
    fn rules_refused_are_400_and_an_unknown_account_404() {
        let id = AccountId::parse("a").unwrap();
        let funds = DomainError::InsufficientFunds { balance: Money::ZERO, requested: Money::MAX_AMOUNT };
        let error = ApiError::from(LedgerError::from(funds));
        assert_eq!((error.status(), error.code()), (StatusCode::BAD_REQUEST, "InsufficientFunds"));
        let missing = ApiError::from(LedgerError::from(DomainError::AccountNotFound { id }));
        assert_eq!((missing.status(), missing.code()), (StatusCode::NOT_FOUND, "AccountNotFound"));
        let body = error_body("X", "say \"hi\"");
        assert_eq!(body, r#"{"code":"X","message":"say \"hi\""}"#);
    }
}
