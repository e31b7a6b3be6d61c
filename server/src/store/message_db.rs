//! [`EventStore`] over PostgreSQL with Message DB: one message per event,
//! written by Message DB's `write_message` with the expected version, every
//! event of an append all or nothing, appends queued meanwhile committed
//! together (batch.rs); read back as `get_stream_messages` reads (one
//! prepared query) and admitted to the core's [`Tip`].

use std::fmt::Display;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use ledger_core::{
    read_event, write_event, AccountId, Envelope, EventId, ExpectedVersion, Head, Sequence, ServerEvent, StoreError, Tip, Version,
};
use tokio_postgres::{NoTls, Row};

use super::batch::{Message, Writer};
use super::feed::{News, SERVER_ID};
use super::metadata::Metadata;
use super::stream::{message_id, stream_name, Device, Tenant};
use super::{EventStore, ReadFrom};

/// Every connection's settings: Message DB's functions are found only on its
/// search path; and no bitmap scans. Every query the server makes walks an
/// index in order (a stream by position, a category by global position),
/// and a bitmap scan, which the planner picks whenever its statistics lag
/// behind a growing table, reads and sorts a whole category to answer one
/// page of a pull (measured: 50 ms a page at 13,000 events, growing with
/// the ledger, against 0.7 ms in index order).
const SETTINGS: &str = "-c search_path=message_store,public -c enable_bitmapscan=off";
/// Messages read per query.
const BATCH: i64 = 1000;
/// What `get_stream_messages($1, $2, $3)` reads, as one prepared statement:
/// the function builds its query with `EXECUTE`, parsed and planned anew
/// at every call.
const READ: &str = "SELECT id::varchar AS id, type, position, global_position, data::varchar AS data, \
    metadata::varchar AS metadata FROM message_store.messages WHERE stream_name = $1 AND position >= $2 \
    ORDER BY position LIMIT $3";
/// One message by its id (the primary key), if it is in the stream.
const BY_ID: &str = "SELECT id::varchar AS id, type, position, global_position, data::varchar AS data, \
    metadata::varchar AS metadata FROM message_store.messages WHERE id = CAST($1::text AS uuid) AND stream_name = $2";
const HAS_MESSAGE_DB: &str =
    "SELECT to_regprocedure('message_store.write_message(varchar,varchar,varchar,jsonb,jsonb,bigint)') IS NOT NULL";

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("DATABASE_URL is not a PostgreSQL connection string: {0}")]
    BadUrl(String),
    #[error("the connection pool could not be made: {0}")]
    Pool(String),
    #[error("the database did not answer within {seconds} s: {reason}")]
    NoAnswer { seconds: u64, reason: String },
    #[error("the database has no Message DB (install it: scripts/server.sh does)")]
    NoMessageDb,
    #[error("updating the database's schema failed: {0}")]
    Migration(String),
}

/// The store over a pool of connections to one Message DB database.
#[derive(Clone, Debug)]
pub struct MessageDb {
    pool: Pool,
    /// The pulls' pool: a replica's, or the same as `pool`.
    reader: Pool,
    /// The database's server id (migrate.sql's `ledger_server`).
    server: Arc<str>,
    news: Arc<News>,
    writer: Writer,
}

pub(super) fn unavailable(error: impl Display) -> StoreError {
    StoreError::Unavailable { reason: error.to_string() }
}

pub(super) fn corrupt(stream: &str, position: i64, reason: String) -> StoreError {
    StoreError::Corrupt { key: format!("{stream} position {position}"), reason }
}

/// A pool of connections to `url` with Message DB's search path, and the
/// configuration (for a connection of its own, the listener's).
fn connect(url: &str, max_connections: usize) -> Result<(Pool, tokio_postgres::Config), PoolError> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e: tokio_postgres::Error| PoolError::BadUrl(e.to_string()))?;
    let options = match config.get_options() {
        Some(given) => format!("{given} {SETTINGS}"),
        None => SETTINGS.to_owned(),
    };
    config.options(&options).application_name("ledger-server").connect_timeout(Duration::from_secs(5));
    let manager = Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    let pool = Pool::builder(manager)
        .max_size(max_connections)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|e| PoolError::Pool(e.to_string()))?;
    Ok((pool, config))
}

/// Message DB counts positions from 0 where versions count from 1.
fn position_after(version: Version) -> Result<i64, StoreError> {
    i64::try_from(version.get()).map_err(|_| unavailable(format!("version {version} is past PostgreSQL's bigint")))
}

