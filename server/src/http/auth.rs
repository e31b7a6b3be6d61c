//! Who is calling: the [`Caller`] of every request to the API, put
//! in the request's extensions by [`authenticate`] and taken by every
//! handler. Without tokens, every request is the one local caller (tenant
//! `ledger`, device `http`). With `TOKENS_FILE`, a request names itself
//! with `Authorization: Bearer {token}`, and the token's line in the file
//! gives its tenant and device; anything else is 401. The rate limit is
//! taken here too, per token, once the caller is known.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::rate::{Key, Limiter, Rate};
use super::tokens::{digest, Keyring};
use crate::error::ApiError;
use crate::store::{Device, Tenant};

/// Whose request this is: the tenant whose accounts it sees, and the device
/// recorded on the events it makes. Handlers take it as an argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub tenant: Tenant,
    pub device: Device,
}

impl Caller {
    /// The one caller of a server without tokens.
    pub fn local() -> Caller {
        Caller { tenant: Tenant::local(), device: Device::http() }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Caller, ApiError> {
        // Only a route outside `authenticate` lacks one: refused, not opened.
        parts.extensions.get::<Caller>().cloned().ok_or(ApiError::Unauthorized)
    }
}

/// Who may call, and how often.
#[derive(Clone, Debug)]
pub struct Access {
    keyring: Option<Arc<Keyring>>,
    limiter: Arc<Limiter>,
}

/// The rate-limit key of every request without tokens: one shared bucket
/// (such a server answers only this machine).
const OPEN_KEY: Key = [0; 32];

impl Access {
    /// Every request is the local caller.
    pub fn open(rate: Rate) -> Access {
        Access { keyring: None, limiter: Arc::new(Limiter::new(rate)) }
    }

    /// Every request to the API needs a token of `keyring`.
    pub fn tokens(keyring: Arc<Keyring>, rate: Rate) -> Access {
        Access { keyring: Some(keyring), limiter: Arc::new(Limiter::new(rate)) }
    }

    pub fn keyring(&self) -> Option<&Arc<Keyring>> {
        self.keyring.as_ref()
    }

    /// The caller of a request with `headers`, and its rate-limit key.
    pub fn identify(&self, headers: &HeaderMap) -> Result<(Caller, Key), ApiError> {
        let Some(keyring) = &self.keyring else { return Ok((Caller::local(), OPEN_KEY)) };
        let token = bearer(headers).ok_or(ApiError::Unauthorized)?;
        let key = digest(token);
        let caller = keyring.caller(&key).ok_or(ApiError::Unauthorized)?;
        Ok((caller, key))
    }
}

/// The token of the one `Authorization` header, if it is exactly `Bearer
/// {token}` (the scheme in any case, one space, a token of visible ASCII).
fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let bytes = value.as_bytes();
    let scheme = bytes.get(..7)?;
    let token = bytes.get(7..)?;
    let visible = !token.is_empty() && token.iter().all(|b| b.is_ascii_graphic());
    (scheme.eq_ignore_ascii_case(b"bearer ") && visible).then_some(token)
}

/// What needs no token: `GET /health` (a load balancer asks it) and the
/// reading of any path outside the API (`/accounts`, `/sync`, `/metrics`):
/// the app's files (`DIST`), which hold no data, so a browser can load the
/// app before it has a token. A request routed to the API without a
/// `Caller` is refused by the extractor all the same.
fn is_public(request: &Request) -> bool {
    const PRIVATE: [&str; 3] = ["/accounts", "/sync", "/metrics"];
    let path = request.uri().path();
    let under = |prefix: &str| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    matches!(*request.method(), Method::GET | Method::HEAD) && !PRIVATE.iter().any(|prefix| under(prefix))
}

/// The layer: identifies the caller, takes one from its bucket, and hands
/// the request on with the [`Caller`] in its extensions.
pub async fn authenticate(State(access): State<Access>, mut request: Request, next: Next) -> Response {
    if is_public(&request) {
        return next.run(request).await;
    }
    let (caller, key) = match access.identify(request.headers()) {
        Ok(found) => found,
        Err(error) => return error.into_response(),
    };
    if let Err(wait) = access.limiter.take(&key, Instant::now()) {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return ApiError::TooManyRequests { retry_after: seconds.max(1) }.into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn only_one_exact_bearer_header_names_a_token() {
        assert_eq!(bearer(&headers(&["Bearer abc"])), Some(&b"abc"[..]));
        assert_eq!(bearer(&headers(&["bearer abc"])), Some(&b"abc"[..]));
        for bad in [&[][..], &["Bearer"], &["Bearer "], &["Bearer  abc"], &["Basic YTpi"], &["Bearer a b"], &["Bearerabc"]] {
            assert_eq!(bearer(&headers(bad)), None, "{bad:?}");
        }
        assert_eq!(bearer(&headers(&["Bearer abc", "Bearer abc"])), None, "two headers are refused");
    }
}
