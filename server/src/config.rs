//! The server's settings, from its environment.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::http::{Edge, Rate};

/// What `ledger-server` is told by its environment:
///
/// - `DATABASE_URL` (required): PostgreSQL with Message DB installed;
/// - `READ_DATABASE_URL`: a streaming replica of it, for the sync API's pulls;
/// - `PORT` (default 8080) and `HOST` (default 127.0.0.1): where it listens;
///   `HOST` beyond loopback only with `TOKENS_FILE`;
/// - `DIST`: a folder of files to serve for every path the API does not own;
/// - `CORS_ORIGINS`: comma-separated origins (`https://app.example`) whose
///   pages may call the API besides the server's own;
/// - `TOKENS_FILE`: the devices' tokens (http/tokens.rs); without it, one
///   open ledger for this machine;
/// - `RATE_LIMIT` (default 200) and `RATE_BURST` (default twice the rate):
///   requests per second per token (or in all, without tokens); 0 is none.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub read_database_url: Option<String>,
    pub address: SocketAddr,
    pub edge: Edge,
    pub tokens_file: Option<PathBuf>,
    pub rate: Rate,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("DATABASE_URL is not set: the server needs PostgreSQL with Message DB (scripts/server.sh starts one)")]
    NoDatabaseUrl,
    #[error("PORT must be a port number, got {0:?}")]
    Port(String),
    #[error("HOST must be an IP address, got {0:?}")]
    Host(String),
    #[error("HOST is {0}, beyond loopback: without TOKENS_FILE the server serves one open ledger, so it listens on loopback only (set TOKENS_FILE to serve a network)")]
    OpenBeyondLoopback(IpAddr),
    #[error("{name} must be a whole number of requests per second, got {value:?}")]
    Rate { name: &'static str, value: String },
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
        let tokens_file = var("TOKENS_FILE").map(PathBuf::from);
        if tokens_file.is_none() && !host.is_loopback() {
            return Err(ConfigError::OpenBeyondLoopback(host));
        }
        let number = |name: &'static str| match var(name) {
            Some(value) => value.trim().parse::<u32>().map(Some).map_err(|_| ConfigError::Rate { name, value }),
            None => Ok(None),
        };
        let per_second = number("RATE_LIMIT")?.unwrap_or(Rate::DEFAULT.per_second);
        let burst = number("RATE_BURST")?.unwrap_or(per_second.saturating_mul(2));
        let read_database_url = var("READ_DATABASE_URL");
        Ok(Config {
            database_url,
            read_database_url,
            address: SocketAddr::new(host, port),
            edge: Edge { dist, cors_origins },
            tokens_file,
            rate: Rate { per_second, burst },
        })
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

    #[test]
    fn beyond_loopback_only_with_tokens_and_the_rate_limit_is_read() {
        let open = config(&[("DATABASE_URL", "x"), ("HOST", "0.0.0.0")]).err();
        assert!(matches!(open, Some(ConfigError::OpenBeyondLoopback(_))), "{open:?}");
        assert!(open.is_some_and(|e| e.to_string().contains("TOKENS_FILE")));
        assert!(config(&[("DATABASE_URL", "x"), ("HOST", "::1")]).is_ok());
        let tokens = config(&[("DATABASE_URL", "x"), ("HOST", "0.0.0.0"), ("TOKENS_FILE", "/etc/tokens")]).unwrap();
        assert_eq!(tokens.address.to_string(), "0.0.0.0:8080");
        assert_eq!(tokens.tokens_file, Some(PathBuf::from("/etc/tokens")));
        assert_eq!(tokens.rate, Rate { per_second: 200, burst: 400 });
        let low = config(&[("DATABASE_URL", "x"), ("RATE_LIMIT", "5")]).unwrap();
        assert_eq!(low.rate, Rate { per_second: 5, burst: 10 });
        let set = config(&[("DATABASE_URL", "x"), ("RATE_LIMIT", "5"), ("RATE_BURST", "1")]).unwrap();
        assert_eq!(set.rate, Rate { per_second: 5, burst: 1 });
        assert!(config(&[("DATABASE_URL", "x"), ("RATE_LIMIT", "-1")]).is_err());
        assert!(config(&[("DATABASE_URL", "x"), ("RATE_BURST", "1.5")]).is_err());
    }
}
