//! The ledger's server of record: the original's HTTP API (`POST` and `GET
//! /accounts/{id}`, `GET /accounts/{id}/events`) over PostgreSQL with
//! Message DB. Every rule is the core's: the service reads a stream through
//! the core's `Tip`, decides with `BankAccount::decide` and links with
//! `ChainHash::link`; the store and the HTTP edge only carry events.
#![forbid(unsafe_code)]

pub mod cache;
pub mod config;
pub mod error;
pub mod http;
pub mod metrics;
pub mod service;
pub mod store;
pub mod sync;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

pub use config::{Config, ConfigError};
pub use service::Ledger;
pub use store::{EventStore, MessageDb, PoolError};

/// Connections to PostgreSQL, at most.
const CONNECTIONS: usize = 16;

/// Why the server stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Database(#[from] PoolError),
    #[error(transparent)]
    Tokens(#[from] http::TokensError),
    #[error("can't listen on {address}: {source}")]
    Listen { address: std::net::SocketAddr, source: std::io::Error },
    #[error("serving failed: {0}")]
    Serve(std::io::Error),
}

/// Opens the store, then serves until SIGINT or SIGTERM, letting the
/// requests under way finish.
pub async fn run(config: Config) -> Result<(), ServerError> {
    let access = match &config.tokens_file {
        Some(path) => {
            let keyring = Arc::new(http::Keyring::load(path)?);
            keyring.watch();
            println!("ledger-server: {} devices in {}", keyring.len(), path.display());
            http::Access::tokens(keyring, config.rate)
        }
        None => http::Access::open(config.rate),
    };
    let mut store = MessageDb::open(&config.database_url, CONNECTIONS, Duration::from_secs(30)).await?;
    if let Some(replica) = &config.read_database_url {
        store = store.with_replica(replica, CONNECTIONS).await?;
    }
    let app = http::router(Arc::new(Ledger::new(store)), &config.edge, access);
    let address = config.address;
    let listener = TcpListener::bind(address).await.map_err(|source| ServerError::Listen { address, source })?;
    println!("ledger-server: listening on http://{address}");
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await.map_err(ServerError::Serve)?;
    println!("ledger-server: stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
