//! One round of sync over any transport: the order of the requests and
//! what is done with each answer, written once for the browser (over
//! `fetch`) and for native tests (over a model server). Async, single
//! threaded: the ledger is borrowed only between requests
//! ([`Device::with`]), so the page keeps working while a round waits.
//!
//! A round: the server's heads (the totals for progress), every event
//! after the position pulled (pages), the heads compared with the confirmed
//! streams (the server as witness), accounts read where a stream lacks
//! events, then pushes until nothing is left to send.

use super::client::{confirmed_tip, DeviceLedger, Progress, SyncClient, SyncError, PUSH_EVENTS};
use crate::domain::{AccountId, Version, SCHEMA};
use crate::store::KeyValue;
use crate::sync::{Behind, Heads, Pulled, Push, Pushed};
use crate::{Clock, IdGenerator};

/// What the server answered a push with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushAnswer {
    Pushed(Pushed),
    Behind(Behind),
}

crate::coded::coded_error! {
    /// Why a request to the server failed. `Unavailable` passes (sync
    /// tries again by itself, waiting longer each time); the others need
    /// something to change first.
    pub enum TransportError {
        #[error("the server can't be reached: {reason}")]
        Unavailable { reason: String } => "SyncUnavailable",
        #[error("the server wants a valid token: {message}")]
        Unauthorized { message: String } => "Unauthorized",
        #[error("the server refused the request ({status} {code}): {message}")]
        Refused { status: u64, code: String, message: String } => "SyncRefused",
        /// The server's answer can't be read and it announces a newer
        /// schema: it holds events this build does not know. Nothing was
        /// taken; a reload brings the build that reads them.
        #[error("the server holds entries of a newer version of the app (schema {schema}; this version reads up to {ours}): reload to update")]
        NewerServer { schema: u64, ours: u64 } => "NeedsReload",
    }
}

impl TransportError {
    /// An answer that can't be read: from a server that announces a newer
    /// schema than this build's, it holds what this build does not know
    /// ([`TransportError::NewerServer`]: the device waits for a reload and
    /// takes nothing); otherwise the answer was garbled on the way and the
    /// request is tried again later.
    pub fn unreadable(reason: &str, announced: Option<u32>) -> TransportError {
        let ours = SCHEMA.number;
        match announced {
            Some(schema) if schema > ours => TransportError::NewerServer { schema: u64::from(schema), ours: u64::from(ours) },
            _ => TransportError::Unavailable { reason: format!("the server's answer can't be read: {reason}") },
        }
    }
}

