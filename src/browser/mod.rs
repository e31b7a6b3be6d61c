//! The browser's side of the ports the core defines: localStorage as the
//! key-value map, `Date.now()` as the clock, `crypto.getRandomValues` for
//! event ids; the page's one ledger that the JS API and the UI share
//! (page.rs); the coordination of the copy's tabs (coordination/); and the
//! names that keep copies at two paths of one origin apart (scope.rs).
//!
//! Compiled for wasm32 only, but for the tab protocol (coordination/wire.rs)
//! and the scope's names, which are pure and tested natively too.

mod coordination;
#[cfg(target_arch = "wasm32")]
mod identity;
#[cfg(target_arch = "wasm32")]
mod local_storage;
#[cfg(target_arch = "wasm32")]
mod page;
#[cfg(target_arch = "wasm32")]
mod persistence;
mod scope;
#[cfg(target_arch = "wasm32")]
mod sync;

#[cfg(target_arch = "wasm32")]
pub use identity::{new_command_id, BrowserClock, RandomIds};
#[cfg(target_arch = "wasm32")]
pub use local_storage::LocalStorageKv;
#[cfg(target_arch = "wasm32")]
pub use page::{open_ledger, AppLedger, BrowserLedger};
#[cfg(target_arch = "wasm32")]
pub use persistence::Persistence;
pub use scope::{Scope, NAMESPACE};
#[cfg(target_arch = "wasm32")]
pub use sync::{link_from, Differs, Problem, State as SyncState, SyncRequest, SyncStatus};
