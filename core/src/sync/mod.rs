//! The sync protocol's messages and rules (docs/sync-protocol.md): what a
//! device pushes and pulls, the accounts' heads it compares with its own,
//! and how the server decides a push. Plain data and functions: the server
//! and the browser are the edges that move them.

mod budget;
mod heads;
mod pull;
mod push;
mod wire;

pub use budget::{fit_page, fit_push, MAX_BODY, PAGE_BYTES, PUSH_BYTES};
pub use heads::{Head, Heads};
pub use pull::{Pulled, MAX_PULL};
pub use push::{plan_push, Behind, Push, PushError, PushPlan, Pushed, MAX_PUSH};
pub use wire::{read_event_members, write_event_members, ServerEvent};

/// The header that carries a schema (core's domain/schema.rs) in protocol
/// version 3: every answer of the server's sync API announces the schema it
/// takes; a device sends its own with every request to a server that
/// announced one (a server before version 3 would refuse an unknown header
/// in a cross-origin preflight). Never a body member: a device before
/// version 3 reads bodies strictly and would refuse one it does not know.
pub const SCHEMA_HEADER: &str = "Ledger-Schema";

#[cfg(test)]
mod tests;
