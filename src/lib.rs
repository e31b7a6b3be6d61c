//! An event-sourced bank-account ledger that runs entirely in the browser.
//!
//! The pure core (domain, event store, codec, application service) is the
//! `ledger-core` crate, re-exported here (with its `testing` module under
//! the `bench` feature). This crate adds the browser edges, compiled for
//! wasm32 only: the localStorage key-value map, the clock and id source, the
//! page's ledger and the coordination of tabs (`browser`), the JS API
//! (`window.wasmBindings.*`, whose functions are `js_api`'s) and the Leptos
//! UI (`App`).
#![forbid(unsafe_code)]

pub use ledger_core::*;

mod browser;
#[cfg(target_arch = "wasm32")]
mod ui;

#[cfg(all(target_arch = "wasm32", feature = "bench"))]
pub mod bench;
#[cfg(target_arch = "wasm32")]
pub mod js_api;

#[cfg(target_arch = "wasm32")]
pub use browser::{new_command_id, open_ledger, AppLedger, BrowserClock, BrowserLedger, LocalStorageKv, RandomIds};
pub use browser::{Scope, NAMESPACE};
#[cfg(target_arch = "wasm32")]
pub use ui::{App, Numbers};
