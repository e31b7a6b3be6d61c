//! The pure core of the ledger: the domain, the event store contract with its
//! memory and key-value implementations, the storage codec, and the
//! application service. Plain Rust: no browser API, no clock, no randomness.
#![forbid(unsafe_code)]

mod text;

pub mod clock;
pub mod domain;
pub mod export;
pub mod ledger;
pub mod store;
