//! The application service: the one path every command takes, from the JS
//! API and from the UI alike.
//!
//! ```text
//! cached state ─catch up─▶ decide ─▶ append(expected version) ─▶ apply ─▶ state
//!                 ▲                         │ conflict: another writer got there first
//!                 └─────────────────────────┘ (retried, up to MAX_ATTEMPTS)
//! ```
//!
//! Each account's state is cached after its first load; a command then reads
//! only what is new (nothing, usually), so its cost does not grow with the
//! stream.

use std::collections::HashMap;

use crate::clock::{Clock, IdGenerator};
use crate::domain::projection::{self, AccountsOverview};
use crate::domain::{AccountId, AccountState, BankAccount, Command, DomainError, Event, ExpectedVersion, Version};
use crate::store::{Damage, Envelope, EventStore, NewEvent, StoreError, StreamList};

/// How often a command is tried when other writers keep moving the stream.
pub const MAX_ATTEMPTS: u32 = 5;

/// Why the ledger did not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("version {requested} is outside 0..={current} for account {id}")]
    InvalidVersion { id: AccountId, requested: u64, current: Version },
}

impl LedgerError {
    /// The stable name of the error, for programs: the JS API's `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::Domain(error) => match error {
                DomainError::ZeroAmount | DomainError::BalanceLimitExceeded { .. } => "InvalidAmount",
                DomainError::AccountNotFound { .. } => "AccountNotFound",
                DomainError::AccountAlreadyExists { .. } => "AccountAlreadyExists",
                DomainError::InsufficientFunds { .. } => "InsufficientFunds",
            },
            LedgerError::Store(error) => match error {
                StoreError::Conflict { .. } => "Conflict",
                StoreError::Corrupt { .. } => "StorageCorrupt",
                StoreError::Full => "StorageFull",
                StoreError::Unavailable { .. } => "StorageUnavailable",
            },
            LedgerError::InvalidVersion { .. } => "InvalidVersion",
        }
    }
}

/// Every healthy account, and every piece of stored data that is not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overview {
    pub accounts: AccountsOverview,
    pub damaged: Vec<Damage>,
}

/// The ledger over an event store, a clock and an id source.
#[derive(Debug)]
pub struct Ledger<S, C, G> {
    store: S,
    clock: C,
    ids: G,
    cache: HashMap<AccountId, BankAccount>,
}

impl<S: EventStore, C: Clock, G: IdGenerator> Ledger<S, C, G> {
    pub fn new(store: S, clock: C, ids: G) -> Self {
        Ledger { store, clock, ids, cache: HashMap::new() }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Runs `command` against account `id`: `POST /accounts/{id}`.
    pub fn execute(&mut self, id: &AccountId, command: &Command) -> Result<AccountState, LedgerError> {
        let mut account = self.checkout(id);
        let result = self.execute_on(&mut account, command);
        self.keep(account);
        result
    }

    /// The account's current state, `None` if it does not exist:
    /// `GET /accounts/{id}`.
    pub fn account(&mut self, id: &AccountId) -> Result<Option<AccountState>, LedgerError> {
        let mut account = self.checkout(id);
        let result = self.catch_up(&mut account);
        let state = account.state();
        self.keep(account);
        result.map(|()| state)
    }

    /// The account's events, oldest first: `GET /accounts/{id}/events`.
    pub fn events(&self, id: &AccountId) -> Result<Vec<Event>, LedgerError> {
        Ok(self.history(id)?.into_iter().map(|envelope| envelope.event).collect())
    }

    /// The account's events with their envelopes, oldest first, checked as
    /// a load is.
    pub fn history(&self, id: &AccountId) -> Result<Vec<Envelope>, LedgerError> {
        let history = self.store.read(id, Version::EMPTY)?;
        let mut account = BankAccount::new(id.clone());
        self.replay(&mut account, &history)?;
        Ok(history)
    }

    /// The state after the first `version` events (time travel); `None` for
    /// version 0, before the account was opened.
    pub fn account_at(&self, id: &AccountId, version: u64) -> Result<Option<AccountState>, LedgerError> {
        let events = self.events(id)?;
        let current = Version::new(u64::try_from(events.len()).unwrap_or(u64::MAX));
        if version > current.get() {
            return Err(LedgerError::InvalidVersion { id: id.clone(), requested: version, current });
        }
        Ok(projection::state_at(id, &events, Version::new(version)))
    }

    /// Every account's state, sorted by id (the read model), and what could
    /// not be read. One damaged account does not hide the others.
    pub fn accounts(&mut self) -> Result<Overview, LedgerError> {
        let StreamList { ids, mut damaged } = self.store.streams()?;
        let mut states = Vec::with_capacity(ids.len());
        for id in ids {
            match self.account(&id) {
                Ok(Some(state)) => states.push(state),
                Ok(None) => {}
                Err(LedgerError::Store(StoreError::Corrupt { key, reason })) => damaged.push(Damage { key, reason }),
                Err(error) => return Err(error),
            }
        }
        Ok(Overview { accounts: AccountsOverview::new(states), damaged })
    }

    fn execute_on(&mut self, account: &mut BankAccount, command: &Command) -> Result<AccountState, LedgerError> {
        let mut attempt = 1;
        loop {
            self.catch_up(account)?;
            let events = account.decide(command)?;
            let new_events = events
                .into_iter()
                .map(|event| NewEvent { event_id: self.ids.next_id(), recorded_at: self.clock.now(), event })
                .collect();
            match self.store.append(account.id(), ExpectedVersion(account.version()), new_events) {
                Ok(stored) => {
                    for envelope in &stored {
                        account.apply(&envelope.event);
                    }
                    // Every accepted command leaves the account opened.
                    return account.state().ok_or_else(|| DomainError::AccountNotFound { id: account.id().clone() }.into());
                }
                Err(StoreError::Conflict { .. }) if attempt < MAX_ATTEMPTS => attempt += 1,
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Brings `account` up to date with the store: reads only the events past
    /// its version, or everything again if the stream was cut short under us.
    fn catch_up(&self, account: &mut BankAccount) -> Result<(), LedgerError> {
        let new = match self.store.read(account.id(), account.version()) {
            Ok(new) => new,
            Err(StoreError::Conflict { .. }) => {
                *account = BankAccount::new(account.id().clone());
                self.store.read(account.id(), Version::EMPTY)?
            }
            Err(error) => return Err(error.into()),
        };
        let mut next = account.clone();
        self.replay(&mut next, &new)?;
        *account = next;
        Ok(())
    }

    /// Applies `envelopes` to `account`, refusing any event its rules could
    /// not have produced: such a history is damaged or foreign.
    fn replay(&self, account: &mut BankAccount, envelopes: &[Envelope]) -> Result<(), LedgerError> {
        for envelope in envelopes {
            if let Err(rule) = account.check(&envelope.event) {
                return Err(StoreError::Corrupt {
                    key: self.store.location(account.id(), envelope.version),
                    reason: format!("this event breaks the account's rules: {rule}"),
                }
                .into());
            }
            account.apply(&envelope.event);
        }
        Ok(())
    }

    fn checkout(&mut self, id: &AccountId) -> BankAccount {
        self.cache.remove(id).unwrap_or_else(|| BankAccount::new(id.clone()))
    }

    /// Caches accounts that exist; unknown ids asked about cost no memory.
    fn keep(&mut self, account: BankAccount) {
        if account.version() > Version::EMPTY {
            self.cache.insert(account.id().clone(), account);
        }
    }
}
