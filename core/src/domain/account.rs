//! The bank-account aggregate: all rules in [`BankAccount::decide`], none in
//! [`BankAccount::apply`].

use serde::{Deserialize, Serialize};

use super::{AccountId, Command, DomainError, Event, Facts, Money, Owner, Question, Version};

/// One account's state: the fold of its events.
///
/// Before its `AccountOpened` event the account does not exist (`owner` is
/// `None`); deposits and withdrawals are then rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankAccount {
    id: AccountId,
    owner: Option<Owner>,
    balance: Money,
    version: Version,
}

/// The public view of an opened account, as the original's
/// `GET /accounts/{id}` returned it: `{id, owner, balance, version}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountState {
    pub id: AccountId,
    pub owner: Owner,
    pub balance: Money,
    pub version: Version,
}

impl BankAccount {
    /// The account with no events: version 0, not opened.
    pub fn new(id: AccountId) -> BankAccount {
        BankAccount { id, owner: None, balance: Money::ZERO, version: Version::EMPTY }
    }

    /// The account in a state folded earlier (a snapshot): the same as
    /// replaying the events that led to it.
    pub fn restore(state: AccountState) -> BankAccount {
        BankAccount { id: state.id, owner: Some(state.owner), balance: state.balance, version: state.version }
    }

    /// The fold of `events` over a new account.
    pub fn replay<'a>(id: AccountId, events: impl IntoIterator<Item = &'a Event>) -> BankAccount {
        let mut account = BankAccount::new(id);
        for event in events {
            account.apply(event);
        }
        account
    }

    /// What deciding `command` here asks about history beyond this state:
    /// the loop has its store answer these, from an index, before
    /// [`BankAccount::decide`] (docs/command-step.md). Today's commands ask
    /// nothing; a new command says here what it asks.
    pub fn questions(&self, command: &Command) -> Vec<Question> {
        match command {
            Command::OpenAccount { .. } | Command::Deposit { .. } | Command::Withdraw { .. } => Vec::new(),
        }
    }

    /// Decides what `command` means for this account, given the answers to
    /// its [`BankAccount::questions`]: the events to record, or why not.
    /// Pure: it changes nothing.
    pub fn decide(&self, command: &Command, facts: &Facts) -> Result<Vec<Event>, DomainError> {
        // Today's rules read only this state; the first that read history
        // (Reverse, Reconcile: docs/command-step.md) read `facts`.
        let _ = facts;
        let id = || self.id.clone();
        match (command, &self.owner) {
            (Command::OpenAccount { .. }, Some(_)) => Err(DomainError::AccountAlreadyExists { id: id() }),
            (Command::OpenAccount { owner, initial_balance }, None) => {
                Ok(vec![Event::AccountOpened { owner: owner.clone(), initial_balance: *initial_balance }])
            }
            (Command::Deposit { .. } | Command::Withdraw { .. }, None) => Err(DomainError::AccountNotFound { id: id() }),
            (Command::Deposit { amount }, Some(_)) => {
                if amount.is_zero() {
                    return Err(DomainError::ZeroAmount);
                }
                if self.balance.checked_add(*amount).is_none() {
                    return Err(DomainError::BalanceLimitExceeded { balance: self.balance, amount: *amount });
                }
                Ok(vec![Event::MoneyDeposited { amount: *amount }])
            }
            (Command::Withdraw { amount }, Some(_)) => {
                if amount.is_zero() {
                    return Err(DomainError::ZeroAmount);
                }
                if self.balance.checked_sub(*amount).is_none() {
                    return Err(DomainError::InsufficientFunds { balance: self.balance, requested: *amount });
                }
                Ok(vec![Event::MoneyWithdrawn { amount: *amount }])
            }
        }
    }

    /// Whether `event` is one that [`BankAccount::decide`] could have produced
    /// in this state: how a loader tells a damaged or foreign history from a
    /// real one. The rules stay in `decide`; this only asks it.
    pub fn check(&self, event: &Event) -> Result<(), DomainError> {
        self.decide(&event.command(), &Facts::NONE).map(|_| ())
    }

    /// Applies one event. No rules and no failure: an event is a fact.
    /// (Events that `decide` produced never saturate; the arithmetic saturates
    /// only so that damaged input cannot make this panic.)
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::AccountOpened { owner, initial_balance } => {
                self.owner = Some(owner.clone());
                self.balance = *initial_balance;
            }
            Event::MoneyDeposited { amount } => self.balance = self.balance.saturating_add(*amount),
            Event::MoneyWithdrawn { amount } => self.balance = self.balance.saturating_sub(*amount),
        }
        self.version = self.version.next();
    }

    pub fn id(&self) -> &AccountId {
        &self.id
    }

    pub fn owner(&self) -> Option<&Owner> {
        self.owner.as_ref()
    }

    pub fn balance(&self) -> Money {
        self.balance
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// The public state, once the account is opened.
    pub fn state(&self) -> Option<AccountState> {
        let owner = self.owner.clone()?;
        Some(AccountState { id: self.id.clone(), owner, balance: self.balance, version: self.version })
    }
}
