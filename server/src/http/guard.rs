//! Without tokens, the server is for this machine only: it answers a
//! request only when its `Host` is a loopback name (so a DNS rebinding page
//! can't reach it under another name), and refuses an `Origin` that is not
//! the server's own or one configured in `CORS_ORIGINS` (so another web
//! page can't drive it). curl sends no `Origin`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The origins, besides its own, whose pages may call the server.
#[derive(Clone, Debug, Default)]
pub struct Guard {
    origins: Vec<String>,
}

impl Guard {
    pub fn new(origins: Vec<String>) -> Guard {
        Guard { origins }
    }

    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
        if !is_loopback(host) {
            return Err(ApiError::ForbiddenHost { host: host.chars().take(100).collect() });
        }
        let Some(origin) = headers.get(ORIGIN) else { return Ok(()) };
        let origin = origin.to_str().unwrap_or_default();
        let own = origin.strip_prefix("http://").is_some_and(|rest| rest.eq_ignore_ascii_case(host));
        if own || self.origins.iter().any(|allowed| allowed == origin) {
            Ok(())
        } else {
            Err(ApiError::ForbiddenOrigin { origin: origin.chars().take(100).collect() })
        }
    }
}

/// `127.0.0.1`, `localhost` or `[::1]`, with or without a port.
pub fn is_loopback(host: &str) -> bool {
    let named = |name: &str| name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost");
    let (name_ok, port) = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((inside, "")) => (inside == "::1", None),
            Some((inside, after)) => match after.strip_prefix(':') {
                Some(port) => (inside == "::1", Some(port)),
                None => return false,
            },
            None => return false,
        },
        None => match host.split_once(':') {
            Some((name, port)) => (named(name), Some(port)),
            None => (named(host), None),
        },
    };
    let port_ok = port.is_none_or(|digits| (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()));
    name_ok && port_ok
}

pub async fn guard(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    match guard.check(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_loopback_names_are_hosts() {
        for ok in ["127.0.0.1", "127.0.0.1:8080", "localhost", "LocalHost:1", "[::1]", "[::1]:8080"] {
            assert!(is_loopback(ok), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "evil.example:8080",
            "127.0.0.2",
            "localhost.",
            "[::2]",
            "[::1",
            "localhost:",
            "localhost:123456",
            "localhost:80:80",
            "127.0.0.1.evil.example",
        ] {
            assert!(!is_loopback(bad), "{bad}");
        }
    }

    #[test]
    fn only_the_own_or_listed_origins_pass() {
        let guard = Guard::new(vec!["http://app.example".into()]);
        let headers = |host: &str, origin: Option<&str>| {
            let mut headers = HeaderMap::new();
            headers.insert(HOST, HeaderValue::from_str(host).unwrap());
            if let Some(origin) = origin {
                headers.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
            }
            headers
        };
        assert!(guard.check(&headers("127.0.0.1:8080", None)).is_ok());
        assert!(guard.check(&headers("127.0.0.1:8080", Some("http://127.0.0.1:8080"))).is_ok());
        assert!(guard.check(&headers("localhost:8080", Some("http://app.example"))).is_ok());
        assert!(guard.check(&headers("127.0.0.1:8080", Some("http://evil.example"))).is_err());
        assert!(guard.check(&headers("127.0.0.1:8080", Some("null"))).is_err());
        assert!(guard.check(&headers("127.0.0.1:8080", Some("http://localhost:8080"))).is_err());
        assert!(guard.check(&headers("evil.example", None)).is_err());
        assert!(guard.check(&HeaderMap::new()).is_err());
    }
}
