//! The sync API's service (docs/sync-protocol.md): a push decided by the
//! core's `plan_push` against the stream as stored and written at the
//! version it was decided on; a pull in the tenant's order; a live pull that
//! waits for news; the accounts' heads; one account's events by version.
//! No HTTP here.

use std::time::{Duration, Instant};

use ledger_core::{
    fit_page, plan_push, AccountId, Behind, Envelope, ExpectedVersion, Heads, LedgerError, Pulled, Push, PushError, PushPlan,
    Pushed, ServerEvent, StoreError, Tip, Version, MAX_PULL, PAGE_BYTES,
};

use crate::service::{Ledger, ATTEMPTS};
use crate::store::{Device, EventStore, ReadFrom, Tenant};

/// The longest a live pull waits.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// How often a waiting live pull looks again even without news (news can
/// be lost while the listener reconnects).
const RECHECK: Duration = Duration::from_secs(1);

/// What a push comes to.
#[derive(Debug)]
pub enum PushAnswer {
    /// Stored, now or before (HTTP 200).
    Pushed(Pushed),
    /// The stream has events the device lacks (HTTP 409).
    Behind(Behind),
}

/// Why a push was not taken.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Push(#[from] PushError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl From<StoreError> for SyncError {
    fn from(error: StoreError) -> SyncError {
        SyncError::Ledger(error.into())
    }
}

impl<S: EventStore> Ledger<S> {
    /// Takes a device's new events for `account` (see `plan_push`): stored
    /// whole at the version they follow, or answered with what the device
    /// lacks. A push that loses a race to another writer is decided again
    /// on the stream as it then is.
    pub async fn push(&self, tenant: &Tenant, device: &Device, account: &AccountId, push: Push) -> Result<PushAnswer, SyncError> {
        let store = self.store();
        let server = store.server_id().to_owned();
        let mut attempt = 1;
        loop {
            let mut tip = Tip::new(account);
            let mut held = store.stream_after(tenant, account, &mut tip, usize::MAX, ReadFrom::Primary).await?;
            let stream: Vec<Envelope> = held.iter().map(|e| e.envelope.clone()).collect();
            match plan_push(&tip, &stream, push.clone())? {
                PushPlan::Stored { version } => {
                    let position = position_of(&held, version)?;
                    return Ok(PushAnswer::Pushed(Pushed { server, account: account.clone(), version, position }));
                }
                PushPlan::Behind { version, missing } => {
                    // The stream's last events, as read: with positions and devices.
                    let missing = held.split_off(held.len().saturating_sub(missing.len()));
                    return Ok(PushAnswer::Behind(Behind { server, account: account.clone(), version, missing }));
                }
                PushPlan::Append { expected, events } => {
                    let version = Version::new(expected.get() + u64::try_from(events.len()).unwrap_or(0));
                    match store.append(tenant, account, ExpectedVersion(expected), &events, device).await {
                        Ok(()) => {
                            // Read back after the tip they were decided on, for their positions.
                            let stored = store.stream_after(tenant, account, &mut tip, events.len(), ReadFrom::Primary).await?;
                            let position = position_of(&stored, version)?;
                            return Ok(PushAnswer::Pushed(Pushed { server, account: account.clone(), version, position }));
                        }
                        Err(StoreError::Conflict { .. }) if attempt < ATTEMPTS => attempt += 1,
                        Err(error) => return Err(error.into()),
                    }
                }
            }
        }
    }

    /// The tenant's events after `after`, at most `limit` (from the
    /// replica, if there is one).
    pub async fn pull(&self, tenant: &Tenant, after: u64, limit: usize) -> Result<Pulled, LedgerError> {
        self.pull_from(tenant, after, limit, ReadFrom::Replica).await
    }

    async fn pull_from(&self, tenant: &Tenant, after: u64, limit: usize, from: ReadFrom) -> Result<Pulled, LedgerError> {
        let store = self.store();
        let mut events = store.category_after(tenant, after, limit.clamp(1, MAX_PULL), from).await?;
        events.truncate(fit_page(&events, PAGE_BYTES));
        let next = events.last().map_or(after, |e| e.position);
        Ok(Pulled { server: store.server_id().to_owned(), events, next })
    }

    /// The head of each of the tenant's accounts (from the replica, if
    /// there is one).
    pub async fn heads(&self, tenant: &Tenant) -> Result<Heads, LedgerError> {
        let store = self.store();
        let accounts = store.heads(tenant, ReadFrom::Replica).await?;
        Ok(Heads { server: store.server_id().to_owned(), accounts })
    }

    /// The account's events after version `after`, at most `limit`, in
    /// version order (from the replica, if there is one); `next` is the
    /// last one's version. An account with no events has none, whoever's
    /// it may be.
    pub async fn account_events(
        &self,
        tenant: &Tenant,
        account: &AccountId,
        after: Version,
        limit: usize,
    ) -> Result<Pulled, LedgerError> {
        let store = self.store();
        // A tip checks a stream from its start only: the events up to
        // `after` are read and admitted too, a page at a time, and dropped.
        let mut tip = Tip::new(account);
        while tip.version() < after {
            let left = usize::try_from(after.get() - tip.version().get()).unwrap_or(usize::MAX).min(MAX_PULL);
            if store.stream_after(tenant, account, &mut tip, left, ReadFrom::Replica).await?.is_empty() {
                break;
            }
        }
        let mut events = if tip.version() == after {
            store.stream_after(tenant, account, &mut tip, limit.clamp(1, MAX_PULL), ReadFrom::Replica).await?
        } else {
            Vec::new()
        };
        events.truncate(fit_page(&events, PAGE_BYTES));
        let next = events.last().map_or(after, |e| e.envelope.version).get();
        Ok(Pulled { server: store.server_id().to_owned(), events, next })
    }

    /// A pull that, finding nothing, waits up to `wait` for the tenant's
    /// next commit. News of a position the replica has not replayed yet is
    /// read from the primary, so a live pull never waits on a replica's lag.
    pub async fn live(&self, tenant: &Tenant, after: u64, limit: usize, wait: Duration) -> Result<Pulled, LedgerError> {
        let deadline = Instant::now() + wait.min(MAX_WAIT);
        // Watching before the first look: news that lands between the look
        // and the wait still wakes it.
        let mut news = self.store().news(tenant);
        loop {
            let heard = *news.borrow_and_update();
            let mut pulled = self.pull_from(tenant, after, limit, ReadFrom::Replica).await?;
            if pulled.events.is_empty() && heard > after {
                pulled = self.pull_from(tenant, after, limit, ReadFrom::Primary).await?;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if !pulled.events.is_empty() || left.is_zero() {
                return Ok(pulled);
            }
            let _ = tokio::time::timeout(left.min(RECHECK), news.changed()).await;
        }
    }
}

/// The position of the event at `version` among `events`.
fn position_of(events: &[ServerEvent], version: Version) -> Result<u64, StoreError> {
    match events.iter().rev().find(|e| e.envelope.version == version) {
        Some(event) => Ok(event.position),
        None => Err(StoreError::Unavailable { reason: format!("version {version} was not read back") }),
    }
}
