//! The HTTP edge: the original's three endpoints, the sync API, `/health`
//! and `/metrics`, thin over the service ([`Ledger`]), behind the guard
//! (guard.rs: `Host`, `Origin`) and the caller's identification and rate
//! limit (auth.rs, tokens.rs, rate.rs); with `DIST`, the app's files for
//! every other path.

mod auth;
mod guard;
mod rate;
mod routes;
mod sync;
mod tokens;

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;

pub use auth::{Access, Caller};
pub use guard::{is_loopback, Guard, URI_LIMIT};
pub use rate::Rate;
pub use tokens::{Keyring, TokensError, MIN_TOKEN};

use crate::error::json_errors;
use crate::metrics;
use crate::service::Ledger;
use crate::store::EventStore;

/// The largest request body taken: a command is well under 1 KiB, a
/// device bounds its pushes under it (`ledger_core::PUSH_BYTES`).
pub const BODY_LIMIT: usize = ledger_core::MAX_BODY;

/// What the handlers share: the ledger. Whose request each is comes with
/// the request: its [`Caller`].
#[derive(Debug)]
pub struct AppState<S> {
    ledger: Arc<Ledger<S>>,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        AppState { ledger: Arc::clone(&self.ledger) }
    }
}

/// How the edge is set up.
#[derive(Clone, Debug, Default)]
pub struct Edge {
    /// The app's files, served for every path the API does not answer.
    pub dist: Option<PathBuf>,
    /// Origins besides the server's own whose pages may call it.
    pub cors_origins: Vec<String>,
}

/// The schema header (protocol version 3), lowercase as HTTP/2 and
/// `HeaderName` want it: `ledger_core::SCHEMA_HEADER`.
const SCHEMA: &str = "ledger-schema";

/// Announces the schema this server takes (`ledger_core::SCHEMA`) on every
/// answer of its API: a device reads it to tell a newer server from a
/// garbled answer, and to hold back what this server can't take yet.
async fn announce_schema(mut response: Response) -> Response {
    response.headers_mut().insert(HeaderName::from_static(SCHEMA), HeaderValue::from(ledger_core::SCHEMA.number));
    response
}

/// The app: `access` says who may call it (no tokens: this machine only).
pub fn router<S: EventStore>(ledger: Arc<Ledger<S>>, edge: &Edge, access: Access) -> Router {
    let metrics = Arc::clone(ledger.metrics());
    let state = AppState { ledger };
    let api = Router::new()
        .route("/health", get(routes::health::<S>))
        .route("/accounts/{id}", get(routes::account::<S>).post(routes::execute::<S>))
        .route("/accounts/{id}/events", get(routes::events::<S>))
        .route("/sync/accounts", get(sync::heads::<S>))
        .route("/sync/accounts/{id}", get(sync::account::<S>).post(sync::push::<S>))
        .route("/sync/events", get(sync::pull::<S>))
        .route("/sync/live", get(sync::live::<S>))
        .with_state(state)
        .merge(Router::new().route("/metrics", get(metrics::serve)).with_state(Arc::clone(&metrics)))
        .layer(map_response(announce_schema));
    let app = match &edge.dist {
        // The release build's .br and .gz copies (scripts/precompress.mjs)
        // go out as they are to a client that accepts them.
        Some(dist) => api.fallback_service(ServeDir::new(dist).precompressed_br().precompressed_gzip()),
        None => api.fallback(routes::not_found),
    };
    let origins: Vec<HeaderValue> = edge.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([CONTENT_TYPE, AUTHORIZATION, HeaderName::from_static(SCHEMA)])
        .expose_headers([HeaderName::from_static(SCHEMA)]);
    let guard = match access.keyring() {
        Some(_) => Guard::with_tokens(edge.cors_origins.clone()),
        None => Guard::new(edge.cors_origins.clone()),
    };
    // The last layer is the outermost: the metrics (which see every answer
    // as sent), compression, then the guard, CORS (a preflight needs no
    // token; a 401 carries CORS headers), the caller and its rate limit, the
    // JSON body for every error, the body limit.
    app.layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(map_response(json_errors))
        .layer(from_fn_with_state(access, auth::authenticate))
        .layer(cors)
        .layer(from_fn_with_state(Arc::new(guard), guard::guard))
        .layer(CompressionLayer::new())
        .layer(from_fn_with_state(metrics, metrics::track))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_schema_header_is_the_cores() {
        assert_eq!(super::SCHEMA, ledger_core::SCHEMA_HEADER.to_ascii_lowercase());
    }
}
