//! What the page and `sync_status()` say about sync. The tab that syncs
//! (the writing tab) keeps it and writes it to storage
//! (`{ns}/sync/status`), so every tab shows the same; the count of pending
//! events each tab reads from storage itself.

use serde::{Deserialize, Serialize};

/// Where sync stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// No server: the app is local, as it is by default.
    #[default]
    Off,
    Syncing,
    Synced,
    /// The server can't be reached; sync tries again by itself.
    Offline,
    /// Something must change first (a token), or sync tries again later.
    Error,
    /// The user must choose: the server is not the one synced with before.
    NeedsDecision,
    /// The server holds entries of a newer version of the app: nothing is
    /// taken until the page is reloaded (and so updated).
    NeedsReload,
    /// In sync, but some of this device's entries are of a newer version
    /// than the server takes: they wait here, shown, until it is updated.
    NeedsServerUpdate,
}

/// An error as the JS API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub code: String,
    pub message: String,
}

/// An account whose copy here differs from the server's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Differs {
    pub id: String,
    pub version: u64,
    pub reason: String,
}

/// Sync's state as the writing tab last wrote it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub state: State,
    pub url: Option<String>,
    pub server_position: u64,
    /// Milliseconds since the epoch.
    pub last_synced_at: Option<f64>,
    pub error: Option<Problem>,
    pub downloaded: u64,
    pub to_download: u64,
    pub uploaded: u64,
    pub to_upload: u64,
    /// Since this tab began syncing: pending commands decided again, and
    /// commands the server's history refused.
    pub redecided: u64,
    pub rejected: u64,
    pub differs: Vec<Differs>,
    /// When the writing tab last changed it (ms since the epoch): a caller
    /// waiting on sync knows a status written before it asked.
    pub updated_at: f64,
}

impl SyncStatus {
    /// As text for storage: JSON through the browser's own `JSON`.
    pub fn write(&self) -> Option<String> {
        let value = serde_wasm_bindgen::to_value(self).ok()?;
        js_sys::JSON::stringify(&value).ok()?.as_string()
    }

    pub fn read(text: &str) -> Option<SyncStatus> {
        serde_wasm_bindgen::from_value(js_sys::JSON::parse(text).ok()?).ok()
    }
}
