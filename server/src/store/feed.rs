//! The sync reads (docs/sync-protocol.md): a tenant's events after a
//! global position, read by category (the server's one order); an
//! account's events with their positions and devices; the accounts' heads;
//! the server's id; and news of commits, from PostgreSQL `LISTEN/NOTIFY`.
//!
//! A trigger (migrate.sql) notifies `ledger_messages` with
//! `{category} {global position}` for every message written, delivered when
//! its transaction commits. One connection per server listens and wakes the
//! waiting requests of that category; it reconnects by itself, and wakes
//! everyone when it does, since news may have passed meanwhile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ledger_core::{AccountId, Head, ServerEvent, StoreError};
use tokio::sync::watch;
use tokio_postgres::{AsyncMessage, NoTls, Row};

use super::message_db::{corrupt, decode, unavailable, MessageDb};
use super::stream::Tenant;
use super::ReadFrom;

/// What `get_category_messages($1, $2, $3)` reads, as one prepared
/// statement (the function builds its query with `EXECUTE`, planned anew at
/// every call: 6 ms a page against 0.7 ms).
const CATEGORY: &str = "SELECT id::varchar AS id, stream_name, type, position, global_position, data::varchar AS data, \
    metadata::varchar AS metadata FROM message_store.messages \
    WHERE message_store.category(stream_name) = $1 AND global_position >= $2 ORDER BY global_position LIMIT $3";
/// The last message of each of a category's streams: their last positions
/// (a scan of the category's index: every message of the tenant), then each
/// one's row by the stream index.
const HEADS: &str = "SELECT m.id::varchar AS id, m.stream_name, m.type, m.position, m.global_position, \
    m.data::varchar AS data, m.metadata::varchar AS metadata FROM (SELECT stream_name, max(position) AS position \
    FROM message_store.messages WHERE message_store.category(stream_name) = $1 GROUP BY stream_name) AS last \
    JOIN message_store.messages AS m ON m.stream_name = last.stream_name AND m.position = last.position";
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
        let client = self.pool_of(from).get().await.map_err(unavailable)?;
        let statement = client.prepare_cached(CATEGORY).await.map_err(unavailable)?;
        let from = i64::try_from(after.saturating_add(1)).map_err(|_| unavailable("position past PostgreSQL's bigint"))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client.query(&statement, &[&tenant.as_str(), &from, &limit]).await.map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                let (stream, account) = account_of(tenant, row)?;
                let (envelope, device) =
                    decode(tenant, &account, row).map_err(|reason| corrupt(&stream, position(row), reason))?;
                Ok(ServerEvent { position: envelope.sequence.0, account, device, envelope })
            })
            .collect()
    }

    /// The last event of each of the tenant's accounts, as its head, in
    /// the order of the accounts' ids. Each is read and checked as every
    /// message is (`decode`); the chain behind it is checked by the
    /// stream's reads from its start, not here.
    pub(super) async fn heads(&self, tenant: &Tenant, from: ReadFrom) -> Result<Vec<Head>, StoreError> {
        let client = self.pool_of(from).get().await.map_err(unavailable)?;
        let statement = client.prepare_cached(HEADS).await.map_err(unavailable)?;
        let rows = client.query(&statement, &[&tenant.as_str()]).await.map_err(unavailable)?;
        let mut heads = rows
            .iter()
            .map(|row| {
                let (stream, account) = account_of(tenant, row)?;
                let (envelope, _) = decode(tenant, &account, row).map_err(|reason| corrupt(&stream, position(row), reason))?;
                Ok(Head { account, version: envelope.version, hash: envelope.hash, position: envelope.sequence.0 })
            })
            .collect::<Result<Vec<Head>, StoreError>>()?;
        // In the ids' own order, whatever the database's collation.
        heads.sort_unstable_by(|a, b| a.account.cmp(&b.account));
        Ok(heads)
    }
}

/// The stream of a row of `tenant`'s category, and its account.
fn account_of(tenant: &Tenant, row: &Row) -> Result<(String, AccountId), StoreError> {
    let stream: String = row.try_get("stream_name").map_err(unavailable)?;
    let account =
        stream.strip_prefix(tenant.as_str()).and_then(|rest| rest.strip_prefix('-')).and_then(|id| AccountId::parse(id).ok());
    match account {
        Some(account) => Ok((stream, account)),
        None => Err(corrupt(&stream, position(row), "not a stream of an account".into())),
    }
}

/// A row's global position, to name where a damaged message is.
fn position(row: &Row) -> i64 {
    row.try_get("global_position").unwrap_or(-1)
}
