//! The HTTP edge: the original's three endpoints, `/health` and `/metrics`, thin over
//! the service ([`Ledger`]), behind the no-token guard (guard.rs); with
//! `DIST`, the app's files for every other path.

mod guard;
mod routes;

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method};
use axum::middleware::{from_fn_with_state, map_response};
use axum::routing::get;
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;

pub use guard::{is_loopback, Guard};

use crate::error::json_errors;
use crate::metrics;
use crate::service::Ledger;
use crate::store::{Device, EventStore, Tenant};

/// The largest request body taken: a command is well under 1 KiB.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What the handlers share: the ledger, and whose requests these are (one
/// tenant and device while there are no tokens).
#[derive(Debug)]
pub struct AppState<S> {
    ledger: Arc<Ledger<S>>,
    tenant: Tenant,
    device: Device,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        AppState { ledger: Arc::clone(&self.ledger), tenant: self.tenant.clone(), device: self.device.clone() }
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

pub fn router<S: EventStore>(ledger: Arc<Ledger<S>>, edge: &Edge) -> Router {
    let metrics = Arc::clone(ledger.metrics());
    let state = AppState { ledger, tenant: Tenant::local(), device: Device::http() };
    let api = Router::new()
        .route("/health", get(routes::health::<S>))
        .route("/accounts/{id}", get(routes::account::<S>).post(routes::execute::<S>))
        .route("/accounts/{id}/events", get(routes::events::<S>))
        .with_state(state)
        .merge(Router::new().route("/metrics", get(metrics::serve)).with_state(Arc::clone(&metrics)));
    let app = match &edge.dist {
        Some(dist) => api.fallback_service(ServeDir::new(dist)),
        None => api.fallback(routes::not_found),
    };
    let origins: Vec<HeaderValue> = edge.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([CONTENT_TYPE]);
    let guard = Arc::new(Guard::new(edge.cors_origins.clone()));
    // The last layer is the outermost: the metrics (which see every answer
    // as sent), compression, then the guard, CORS, the JSON body for every
    // error, and the body limit.
    app.layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(map_response(json_errors))
        .layer(cors)
        .layer(from_fn_with_state(guard, guard::guard))
        .layer(CompressionLayer::new())
        .layer(from_fn_with_state(metrics, metrics::track))
}
