//! The sync API over `fetch` (docs/sync-protocol.md): the core's
//! [`Transport`], with a bearer token, a time limit on every request, and
//! each answer sorted into what passes (offline, a timeout, a 5xx, a
//! dropped connection, a rate limit) and what does not (401, another 4xx).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::{
    AccountId, Behind, Heads, Pulled, Push, PushAnswer, Pushed, Transport, TransportError, Version, SCHEMA, SCHEMA_HEADER,
};

/// How long a request may take, and a live wait on top of its own.
const TIMEOUT_MS: i32 = 20_000;
/// How long the server holds a live pull open when nothing happens.
pub const LIVE_WAIT_S: u32 = 20;

/// Requests to one server, one at a time; [`Fetch::abort`] cuts the one in
/// flight short (a live wait, when there is something to push).
#[derive(Debug, Clone)]
pub struct Fetch {
    base: String,
    token: Option<String>,
    in_flight: Rc<RefCell<Option<web_sys::AbortController>>>,
    /// The schema the server announced with its last answer (protocol
    /// version 3); `None` from an older server.
    announced: Rc<Cell<Option<u32>>>,
}

fn unavailable(reason: impl Into<String>) -> TransportError {
    TransportError::Unavailable { reason: reason.into() }
}

fn described(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the request failed".into())
}

impl Fetch {
    pub fn new(url: &str, token: Option<&str>) -> Fetch {
        Fetch {
            base: url.trim_end_matches('/').to_owned(),
            token: token.map(str::to_owned),
            in_flight: Rc::default(),
            announced: Rc::default(),
        }
    }

    /// The same requests, knowing that the server announced `schema`
    /// (the last round's [`Fetch`] heard it).
    pub fn having_heard(self, schema: Option<u32>) -> Fetch {
        self.announced.set(schema);
        self
    }

    /// What the server at `url` announced, if this is its [`Fetch`].
    pub fn announced_by(&self, url: &str) -> Option<u32> {
        (self.base == url.trim_end_matches('/')).then(|| self.announced.get()).flatten()
    }

    /// Cuts the request in flight short: it fails as `Unavailable`.
    pub fn abort(&self) {
        if let Some(controller) = self.in_flight.borrow().as_ref() {
            controller.abort();
        }
    }

    /// `method path` with `body`; the answer's status and text.
    async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        limit_ms: i32,
    ) -> Result<(u16, String), TransportError> {
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        init.set_cache(web_sys::RequestCache::NoStore);
        let headers = web_sys::Headers::new().map_err(|e| unavailable(described(&e)))?;
        if let Some(token) = &self.token {
            let _ = headers.set("Authorization", &format!("Bearer {token}"));
        }
        // Only to a server that announced a schema: an older one's CORS
        // preflight would refuse a header it does not know.
        if self.announced.get().is_some() {
            let _ = headers.set(SCHEMA_HEADER, &SCHEMA.number.to_string());
        }
        if let Some(body) = &body {
            let _ = headers.set("Content-Type", "application/json");
            init.set_body(&JsValue::from_str(body));
        }
        init.set_headers(&headers);
        let controller = web_sys::AbortController::new().map_err(|e| unavailable(described(&e)))?;
        init.set_signal(Some(&controller.signal()));
        let window = web_sys::window().ok_or_else(|| unavailable("no window"))?;
        let timer = {
            let controller = controller.clone();
            let on_time = wasm_bindgen::closure::Closure::once_into_js(move || controller.abort());
            window.set_timeout_with_callback_and_timeout_and_arguments_0(on_time.unchecked_ref(), limit_ms).ok()
        };
        *self.in_flight.borrow_mut() = Some(controller);
        let url = format!("{}{path}", self.base);
        let outcome = async {
            let response = JsFuture::from(window.fetch_with_str_and_init(&url, &init)).await.map_err(|e| {
                unavailable(format!("{url}: {} (offline, a timeout, or the server refused the connection)", described(&e)))
            })?;
            let response: web_sys::Response = response.dyn_into().map_err(|_| unavailable("not a response"))?;
            let schema = response.headers().get(SCHEMA_HEADER).ok().flatten().and_then(|text| text.trim().parse().ok());
            self.announced.set(schema);
            let text = response.text().map_err(|e| unavailable(described(&e)))?;
            let text =
                JsFuture::from(text).await.map_err(|e| unavailable(format!("the answer was cut off: {}", described(&e))))?;
            Ok((response.status(), text.as_string().unwrap_or_default()))
        }
        .await;
        self.in_flight.borrow_mut().take();
        if let Some(timer) = timer {
            window.clear_timeout_with_handle(timer);
        }
        outcome
    }

    /// A request whose only good answer is 200, read by `read`.
    async fn get<T>(&self, path: &str, limit_ms: i32, read: impl Fn(&str) -> Result<T, String>) -> Result<T, TransportError> {
        let (status, text) = self.request("GET", path, None, limit_ms).await?;
        match status {
            200 => read(&text).map_err(|reason| TransportError::unreadable(&reason, self.announced.get())),
            _ => Err(failure(status, &text)),
        }
    }
}

/// What a status other than the expected one means.
fn failure(status: u16, text: &str) -> TransportError {
    let (code, message) = error_body(text).unwrap_or_else(|| (format!("HTTP{status}"), crate::preview(text).to_string()));
    match status {
        401 => TransportError::Unauthorized { message },
        // Passing: the server's trouble, a proxy's, or a rate limit.
        408 | 425 | 429 | 500..=599 => unavailable(format!("the server answered {status}: {message}")),
        _ => TransportError::Refused { status: u64::from(status), code, message },
    }
}

/// `{"code":…,"message":…}`, the server's error body.
fn error_body(text: &str) -> Option<(String, String)> {
    let value = js_sys::JSON::parse(text).ok()?;
    let field = |name: &str| js_sys::Reflect::get(&value, &name.into()).ok()?.as_string();
    Some((field("code")?, field("message")?))
}

impl Transport for Fetch {
    async fn heads(&mut self) -> Result<Heads, TransportError> {
        self.get("/sync/accounts", TIMEOUT_MS, Heads::read).await
    }

    async fn pull(&mut self, after: u64) -> Result<Pulled, TransportError> {
        self.get(&format!("/sync/events?after={after}"), TIMEOUT_MS, Pulled::read).await
    }

    async fn account(&mut self, account: &AccountId, after: Version) -> Result<Pulled, TransportError> {
        self.get(&format!("/sync/accounts/{account}?after={after}"), TIMEOUT_MS, Pulled::read).await
    }

    async fn push(&mut self, account: &AccountId, push: &Push) -> Result<PushAnswer, TransportError> {
        let (status, text) = self.request("POST", &format!("/sync/accounts/{account}"), Some(push.write()), TIMEOUT_MS).await?;
        let garbled = |reason: String| TransportError::unreadable(&reason, self.announced.get());
        match status {
            200 => Pushed::read(&text).map(PushAnswer::Pushed).map_err(garbled),
            409 => Behind::read(&text).map(PushAnswer::Behind).map_err(garbled),
            _ => Err(failure(status, &text)),
        }
    }

    async fn live(&mut self, after: u64) -> Result<Pulled, TransportError> {
        let path = format!("/sync/live?after={after}&wait={LIVE_WAIT_S}");
        let limit = TIMEOUT_MS + i32::try_from(LIVE_WAIT_S * 1000).unwrap_or(i32::MAX);
        self.get(&path, limit, Pulled::read).await
    }

    fn schema(&self) -> Option<u32> {
        self.announced.get()
    }
}
