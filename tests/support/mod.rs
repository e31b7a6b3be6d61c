//! Shared test support: builders for domain values, the given/when/then
//! harness for the aggregate, and the event-store contract that every store
//! implementation must pass (natively and in browsers).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod contract;
#[cfg(not(target_arch = "wasm32"))]
pub mod model_server;

use bank_ledger::{
    AccountId, BankAccount, Command, CommandId, CommandRequest, DomainError, Event, EventId, Facts, Money, NewEvent, Owner,
    Timestamp,
};

pub fn id(text: &str) -> AccountId {
    AccountId::parse(text).unwrap()
}

pub fn money(text: &str) -> Money {
    Money::parse(text).unwrap()
}

pub fn owner(text: &str) -> Owner {
    Owner::parse(text).unwrap()
}

pub fn opened(who: &str, initial_balance: &str) -> Event {
    Event::opened(owner(who), money(initial_balance))
}

pub fn deposited(amount: &str) -> Event {
    Event::deposited(money(amount))
}

pub fn withdrawn(amount: &str) -> Event {
    Event::withdrawn(money(amount))
}

pub fn open(who: &str, initial_balance: &str) -> Command {
    Command::open(owner(who), money(initial_balance))
}

pub fn deposit(amount: &str) -> Command {
    Command::deposit(money(amount))
}

pub fn withdraw(amount: &str) -> Command {
    Command::withdraw(money(amount))
}

/// A new event with a made-up id and time, for store tests.
/// `command` for account `id`, as the ledger's `execute` takes it.
pub fn request(id: &AccountId, command: &Command) -> CommandRequest {
    CommandRequest::new(id.clone(), command.clone())
}

/// The same, with a command id: done at most once.
pub fn request_once(id: &AccountId, command: &Command, command_id: Option<&CommandId>) -> CommandRequest {
    request(id, command).with_command_id(command_id.cloned())
}

pub fn new_event(event_id: &str, at: u64, event: Event) -> NewEvent {
    NewEvent { event_id: EventId::parse(event_id).unwrap(), recorded_at: Timestamp(at), command_id: None, event }
}

/// The account every given/when/then test is about.
pub const ACCOUNT: &str = "acc-001";

/// `given(past events).when(command).then(new events)` or `.then_err(error)`.
pub fn given(events: impl IntoIterator<Item = Event>) -> Given {
    Given { account: BankAccount::replay(id(ACCOUNT), &events.into_iter().collect::<Vec<_>>()) }
}

pub struct Given {
    account: BankAccount,
}

impl Given {
    pub fn when(self, command: Command) -> When {
        let decided = self.account.decide(&command, &Facts::NONE);
        When { before: self.account, command, decided }
    }
}

pub struct When {
    before: BankAccount,
    command: Command,
    decided: Result<Vec<Event>, DomainError>,
}

impl When {
    /// The command is accepted and records exactly `expected`.
    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = Event>) -> BankAccount {
        let expected: Vec<Event> = expected.into_iter().collect();
        match self.decided {
            Ok(events) => {
                assert_eq!(events, expected, "{:?} recorded other events", self.command);
                let mut after = self.before;
                for event in &events {
                    after.apply(event);
                }
                after
            }
            Err(error) => panic!("{:?} was rejected with {error:?}, expected {expected:?}", self.command),
        }
    }

    /// The command is rejected with exactly `expected`.
    #[track_caller]
    pub fn then_err(self, expected: DomainError) {
        match self.decided {
            Ok(events) => panic!("{:?} was accepted with {events:?}, expected {expected:?}", self.command),
            Err(error) => assert_eq!(error, expected, "{:?} was rejected for another reason", self.command),
        }
    }
}