impl MessageDb {
    /// Connects to `url` (a `postgres://` URL or key=value string), waits
    /// up to `wait` for the database to answer, checks that Message DB is
    /// installed and brings the server's additions to its schema up to date.
    pub async fn open(url: &str, max_connections: usize, wait: Duration) -> Result<MessageDb, PoolError> {
        let (pool, listener_config) = connect(url, max_connections)?;
        let writer = Writer::start(pool.clone());
        let mut store = MessageDb { reader: pool.clone(), pool, server: Arc::from(""), news: Arc::default(), writer };
        let started = Instant::now();
        loop {
            match store.ping().await {
                Ok(()) => break,
                Err(error) if started.elapsed() >= wait => {
                    return Err(PoolError::NoAnswer { seconds: wait.as_secs(), reason: error.to_string() })
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        store.migrate().await?;
        store.server = store.read_server_id().await?;
        super::feed::listen(listener_config, Arc::clone(&store.news));
        Ok(store)
    }

    /// Sends the sync API's pulls to `url`, a streaming replica of this
    /// database (feed.rs: a live pull that hears of news the replica has
    /// not replayed yet asks the primary).
    pub async fn with_replica(self, url: &str, max_connections: usize) -> Result<MessageDb, PoolError> {
        let (reader, _) = connect(url, max_connections)?;
        let client = reader.get().await.map_err(|e| PoolError::NoAnswer { seconds: 0, reason: format!("the replica: {e}") })?;
        client
            .simple_query("SELECT 1")
            .await
            .map_err(|e| PoolError::NoAnswer { seconds: 0, reason: format!("the replica: {e}") })?;
        Ok(MessageDb { reader, ..self })
    }

    /// The pool a read goes to: the replica's (the primary's when there is
    /// none), or the primary's.
    pub(super) fn pool_of(&self, from: ReadFrom) -> &Pool {
        match from {
            ReadFrom::Replica => &self.reader,
            ReadFrom::Primary => &self.pool,
        }
    }

    async fn read_server_id(&self) -> Result<Arc<str>, PoolError> {
        let failed = |e: String| PoolError::Migration(format!("the server's id can't be read: {e}"));
        let client = self.pool.get().await.map_err(|e| failed(e.to_string()))?;
        let row = client.query_one(SERVER_ID, &[]).await.map_err(|e| failed(e.to_string()))?;
        let id: String = row.try_get(0).map_err(|e| failed(e.to_string()))?;
        Ok(Arc::from(id))
    }

    /// Runs migrate.sql, one server at a time (two `CREATE INDEX IF NOT
    /// EXISTS` at once can both try to create it).
    async fn migrate(&self) -> Result<(), PoolError> {
        let failed = |e: tokio_postgres::Error| PoolError::Migration(e.to_string());
        let mut client = self.pool.get().await.map_err(|e| PoolError::Migration(e.to_string()))?;
        let installed: bool = client.query_one(HAS_MESSAGE_DB, &[]).await.and_then(|row| row.try_get(0)).map_err(failed)?;
        if !installed {
            return Err(PoolError::NoMessageDb);
        }
        let transaction = client.transaction().await.map_err(failed)?;
        transaction.execute("SELECT pg_advisory_xact_lock(hashtext('ledger-server migration'))", &[]).await.map_err(failed)?;
        transaction.batch_execute(include_str!("migrate.sql")).await.map_err(failed)?;
        transaction.commit().await.map_err(failed)
    }
}

/// One message back as an envelope (its sequence the message's global
/// position), if it is one of this stream's events, and who stored it.
pub(super) fn decode(tenant: &Tenant, account: &AccountId, row: &Row) -> Result<(Envelope, String), String> {
    let column = |e: tokio_postgres::Error| format!("a column can't be read: {e}");
    let id: String = row.try_get("id").map_err(column)?;
    let kind: String = row.try_get("type").map_err(column)?;
    let position: i64 = row.try_get("position").map_err(column)?;
    let global: i64 = row.try_get("global_position").map_err(column)?;
    let data: Option<String> = row.try_get("data").map_err(column)?;
    let metadata: Option<String> = row.try_get("metadata").map_err(column)?;
    let event = read_event(&data.ok_or("it has no data")?).map_err(|e| format!("its data is not an event: {e}"))?;
    if event.kind() != kind {
        return Err(format!("its type {kind:?} is not its event's, {}", event.kind()));
    }
    let metadata = Metadata::from_json(&metadata.ok_or("it has no metadata")?)?;
    let device = metadata.device().to_owned();
    let mut envelope = metadata.envelope(event)?;
    envelope.sequence = Sequence(u64::try_from(global).map_err(|_| format!("its global position {global} is negative"))?);
    if i64::try_from(envelope.version.get()).ok() != position.checked_add(1) {
        return Err(format!("its metadata says version {} at position {position}", envelope.version));
    }
    if id != message_id(tenant, account, &envelope.event_id) {
        return Err(format!("its message id {id} is not the one of event {} in this stream", envelope.event_id));
    }
    Ok((envelope, device))
}

impl EventStore for MessageDb {
    async fn read_from(&self, tenant: &Tenant, account: &AccountId, tip: &mut Tip) -> Result<Vec<Envelope>, StoreError> {
        let events = self.stream_after(tenant, account, tip, usize::MAX, ReadFrom::Primary).await?;
        Ok(events.into_iter().map(|event| event.envelope).collect())
    }

    async fn append(
        &self,
        tenant: &Tenant,
        account: &AccountId,
        expected: ExpectedVersion,
        events: &[Envelope],
        device: &Device,
    ) -> Result<(), StoreError> {
        let mut messages = Vec::with_capacity(events.len());
        let mut version = expected.0;
        for envelope in events {
            // Message DB's expected version is the position of the stream's
            // last message: -1 for an empty stream.
            messages.push(Message {
                id: message_id(tenant, account, &envelope.event_id),
                kind: envelope.event.kind(),
                data: write_event(&envelope.event),
                metadata: Metadata::of(envelope, device).to_json(),
                expected_position: position_after(version)? - 1,
            });
            version = version.next();
        }
        // One batch with the appends queued meanwhile: one transaction.
        self.writer.append(stream_name(tenant, account), account, expected.0, messages).await
    }

    async fn event(&self, tenant: &Tenant, account: &AccountId, event: &EventId) -> Result<Option<Envelope>, StoreError> {
        let client = self.pool.get().await.map_err(unavailable)?;
        let statement = client.prepare_cached(BY_ID).await.map_err(unavailable)?;
        let (id, stream) = (message_id(tenant, account, event), stream_name(tenant, account));
        let Some(row) = client.query_opt(&statement, &[&id, &stream]).await.map_err(unavailable)? else { return Ok(None) };
        let position = row.try_get("position").unwrap_or(-1);
        let (envelope, _) = decode(tenant, account, &row).map_err(|reason| corrupt(&stream, position, reason))?;
        Ok(Some(envelope))
    }

    fn server_id(&self) -> &str {
        &self.server
    }

    async fn category_after(
        &self,
        tenant: &Tenant,
        after: u64,
        limit: usize,
        from: ReadFrom,
    ) -> Result<Vec<ServerEvent>, StoreError> {
        MessageDb::category_after(self, tenant, after, limit, from).await
    }

    async fn stream_after(
        &self,
        tenant: &Tenant,
        account: &AccountId,
        tip: &mut Tip,
        limit: usize,
        from: ReadFrom,
    ) -> Result<Vec<ServerEvent>, StoreError> {
        // Every read of a stream (`read_from` too): in batches, each event
        // admitted to the tip before the next is taken.
        let client = self.pool_of(from).get().await.map_err(unavailable)?;
        let stream = stream_name(tenant, account);
        let statement = client.prepare_cached(READ).await.map_err(unavailable)?;
        let mut next = tip.clone();
        let mut events = Vec::new();
        while events.len() < limit {
            let from = position_after(next.version())?;
            let batch = i64::try_from(limit - events.len()).map_or(BATCH, |left| left.min(BATCH));
            let rows = client.query(&statement, &[&stream, &from, &batch]).await.map_err(unavailable)?;
            let full = i64::try_from(rows.len()).is_ok_and(|count| count >= batch);
            for row in &rows {
                let position = row.try_get("position").unwrap_or(-1);
                let (envelope, device) = decode(tenant, account, row).map_err(|reason| corrupt(&stream, position, reason))?;
                next.admit(&envelope).map_err(|reason| corrupt(&stream, position, reason))?;
                events.push(ServerEvent { position: envelope.sequence.0, account: account.clone(), device, envelope });
            }
            if !full {
                break;
            }
        }
        *tip = next;
        Ok(events)
    }

    async fn heads(&self, tenant: &Tenant, from: ReadFrom) -> Result<Vec<Head>, StoreError> {
        MessageDb::heads(self, tenant, from).await
    }

    fn news(&self, tenant: &Tenant) -> tokio::sync::watch::Receiver<u64> {
        self.news.watch(tenant)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(unavailable)?;
        client.simple_query("SELECT 1").await.map(|_| ()).map_err(unavailable)
    }
}
