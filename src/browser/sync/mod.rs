//! Sync with a server of record, in the browser: the transport over
//! `fetch` (transport.rs), the loop the writing tab runs (engine.rs), what
//! every tab shows (status.rs), and what the user asks of it
//! (requests.rs). The decisions are the core's (`ledger_core::device`).

mod engine;
mod requests;
mod status;
mod transport;

pub use engine::Syncing;
pub use requests::SyncRequest;
pub use status::{Differs, Problem, State, SyncStatus};

use crate::Link;

/// The link a person or a script gave: an http(s) URL (kept as its origin
/// and path) and, when the server wants one, a token.
pub fn link_from(url: &str, token: &str) -> Result<Link, Problem> {
    let bad = |message: &str| Problem { code: "InvalidLink".into(), message: message.to_owned() };
    let url = url.trim();
    if url.is_empty() {
        return Err(bad("the server's address is missing"));
    }
    let parsed = web_sys::Url::new(url).map_err(|_| bad("the server's address is not a URL (it starts with https://)"))?;
    if !matches!(parsed.protocol().as_str(), "http:" | "https:") {
        return Err(bad("the server's address must start with http:// or https://"));
    }
    let url = format!("{}{}", parsed.origin(), parsed.pathname().trim_end_matches('/'));
    let token = Some(token.trim().to_owned()).filter(|t| !t.is_empty());
    if token.as_ref().is_some_and(|t| t.len() > 4096 || !t.bytes().all(|b| b.is_ascii_graphic())) {
        return Err(bad("a token is up to 4096 printable characters, without spaces"));
    }
    Ok(Link { url, token })
}
