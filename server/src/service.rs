//! The server's command loop and reads: a thin service over the store, built
//! from the core's pieces (no HTTP here). A command reads its stream through
//! the core's [`Tip`], is decided by [`BankAccount::decide`], and is
//! appended at the version it was decided on; when another request got
//! there first, the newer events are read and the command decided again.

use std::time::{SystemTime, UNIX_EPOCH};

use ledger_core::{
    AccountId, AccountState, BankAccount, ChainHash, Command, CommandId, CommandRequest, DomainError, Envelope, Event, EventId,
    ExpectedVersion, LedgerError, NewEvent, StoreError, Timestamp, Tip,
};

use crate::store::{Device, EventStore, Tenant, SEQUENCE};

/// How many times a command is decided before a conflict reaches its
/// caller. More than the browser's 5 (one writing tab): every conflict
/// means another command on the same account was stored meanwhile, and a
/// server takes many at once.
pub const ATTEMPTS: usize = 32;

/// The ledger of record: commands and reads over one store.
#[derive(Debug)]
pub struct Ledger<S> {
    store: S,
}

impl<S: EventStore> Ledger<S> {
    pub fn new(store: S) -> Ledger<S> {
        Ledger { store }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Runs a command: `POST /accounts/{id}`. Answers the account's new
    /// state. A command id already used on the account is not done again:
    /// the answer is the state that command left, and nothing is stored;
    /// the same id with another command is `CommandIdReused`.
    pub async fn execute(&self, tenant: &Tenant, device: &Device, request: &CommandRequest) -> Result<AccountState, LedgerError> {
        let CommandRequest { account, command, command_id } = request;
        let mut tip = Tip::new(account);
        let mut stream = Vec::new();
        let mut attempt = 1;
        loop {
            stream.extend(self.store.read_from(tenant, account, &mut tip).await?);
            if let Some(command_id) = command_id {
                if let Some(answer) = answer_again(account, &stream, command, command_id) {
                    return answer;
                }
            }
            let events = envelopes(&tip, tip.account.decide(command)?, command_id.as_ref())?;
            match self.store.append(tenant, account, ExpectedVersion(tip.version()), &events, device).await {
                Ok(()) => return state_after(tip, &events),
                Err(StoreError::Conflict { .. }) if attempt < ATTEMPTS => attempt += 1,
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// `GET /accounts/{id}`: the account's state now.
    pub async fn account(&self, tenant: &Tenant, account: &AccountId) -> Result<AccountState, LedgerError> {
        let mut tip = Tip::new(account);
        self.store.read_from(tenant, account, &mut tip).await?;
        tip.account.state().ok_or_else(|| DomainError::AccountNotFound { id: account.clone() }.into())
    }

    /// `GET /accounts/{id}/events`: every event of an opened account.
    pub async fn events(&self, tenant: &Tenant, account: &AccountId) -> Result<Vec<Event>, LedgerError> {
        let mut tip = Tip::new(account);
        let stream = self.store.read_from(tenant, account, &mut tip).await?;
        if stream.is_empty() {
            return Err(DomainError::AccountNotFound { id: account.clone() }.into());
        }
        Ok(stream.into_iter().map(|envelope| envelope.event).collect())
    }
}

/// The answer to a command id seen before in `stream`, if it was: the state
/// after its last event, when its events are what this command makes.
fn answer_again(
    account: &AccountId,
    stream: &[Envelope],
    command: &Command,
    command_id: &CommandId,
) -> Option<Result<AccountState, LedgerError>> {
    let done = |envelope: &&Envelope| envelope.command_id.as_ref() == Some(command_id);
    let first = stream.iter().find(done)?;
    let last = stream.iter().rposition(|envelope| done(&envelope))?;
    let reused = || LedgerError::CommandIdReused { id: account.clone(), command_id: command_id.clone() };
    if first.event.command() != *command {
        return Some(Err(reused()));
    }
    let then = BankAccount::replay(account.clone(), stream.iter().take(last + 1).map(|envelope| &envelope.event));
    Some(then.state().ok_or_else(reused))
}

/// The envelopes of `events` after `tip`: versions, times, fresh ids, and
/// hashes linked by the core's chain.
fn envelopes(tip: &Tip, events: Vec<Event>, command_id: Option<&CommandId>) -> Result<Vec<Envelope>, LedgerError> {
    let recorded_at = now();
    let (mut version, mut hash) = (tip.version(), tip.hash);
    let mut envelopes = Vec::with_capacity(events.len());
    for event in events {
        version = version.next();
        let new = NewEvent { event_id: random_event_id()?, recorded_at, command_id: command_id.cloned(), event };
        let mut envelope = new.into_envelope(version, SEQUENCE);
        envelope.hash = ChainHash::link(&hash, tip.account.id(), &envelope);
        hash = envelope.hash;
        envelopes.push(envelope);
    }
    Ok(envelopes)
}

/// The state once `events`, just stored, follow `tip`.
fn state_after(mut tip: Tip, events: &[Envelope]) -> Result<AccountState, LedgerError> {
    let id = tip.account.id().clone();
    for envelope in events {
        tip.admit(envelope).map_err(|reason| StoreError::Corrupt { key: format!("{id} (just written)"), reason })?;
    }
    // Every accepted command leaves the account opened.
    tip.account.state().ok_or_else(|| DomainError::AccountNotFound { id }.into())
}

/// Milliseconds since the Unix epoch, by the system clock.
fn now() -> Timestamp {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Timestamp(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

/// A random (version 4) UUID from the operating system's randomness.
fn random_event_id() -> Result<EventId, LedgerError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Unavailable { reason: format!("no randomness for an event id: {e}") })?;
    Ok(EventId::random_uuid(bytes))
}
