//! The sync API's service (docs/sync-protocol.md): a push decided by the
//! core's `plan_push` against the stream as stored and written at the
//! version it was decided on; a pull in the tenant's order; a live pull that
//! waits for news. No HTTP here.

use std::time::{Duration, Instant};

use ledger_core::{
    plan_push, AccountId, Behind, ExpectedVersion, LedgerError, Pulled, Push, PushError, PushPlan, Pushed, StoreError, Tip,
    Version, MAX_PULL,
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
            let stream = store.read_from(tenant, account, &mut tip).await?;
            match plan_push(&tip, &stream, push.clone())? {
                PushPlan::Stored { version } => {
                    let position = version_position(&stream, version)?;
                    return Ok(PushAnswer::Pushed(Pushed { server, account: account.clone(), version, position }));
                }
                PushPlan::Behind { version, missing } => {
                    // The same events again, with their positions and devices.
                    let shared = missing.first().map_or(version, |e| Version::new(e.version.get().saturating_sub(1)));
                    let missing = store.stream_after(tenant, account, shared).await?;
                    let version = missing.last().map_or(version, |e| e.envelope.version.max(version));
                    return Ok(PushAnswer::Behind(Behind { server, account: account.clone(), version, missing }));
                }
                PushPlan::Append { expected, events } => {
                    let version = Version::new(expected.get() + u64::try_from(events.len()).unwrap_or(0));
                    match store.append(tenant, account, ExpectedVersion(expected), &events, device).await {
                        Ok(()) => {
                            let stored = store.stream_after(tenant, account, Version::new(version.get() - 1)).await?;
                            let position = stored.first().map(|e| e.position).unwrap_or_default();
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
        let events = store.category_after(tenant, after, limit.clamp(1, MAX_PULL), from).await?;
        let next = events.last().map_or(after, |e| e.position);
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

/// The position of the stored event at `version` (its envelope's sequence
/// is its position in the server's order).
fn version_position(stream: &[ledger_core::Envelope], version: Version) -> Result<u64, StoreError> {
    let index = usize::try_from(version.get()).ok().and_then(|v| v.checked_sub(1));
    match index.and_then(|i| stream.get(i)) {
        Some(envelope) => Ok(envelope.sequence.0),
        None => Err(StoreError::Unavailable { reason: format!("version {version} was not read back") }),
    }
}
