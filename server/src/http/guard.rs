//! Without tokens, the server is for this machine only: it answers a
//! request only when its `Host` is a loopback name (so a DNS rebinding page
//! can't reach it under another name), and refuses an `Origin` that is not
//! the server's own or one configured in `CORS_ORIGINS` (so another web
//! page can't drive it). curl sends no `Origin`. With tokens, any `Host`
//! is served (the server may listen beyond loopback, or behind a proxy),
//! and the `Origin` check stays: the own origin may then be `https://`
//! too, as a TLS proxy in front makes it. Either way, a request with two
//! `Host`, `Origin` or `Content-Type` headers (which one would count?), or
//! a path and query over [`URI_LIMIT`], is refused.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The longest path and query answered; a longer one is 414. (Past
/// hyper's own limit on a request's head, some 400 KB, hyper answers 431
/// before this server sees the request.)
pub const URI_LIMIT: usize = 8 * 1024;

/// The origins, besides its own, whose pages may call the server, and
/// whether only loopback hosts are served (without tokens).
#[derive(Clone, Debug, Default)]
pub struct Guard {
    origins: Vec<String>,
    any_host: bool,
}

impl Guard {
    /// The guard of a server without tokens: loopback hosts only.
    pub fn new(origins: Vec<String>) -> Guard {
        Guard { origins, any_host: false }
    }

    /// The guard of a server with tokens: any host.
    pub fn with_tokens(origins: Vec<String>) -> Guard {
        Guard { origins, any_host: true }
    }

    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        for (name, header) in [("Host", HOST), ("Origin", ORIGIN), ("Content-Type", CONTENT_TYPE)] {
            if headers.get_all(header).iter().nth(1).is_some() {
                return Err(ApiError::DuplicateHeader { name });
            }
        }
        let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
        if !self.any_host && !is_loopback(host) {
            return Err(ApiError::ForbiddenHost { host: host.chars().take(100).collect() });
        }
        let Some(origin) = headers.get(ORIGIN) else { return Ok(()) };
        let origin = origin.to_str().unwrap_or_default();
        let own_as =
            |scheme: &str| origin.strip_prefix(scheme).is_some_and(|rest| !host.is_empty() && rest.eq_ignore_ascii_case(host));
        let own = own_as("http://") || (self.any_host && own_as("https://"));
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
    let length = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if length > URI_LIMIT {
        return ApiError::UriTooLong { limit: URI_LIMIT }.into_response();
    }
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

    /// A request's headers with this `Host` and, if given, `Origin`.
    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn only_the_own_or_listed_origins_pass() {
        let guard = Guard::new(vec!["http://app.example".into()]);
        assert!(guard.check(&headers("127.0.0.1:8080", None)).is_ok());
        assert!(guard.check(&headers("127.0.0.1:8080", Some("http://127.0.0.1:8080"))).is_ok());
        assert!(guard.check(&headers("localhost:8080", Some("http://app.example"))).is_ok());
        assert!(guard.check(&headers("127.0.0.1:8080", Some("http://evil.example"))).is_err());
        assert!(guard.check(&headers("127.0.0.1:8080", Some("null"))).is_err());
        assert!(guard.check(&headers("127.0.0.1:8080", Some("http://localhost:8080"))).is_err());
        assert!(guard.check(&headers("evil.example", None)).is_err());
        assert!(guard.check(&HeaderMap::new()).is_err());
        let mut two = headers("127.0.0.1:8080", None);
        two.append(HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(matches!(guard.check(&two), Err(ApiError::DuplicateHeader { name: "Host" })));
    }

    #[test]
    fn with_tokens_any_host_but_still_only_own_or_listed_origins() {
        let guard = Guard::with_tokens(vec!["http://app.example".into()]);
        assert!(guard.check(&headers("ledger.example", None)).is_ok());
        assert!(guard.check(&headers("ledger.example", Some("https://ledger.example"))).is_ok());
        assert!(guard.check(&headers("ledger.example", Some("http://app.example"))).is_ok());
        assert!(guard.check(&headers("ledger.example", Some("https://evil.example"))).is_err());
        assert!(guard.check(&HeaderMap::new()).is_ok());
        let mut no_host = HeaderMap::new();
        no_host.insert(ORIGIN, HeaderValue::from_static("http://"));
        assert!(guard.check(&no_host).is_err(), "an empty host is no own origin");
        let mut two = headers("ledger.example", Some("http://app.example"));
        two.append(ORIGIN, HeaderValue::from_static("http://app.example"));
        assert!(guard.check(&two).is_err());
    }
}
