//! The server's settings, from its environment.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::http::Edge;

/// What `ledger-server` is told by its environment:
///
/// - `DATABASE_URL` (required): PostgreSQL with Message DB installed;
/// - `READ_DATABASE_URL`: a streaming replica of it, for the sync API's pulls;
/// - `PORT` (default 8080) and `HOST` (default 127.0.0.1): where it listens;
/// - `DIST`: a folder of files to serve for every path the API does not own;
/// - `CORS_ORIGINS`: comma-separated origins (`https://app.example`) whose
///   pages may call the API besides the server's own.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub read_database_url: Option<String>,
    pub address: SocketAddr,
    pub edge: Edge,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("DATABASE_URL is not set: the server needs PostgreSQL with Message DB (scripts/server.sh starts one)")]
    NoDatabaseUrl,
    #[error("PORT must be a port number, got {0:?}")]
    Port(String),
    #[error("HOST must be an IP address, got {0:?}")]
    Host(String),
    #[error("CORS_ORIGINS holds {0:?}: an origin is a scheme and a host, such as https://app.example (no path)")]
    Origin(String),
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
    }

    /// The settings from `var`, which gives a variable's value if set.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let database_url = var("DATABASE_URL").ok_or(ConfigError::NoDatabaseUrl)?;
        let port = match var("PORT") {
            Some(text) => text.trim().parse::<u16>().map_err(|_| ConfigError::Port(text))?,
            None => 8080,
        };
        let host = match var("HOST") {
            Some(text) => text.trim().parse::<IpAddr>().map_err(|_| ConfigError::Host(text))?,
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let mut cors_origins = Vec::new();
        for origin in var("CORS_ORIGINS").unwrap_or_default().split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let (scheme, rest) = origin.split_once("://").ok_or_else(|| ConfigError::Origin(origin.to_owned()))?;
            let valid = matches!(scheme, "http" | "https")
                && !rest.is_empty()
                && rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
            if !valid {
                return Err(ConfigError::Origin(origin.to_owned()));
            }
            cors_origins.push(origin.to_owned());
        }
        let dist = var("DIST").map(PathBuf::from);
        let read_database_url = var("READ_DATABASE_URL");
        Ok(Config { database_url, read_database_url, address: SocketAddr::new(host, port), edge: Edge { dist, cors_origins } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn reads_the_environment_with_loopback_defaults() {
        assert_eq!(config(&[]).err(), Some(ConfigError::NoDatabaseUrl));
        let plain = config(&[("DATABASE_URL", "postgres://x")]).unwrap();
        assert_eq!(plain.address.to_string(), "127.0.0.1:8080");
        assert_eq!((plain.edge.dist, plain.edge.cors_origins.len()), (None, 0));
        let set = config(&[
            ("DATABASE_URL", "postgres://x"),
            ("PORT", "9000"),
            ("DIST", "dist"),
            ("CORS_ORIGINS", "https://app.example, http://localhost:3000"),
        ])
        .unwrap();
        assert_eq!(set.address.to_string(), "127.0.0.1:9000");
        assert_eq!(set.edge.cors_origins, ["https://app.example", "http://localhost:3000"]);
        assert_eq!(config(&[("DATABASE_URL", "x"), ("PORT", "80000")]).err(), Some(ConfigError::Port("80000".into())));
        assert!(config(&[("DATABASE_URL", "x"), ("CORS_ORIGINS", "https://a.example/path")]).is_err());
        assert!(config(&[("DATABASE_URL", "x"), ("CORS_ORIGINS", "*")]).is_err());
    }
}
