//! The server's command loop and reads: a thin service over the store, built
//! from the core's pieces (no HTTP here). A command starts from the
//! account's cached [`Tip`] (cache.rs; the stream is read from its start
//! only for an account not cached), goes through the core's one command
//! step ([`step`]: the command-id policy, then the account's `decide`),
//! and is appended at the version it was decided on; when another request
//! got there first, only the newer events are read and the command decided
//! again. A refusal decided on a cached tip is checked against the stream's
//! newer events first, so a stale cache never refuses what the stream allows.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ledger_core::{
    step, AccountId, AccountState, Answer, Append, ChainHash, CommandId, CommandRequest, DayBook, DomainError, Done, Envelope,
    Event, EventId, Facts, LedgerError, NewEvent, Question, Step, StoreError, StoredEvent, Timestamp, Tip, Version,
};

use crate::cache::{TipCache, CAPACITY};
use crate::metrics::Metrics;
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
    cache: TipCache,
    metrics: Arc<Metrics>,
}

impl<S: EventStore> Ledger<S> {
    pub fn new(store: S) -> Ledger<S> {
        Ledger::with_cache(store, CAPACITY)
    }

    /// A ledger that caches at most `capacity` accounts' tips.
    pub fn with_cache(store: S, capacity: usize) -> Ledger<S> {
        Ledger { store, cache: TipCache::new(capacity), metrics: Arc::new(Metrics::new()) }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The counters `GET /metrics` shows.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Runs a command: `POST /accounts/{id}`. Answers the account's new
    /// state. A command id already used on the account is not done again:
    /// the answer is the state that command left, and nothing is stored;
    /// the same id with another command is `CommandIdReused`.
    pub async fn execute(&self, tenant: &Tenant, device: &Device, request: &CommandRequest) -> Result<AccountState, LedgerError> {
        let CommandRequest { account, command, command_id } = request;
        let command_id = command_id.as_ref();
        // `fresh`: the tip was just read from the store, not only cached.
        let (mut tip, mut done, mut fresh) = match self.cache.get(tenant, account, command_id) {
            Some(cached) => (cached.tip, cached.done, false),
            None => {
                let mut tip = Tip::new(account);
                let done = self.catch_up(tenant, &mut tip, command_id).await?;
                (tip, done, true)
            }
        };
        let mut attempt = 1;
        loop {
            let questions = tip.account.questions(command);
            let facts = if questions.is_empty() { Facts::NONE } else { self.facts(tenant, &tip, &questions).await? };
            let append = match step(&tip.account, command, done.take(), &facts) {
                Ok(Step::Done(state)) => return Ok(state),
                Ok(Step::Append(append)) => append,
                Err(refusal) if refusal.may_be_stale() && !fresh => {
                    done = self.catch_up(tenant, &mut tip, command_id).await?;
                    fresh = true;
                    continue;
                }
                Err(refusal) => return Err(refusal.into()),
            };
            let events = envelopes(&tip, &append, command_id)?;
            match self.store.append(tenant, &append.stream, append.expected, &events, device).await {
                Ok(()) => {
                    self.metrics.appended(events.len());
                    let before = tip.clone();
                    let after = state_after(tip, &events)?;
                    self.cache.record(tenant, &before, &events, &after);
                    return after.account.state().ok_or_else(|| DomainError::AccountNotFound { id: account.clone() }.into());
                }
                Err(StoreError::Conflict { .. }) if attempt < ATTEMPTS => {
                    self.metrics.conflict();
                    attempt += 1;
                    done = self.catch_up(tenant, &mut tip, command_id).await?;
                    fresh = true;
                }
                Err(error) => {
                    if matches!(error, StoreError::Conflict { .. }) {
                        self.metrics.conflict();
                    }
                    return Err(error.into());
                }
            }
        }
    }

    /// The answers to `questions` (about `own`'s stream, the tip a command
    /// is decided on, or any other): an event by id is one look-up by
    /// primary key; balances by date and heads come from the cache's day
    /// book, and a stream not cached is read once (and cached). A book
    /// behind `own` is not used: the stream is read again. One ahead of it
    /// is harmless: the append at `own`'s version conflicts, and the
    /// command is decided again on the newer tip.
    pub async fn facts(&self, tenant: &Tenant, own: &Tip, questions: &[Question]) -> Result<Facts, LedgerError> {
        let mut facts = Facts::new();
        for question in questions {
            let stream = question.stream();
            let answer = match question {
                Question::Event { id, .. } => {
                    let found = self.store.event(tenant, stream, id).await?;
                    Answer::Event(found.map(|e| StoredEvent { version: e.version, booked: e.booked(), event: e.event }))
                }
                Question::BalanceAtEndOf { date, .. } => {
                    Answer::BalanceAtEndOf(self.book(tenant, stream, own).await?.1.balance_at_end_of(*date))
                }
                Question::Head { .. } => {
                    let (version, book) = self.book(tenant, stream, own).await?;
                    Answer::Head(book.head(version))
                }
            };
            facts = facts.answered(question.clone(), answer);
        }
        Ok(facts)
    }

    /// The stream's day book and its version, from the cache when it has
    /// the stream at least as far as `own` (for `own`'s stream), else read.
    async fn book(&self, tenant: &Tenant, stream: &AccountId, own: &Tip) -> Result<(Version, DayBook), LedgerError> {
        let at_least = if own.account.id() == stream { own.version() } else { Version::EMPTY };
        if let Some((version, book)) = self.cache.book(tenant, stream).filter(|(version, _)| *version >= at_least) {
            return Ok((version, book));
        }
        let mut tip = Tip::new(stream);
        let mut book = DayBook::default();
        for envelope in &self.read(tenant, &mut tip).await? {
            book.admit(envelope);
        }
        Ok((tip.version(), book))
    }

    /// Reads the events after `tip` into it, records them in the cache,
    /// and says what `command_id` did if one of them is its.
    async fn catch_up(
        &self,
        tenant: &Tenant,
        tip: &mut Tip,
        command_id: Option<&CommandId>,
    ) -> Result<Option<Done>, LedgerError> {
        let before = tip.clone();
        let events = self.read(tenant, tip).await?;
        Ok(command_id.and_then(|id| Done::find(&before.account, &events, id)))
    }

    /// The events after `tip`, read into it and recorded in the cache. A
    /// stream found damaged is forgotten by the cache, so no command is
    /// decided on it until it reads well again.
    async fn read(&self, tenant: &Tenant, tip: &mut Tip) -> Result<Vec<Envelope>, LedgerError> {
        let before = tip.clone();
        match self.store.read_from(tenant, before.account.id(), tip).await {
            Ok(events) => {
                self.cache.record(tenant, &before, &events, tip);
                Ok(events)
            }
            Err(error) => {
                if matches!(error, StoreError::Corrupt { .. }) {
                    self.cache.forget(tenant, before.account.id());
                }
                Err(error.into())
            }
        }
    }

    /// `GET /accounts/{id}`: the account's state now. Read from the
    /// stream's start, so every event is checked again (a command starts
    /// from the cache; a read checks the whole chain).
    pub async fn account(&self, tenant: &Tenant, account: &AccountId) -> Result<AccountState, LedgerError> {
        let mut tip = Tip::new(account);
        self.read(tenant, &mut tip).await?;
        tip.account.state().ok_or_else(|| DomainError::AccountNotFound { id: account.clone() }.into())
    }

    /// `GET /accounts/{id}/events`: every event of an opened account.
    pub async fn events(&self, tenant: &Tenant, account: &AccountId) -> Result<Vec<Event>, LedgerError> {
        let stream = self.read(tenant, &mut Tip::new(account)).await?;
        if stream.is_empty() {
            return Err(DomainError::AccountNotFound { id: account.clone() }.into());
        }
        Ok(stream.into_iter().map(|envelope| envelope.event).collect())
    }
}

/// The envelopes of `append`'s events after `tip`: versions, times, fresh
/// ids, the command id they are stored under, and hashes linked by the
/// core's chain.
fn envelopes(tip: &Tip, append: &Append, command_id: Option<&CommandId>) -> Result<Vec<Envelope>, LedgerError> {
    let recorded_at = now();
    let (mut version, mut hash) = (tip.version(), tip.hash);
    let ids = append.events.iter().map(|_| random_event_id()).collect::<Result<Vec<EventId>, LedgerError>>()?;
    let stored_under = ids.first().and_then(|first| append.command_id(command_id, first));
    let mut envelopes = Vec::with_capacity(ids.len());
    for (event, event_id) in append.events.iter().zip(ids) {
        version = version.next();
        let new = NewEvent { event_id, recorded_at, command_id: stored_under.clone(), event: event.clone() };
        let mut envelope = new.into_envelope(version, SEQUENCE);
        envelope.hash = ChainHash::link(&hash, tip.account.id(), &envelope);
        hash = envelope.hash;
        envelopes.push(envelope);
    }
    Ok(envelopes)
}

/// The tip once `events`, just stored, follow `tip`.
fn state_after(mut tip: Tip, events: &[Envelope]) -> Result<Tip, LedgerError> {
    let id = tip.account.id().clone();
    for envelope in events {
        tip.admit(envelope).map_err(|reason| StoreError::Corrupt { key: format!("{id} (just written)"), reason })?;
    }
    Ok(tip)
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
