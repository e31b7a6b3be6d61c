//! The server's event store: its contract ([`EventStore`], async, shared
//! by every request at once) and its one implementation over PostgreSQL
//! with Message DB ([`MessageDb`]). The contract is the browser store's:
//! read a stream from a tip, each event admitted to it by the core's
//! [`Tip::admit`]; append at an expected version, all or nothing.

mod batch;
mod feed;
mod message_db;
mod metadata;
mod stream;

use std::future::Future;

use ledger_core::{AccountId, Envelope, EventId, ExpectedVersion, Head, ServerEvent, StoreError, Tip};

pub use feed::News;
pub use message_db::{MessageDb, PoolError};
pub use metadata::SEQUENCE;
pub use stream::{message_id, stream_name, Device, DeviceError, Tenant, TenantError};

/// Where a read goes: the replica (the primary itself when there is none),
/// as the sync reads do; or the primary, as commands, the original's reads
/// and pushes do, and a live pull for news the replica may not have
/// replayed yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFrom {
    Replica,
    Primary,
}

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

    /// The event of `stream` whose id is `event`, if the stream holds it:
    /// one look-up by its message id (derived from the tenant, the account
    /// and the event id: the table's primary key), never a read of the
    /// stream. A message that is not one of this stream's events is
    /// [`StoreError::Corrupt`].
    fn event(
        &self,
        tenant: &Tenant,
        stream: &AccountId,
        event: &EventId,
    ) -> impl Future<Output = Result<Option<Envelope>, StoreError>> + Send;

    /// This database's server id, made once (a reset or another database
    /// has another).
    fn server_id(&self) -> &str;

    /// The tenant's events after global position `after`, oldest first, at
    /// most `limit`: never one skipped by a commit that lands late (a
    /// tenant's writes commit in the order of their positions, and a replica
    /// replays commits in order, so it answers a prefix of the primary's).
    fn category_after(
        &self,
        tenant: &Tenant,
        after: u64,
        limit: usize,
        from: ReadFrom,
    ) -> impl Future<Output = Result<Vec<ServerEvent>, StoreError>> + Send;

    /// The stream's events after `tip`, at most `limit`, oldest first, with
    /// their positions and devices, each admitted to `tip` in turn as
    /// [`EventStore::read_from`] does (a damaged stream is
    /// [`StoreError::Corrupt`], and `tip` stays where it was).
    fn stream_after(
        &self,
        tenant: &Tenant,
        stream: &AccountId,
        tip: &mut Tip,
        limit: usize,
        from: ReadFrom,
    ) -> impl Future<Output = Result<Vec<ServerEvent>, StoreError>> + Send;

    /// The head of each of the tenant's accounts (its last event's version,
    /// hash and position), in the order of their ids; a damaged last
    /// message is [`StoreError::Corrupt`].
    fn heads(&self, tenant: &Tenant, from: ReadFrom) -> impl Future<Output = Result<Vec<Head>, StoreError>> + Send;

    /// Changes whenever the tenant may have news (a commit, or the listener
    /// reconnecting): for requests that wait for it.
    fn news(&self, tenant: &Tenant) -> tokio::sync::watch::Receiver<u64>;

    /// Whether the storage answers.
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}
