//! An event-sourced bank-account ledger that runs entirely in the browser.
//!
//! The pure core (domain, event store, codec, application service) is the
//! `ledger-core` crate, re-exported here (with its `testing` module under
//! the `bench` feature). This crate adds the browser edges,
//! compiled for wasm32 only: the localStorage key-value map, the clock and id
//! source, the JS API (`window.wasmBindings.*`) and the Leptos UI.
#![forbid(unsafe_code)]

pub use ledger_core::*;

#[cfg(all(target_arch = "wasm32", feature = "bench"))]
pub mod bench;
#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(target_arch = "wasm32")]
pub mod js_api;
#[cfg(target_arch = "wasm32")]
pub mod ui;
