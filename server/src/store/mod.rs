//! The server's event store: its contract ([`EventStore`], async, shared
//! by every request at once) and its one implementation over PostgreSQL
//! with Message DB ([`MessageDb`]). The contract is the browser store's:
//! read a stream from a tip, each event admitted to it by the core's
//! [`Tip::admit`]; append at an expected version, all or nothing.

mod batch;
mod message_db;
mod metadata;
mod stream;

use std::future::Future;

use ledger_core::{AccountId, Envelope, ExpectedVersion, StoreError, Tip};

pub use message_db::{MessageDb, PoolError};
pub use metadata::SEQUENCE;
pub use stream::{message_id, stream_name, Device, Tenant, TenantError};

/// Append-only storage of event streams, one stream per tenant and account.
pub trait EventStore: Send + Sync + 'static {
    /// The events of the stream after `tip`, oldest first, each admitted to
    /// `tip` in turn ([`Tip::admit`]: the next version, linked to the hash
    /// before it, allowed by the account's rules). An event that is not is
    /// [`StoreError::Corrupt`], naming where it is kept, and `tip` stays
    /// where it was: a damaged stream is never served.
    fn read_from(
        &self,
        tenant: &Tenant,
        stream: &AccountId,
        tip: &mut Tip,
    ) -> impl Future<Output = Result<Vec<Envelope>, StoreError>> + Send;

    /// Appends `events` (versions from `expected` + 1 on, hashes linked) if
    /// the stream is still exactly at `expected`: all of them or none. A
    /// stream that moved is [`StoreError::Conflict`].
    fn append(
        &self,
        tenant: &Tenant,
        stream: &AccountId,
        expected: ExpectedVersion,
        events: &[Envelope],
        device: &Device,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether the storage answers.
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}