crate::coded::coded_error! {
    /// Why a round of sync stopped.
    pub enum RoundError {
        #[error("{0}")]
        Transport(#[from] TransportError),
        #[error("{0}")]
        Sync(#[from] SyncError),
        #[error("the server's history kept moving under {pushes} pushes in a row; the next round goes on")]
        Restless { pushes: u64 } => "SyncUnavailable",
    }
}

/// The server's sync API (docs/sync-protocol.md).
#[allow(async_fn_in_trait)] // single threaded (the browser): no `Send` wanted
pub trait Transport {
    /// `GET /sync/accounts`.
    async fn heads(&mut self) -> Result<Heads, TransportError>;
    /// `GET /sync/events?after=`.
    async fn pull(&mut self, after: u64) -> Result<Pulled, TransportError>;
    /// `GET /sync/accounts/{id}?after=` (a version).
    async fn account(&mut self, account: &AccountId, after: Version) -> Result<Pulled, TransportError>;
    /// `POST /sync/accounts/{id}`.
    async fn push(&mut self, account: &AccountId, push: &Push) -> Result<PushAnswer, TransportError>;
    /// `GET /sync/live?after=`: a pull that waits for news.
    async fn live(&mut self, after: u64) -> Result<Pulled, TransportError>;
    /// The schema the server announced with its last answer
    /// ([`crate::SCHEMA_HEADER`]); `None` from a server that announces
    /// none, one from before protocol version 3, which takes schema 1.
    fn schema(&self) -> Option<u32> {
        None
    }
}

/// The device: its ledger and sync client, lent for one step at a time
/// (an error when they are busy: the browser refuses a nested borrow).
pub trait Device<K: KeyValue, C: Clock, G: IdGenerator> {
    fn with<R>(
        &self,
        f: impl FnOnce(&mut DeviceLedger<K, C, G>, &mut SyncClient) -> Result<R, SyncError>,
    ) -> Result<R, SyncError>;

    /// A step of long work is done (a page pulled, a push answered): the
    /// client's counts moved, for whoever shows them.
    fn progressed(&self) {}
}

/// How many pushes in a row may meet a moved stream before a round gives
/// the next one its turn.
const RESTLESS: u64 = 64;

/// One round of sync; answers what it changed.
pub async fn round<K: KeyValue, C: Clock, G: IdGenerator>(
    device: &impl Device<K, C, G>,
    transport: &mut impl Transport,
) -> Result<Progress, RoundError> {
    let mut progress = Progress::default();
    let heads = transport.heads().await?;
    device.with(|ledger, client| client.begin(ledger, &heads))?;
    loop {
        let pulled = transport.pull(device.with(|_, client| Ok(client.position()))?).await?;
        let last = pulled.events.is_empty();
        progress.add(device.with(|ledger, client| client.receive(ledger, &pulled))?);
        device.progressed();
        if last {
            break;
        }
    }
    let heads = heads.accounts.into_iter().map(|h| (h.account, h.version, h.hash));
    let compared = device.with(|ledger, client| client.compare(ledger, heads))?;
    fill(device, transport, &mut progress, compared).await?;
    let mut limit = PUSH_EVENTS;
    let mut moved = 0;
    // What the server takes: events of a newer schema wait for its update.
    let accepts = transport.schema().unwrap_or(1);
    device.with(|ledger, client| client.begin_upload(ledger))?;
    while let Some((account, mut push)) = device.with(|ledger, client| client.next_push(ledger, accepts))? {
        push.events.truncate(limit);
        match transport.push(&account, &push).await {
            Ok(PushAnswer::Pushed(answer)) => {
                progress.add(device.with(|ledger, client| client.pushed(ledger, &account, &push, &answer))?);
                device.progressed();
                limit = PUSH_EVENTS;
                moved = 0;
            }
            Ok(PushAnswer::Behind(answer)) => {
                let taken = device.with(|ledger, client| client.behind(ledger, &push, answer))?;
                fill(device, transport, &mut progress, taken).await?;
                moved += 1;
                if moved >= RESTLESS {
                    return Err(RoundError::Restless { pushes: moved });
                }
            }
            // A refused body of several events: send them one by one, so
            // the one refused is known.
            Err(TransportError::Refused { status: 400 | 413, .. }) if push.events.len() > 1 => limit = 1,
            Err(TransportError::Refused { status: 400 | 413, code, message }) => {
                let refused = |ledger: &mut DeviceLedger<K, C, G>, client: &mut SyncClient| {
                    client.refused(ledger, &account, &push, None, &code, &message)
                };
                progress.add(device.with(refused)?);
            }
            Err(error) => return Err(error.into()),
        }
    }
    progress.held = device.with(|ledger, client| client.held_back(ledger, accepts))?;
    Ok(progress)
}

/// Waits for news (`GET /sync/live`) and takes it.
pub async fn listen<K: KeyValue, C: Clock, G: IdGenerator>(
    device: &impl Device<K, C, G>,
    transport: &mut impl Transport,
) -> Result<Progress, RoundError> {
    let pulled = transport.live(device.with(|_, client| Ok(client.position()))?).await?;
    let mut progress = device.with(|ledger, client| client.receive(ledger, &pulled))?;
    let gaps = std::mem::take(&mut progress.gaps);
    fill(device, transport, &mut progress, Progress { gaps, ..Progress::default() }).await?;
    Ok(progress)
}

/// Adds `step` to `progress`, reading each account it found a gap in.
async fn fill<K: KeyValue, C: Clock, G: IdGenerator>(
    device: &impl Device<K, C, G>,
    transport: &mut impl Transport,
    progress: &mut Progress,
    mut step: Progress,
) -> Result<(), RoundError> {
    let mut gaps = std::mem::take(&mut step.gaps);
    progress.add(step);
    while let Some((account, after)) = gaps.pop() {
        let pulled = transport.account(&account, after).await?;
        if pulled.events.is_empty() {
            continue;
        }
        let mut step = device.with(|ledger, client| {
            client.check_server(&pulled.server)?;
            client.take(ledger, &account, pulled.events.into_iter().map(|e| e.envelope).collect())
        })?;
        // Asked from the stream's end, the answer can't leave a gap; the
        // account may have more than one page.
        step.gaps.clear();
        if step.adopted > 0 {
            let (confirmed, _) = device.with(|ledger, _| Ok(confirmed_tip(ledger, &account)?))?;
            gaps.push((account.clone(), confirmed));
        }
        progress.add(step);
        device.progressed();
    }
    Ok(())
}
