//! The device's side of sync (docs/sync-client.md): what a browser keeps
//! while a server of record is linked, and how it takes the server's
//! events. Pending events (decided here, not yet confirmed) live in a log
//! per account apart from the confirmed streams (log.rs); the store shows
//! both as one stream (store.rs); when the server's history moves under
//! pending work, the commands are decided again (rebase.rs).

mod client;
mod link;
mod log;
mod rebase;
mod round;
mod store;

pub use client::{confirmed_tip, Counts, DeviceLedger, Divergence, Progress, SyncClient, SyncError, PUSH_EVENTS};
pub use link::{Link, Place, LINK_FORMAT};
pub use log::{PendingLog, LOG_FORMAT};
pub use rebase::{held, rebase, Held, Rebased, Rejection, OPENED_ELSEWHERE};
pub use round::{listen, round, Device, PushAnswer, RoundError, Transport, TransportError};
pub use store::{Adopted, SyncedStore};
