//! The server's one order, for sync (docs/sync-protocol.md): a tenant's
//! events after a global position, read by category; the server's id; and
//! news of commits, from PostgreSQL `LISTEN/NOTIFY`.
//!
//! A trigger (migrate.sql) notifies `ledger_messages` with
//! `{category} {global position}` for every message written, delivered when
//! its transaction commits. One connection per server listens and wakes the
//! waiting requests of that category; it reconnects by itself, and wakes
//! everyone when it does, since news may have passed meanwhile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ledger_core::{AccountId, ServerEvent, StoreError, Version};
use tokio::sync::watch;
use tokio_postgres::{AsyncMessage, NoTls};

use super::message_db::{corrupt, decode, unavailable, MessageDb};
use super::stream::{stream_name, Tenant};
use super::ReadFrom;

/// What `get_category_messages($1, $2, $3)` reads, as one prepared
/// statement (the function builds its query with `EXECUTE`, planned anew at
/// every call: 6 ms a page against 0.7 ms).
const CATEGORY: &str = "SELECT id::varchar AS id, stream_name, type, position, global_position, data::varchar AS data, \
    metadata::varchar AS metadata FROM message_store.messages \
    WHERE message_store.category(stream_name) = $1 AND global_position >= $2 ORDER BY global_position LIMIT $3";
const STREAM: &str =
    "SELECT id, stream_name, type, position, global_position, data, metadata FROM get_stream_messages($1, $2, $3)";
pub(super) const SERVER_ID: &str = "SELECT id::text FROM message_store.ledger_server";

/// The channel the trigger notifies.
const CHANNEL: &str = "ledger_messages";

/// The latest position heard of, per category, for requests to wait on.
#[derive(Debug, Default)]
pub struct News {
    categories: Mutex<HashMap<String, watch::Sender<u64>>>,
}

impl News {
    /// Wakes when news of `tenant` arrives (or the listener reconnects).
    pub fn watch(&self, tenant: &Tenant) -> watch::Receiver<u64> {
        let mut categories = self.categories.lock().unwrap_or_else(PoisonError::into_inner);
        categories.entry(tenant.as_str().to_owned()).or_insert_with(|| watch::channel(0).0).subscribe()
    }

    /// Keeps the latest position of each category heard of, even with no
    /// one waiting yet: a live pull that starts later compares with it.
    fn tell(&self, category: &str, position: u64) {
        let mut categories = self.categories.lock().unwrap_or_else(PoisonError::into_inner);
        let sender = categories.entry(category.to_owned()).or_insert_with(|| watch::channel(0).0);
        sender.send_modify(|last| *last = (*last).max(position));
    }

    fn tell_everyone(&self) {
        let categories = self.categories.lock().unwrap_or_else(PoisonError::into_inner);
        for sender in categories.values() {
            sender.send_modify(|_| {});
        }
    }
}

/// Listens for news until the server stops, reconnecting after a second
/// whenever the connection is lost (PostgreSQL restarted, say).
pub(super) fn listen(config: tokio_postgres::Config, news: Arc<News>) {
    tokio::spawn(async move {
        loop {
            let _ = listen_once(&config, &news).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn listen_once(config: &tokio_postgres::Config, news: &News) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (sender, mut heard) = tokio::sync::mpsc::unbounded_channel::<String>();
    // The connection only moves while polled: a task drives it and hands
    // on what it hears; it ends when the connection does.
    let driver = tokio::spawn(async move {
        while let Some(Ok(message)) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            if let AsyncMessage::Notification(notification) = message {
                if sender.send(notification.payload().to_owned()).is_err() {
                    break;
                }
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    news.tell_everyone();
    while let Some(payload) = heard.recv().await {
        if let Some((category, position)) = payload.split_once(' ') {
            news.tell(category, position.parse().unwrap_or(0));
        }
    }
    driver.abort();
    Ok(())
}

impl MessageDb {
    /// The events of `tenant` after global position `after`, at most
    /// `limit`, in position order, from the replica or the primary.
    pub(super) async fn category_after(
        &self,
        tenant: &Tenant,
        after: u64,
        limit: usize,
        from: ReadFrom,
    ) -> Result<Vec<ServerEvent>, StoreError> {
        let pool = match from {
            ReadFrom::Replica => self.reader(),
            ReadFrom::Primary => self.pool(),
        };
        let client = pool.get().await.map_err(unavailable)?;
        let statement = client.prepare_cached(CATEGORY).await.map_err(unavailable)?;
        let from = i64::try_from(after.saturating_add(1)).map_err(|_| unavailable("position past PostgreSQL's bigint"))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client.query(&statement, &[&tenant.as_str(), &from, &limit]).await.map_err(unavailable)?;
        let prefix = format!("{tenant}-");
        rows.iter()
            .map(|row| {
                let stream: String = row.try_get("stream_name").map_err(unavailable)?;
                let position: i64 = row.try_get("global_position").map_err(unavailable)?;
                let account = stream
                    .strip_prefix(&prefix)
                    .and_then(|id| AccountId::parse(id).ok())
                    .ok_or_else(|| corrupt(&stream, position, "not a stream of an account".into()))?;
                server_event(tenant, &account, row).map_err(|reason| corrupt(&stream, position, reason))
            })
            .collect()
    }

    /// The events of one account after `after`, with their positions and
    /// devices (not checked against the chain: `read_from` does that).
    pub(super) async fn stream_after(
        &self,
        tenant: &Tenant,
        account: &AccountId,
        after: Version,
    ) -> Result<Vec<ServerEvent>, StoreError> {
        let client = self.pool().get().await.map_err(unavailable)?;
        let statement = client.prepare_cached(STREAM).await.map_err(unavailable)?;
        let stream = stream_name(tenant, account);
        let mut events = Vec::new();
        let mut from = i64::try_from(after.get()).map_err(|_| unavailable("version past PostgreSQL's bigint"))?;
        loop {
            let rows = client.query(&statement, &[&stream, &from, &1000i64]).await.map_err(unavailable)?;
            for row in &rows {
                let position: i64 = row.try_get("position").map_err(unavailable)?;
                events.push(server_event(tenant, account, row).map_err(|reason| corrupt(&stream, position, reason))?);
                from = position + 1;
            }
            if rows.len() < 1000 {
                return Ok(events);
            }
        }
    }
}

fn server_event(tenant: &Tenant, account: &AccountId, row: &tokio_postgres::Row) -> Result<ServerEvent, String> {
    let (envelope, device) = decode(tenant, account, row)?;
    Ok(ServerEvent { position: envelope.sequence.0, account: account.clone(), device, envelope })
}
