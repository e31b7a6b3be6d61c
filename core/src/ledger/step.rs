//! The one command step: what a command means for an account as a loop has
//! read it, free of I/O. Both command loops call it — the browser's
//! [`super::Ledger::execute`] and the server's service — so a rule or a
//! command-id policy lives here once (docs/command-step.md).
//!
//! ```text
//! tip, command, what its command id did (if seen) ──step──▶ Done(state)      already done: the state it left
//!                                                       ├─▶ Append(append)   these events, at this expected version
//!                                                       └─▶ Err(refusal)     CommandIdReused, or the account's rule
//! ```
//!
//! The loops keep only what differs between them: where the tip and the
//! command id's [`Done`] come from (a cache, a snapshot, a read), how an
//! append is made, and when a refusal decided on a tip that may be stale is
//! decided again after catching up ([`Refusal::may_be_stale`]).

use crate::domain::{AccountId, AccountState, BankAccount, Command, DomainError, Event, ExpectedVersion, Facts};
use crate::store::{CommandId, Envelope, EventId};

use super::LedgerError;

/// What a command id did on an account: the command its events stand for
/// (its first event's), and the state after its last event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    pub id: CommandId,
    pub command: Command,
    pub state: Option<AccountState>,
}

impl Done {
    /// What `id` did among `events`, which follow `before` in the stream,
    /// if any of them is its.
    pub fn find(before: &BankAccount, events: &[Envelope], id: &CommandId) -> Option<Done> {
        let mut account = before.clone();
        let mut done: Option<Done> = None;
        for envelope in events {
            account.apply(&envelope.event);
            if envelope.command_id.as_ref() == Some(id) {
                let state = account.state();
                match &mut done {
                    Some(done) => done.state = state,
                    None => done = Some(Done { id: id.clone(), command: envelope.event.command(), state }),
                }
            }
        }
        done
    }

    /// The one command-id policy: a command sent again under an id already
    /// used on `account` is answered with the state its first run left, if
    /// it is the same command; any other command under that id is refused.
    fn answer(self, account: &AccountId, command: &Command) -> Result<AccountState, LedgerError> {
        let Done { id, command: then, state } = self;
        let reused = || LedgerError::CommandIdReused { id: account.clone(), command_id: id.clone() };
        if then != *command {
            return Err(reused());
        }
        state.ok_or_else(reused)
    }
}

/// Events to append to a stream, if it is exactly at `expected`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Append {
    pub stream: AccountId,
    pub expected: ExpectedVersion,
    pub events: Vec<Event>,
}

impl Append {
    /// The command id the events are stored under: the caller's; for a
    /// decision of several events made without one, the first event's id
    /// (`first_event`). So a decision's events always share a command id,
    /// which is how they stay one decision wherever they travel: a device's
    /// rebase confirms, decides again or rejects them together.
    pub fn command_id(&self, given: Option<&CommandId>, first_event: &EventId) -> Option<CommandId> {
        match given {
            Some(id) => Some(id.clone()),
            None if self.events.len() > 1 => CommandId::parse(first_event.as_str()).ok(),
            None => None,
        }
    }
}

/// What a command comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Done already under its command id: the state it left. Nothing to append.
    Done(AccountState),
    /// Append these events; the command is done when the append is.
    Append(Append),
}

/// Why a command is not done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The command id was used for another command on this account: final.
    Reused(LedgerError),
    /// The account's rules refuse it on the tip it was decided on.
    Rule(DomainError),
}

impl Refusal {
    /// Whether newer events could change the answer: a rule decided on a
    /// tip that may be stale (a cache, a snapshot) is decided again once
    /// the loop has caught up; a reused id is final.
    pub fn may_be_stale(&self) -> bool {
        matches!(self, Refusal::Rule(_))
    }
}

impl From<Refusal> for LedgerError {
    fn from(refusal: Refusal) -> LedgerError {
        match refusal {
            Refusal::Reused(error) => error,
            Refusal::Rule(error) => error.into(),
        }
    }
}

/// The step: `command` on `account` (the tip as the loop has it), where
/// `done` is what the command's id did on this account, if the loop found
/// it, and `facts` answer the command's questions about history
/// ([`BankAccount::questions`]), asked of the loop's store. Pure: it reads
/// and changes nothing.
pub fn step(account: &BankAccount, command: &Command, done: Option<Done>, facts: &Facts) -> Result<Step, Refusal> {
    if let Some(done) = done {
        return done.answer(account.id(), command).map(Step::Done).map_err(Refusal::Reused);
    }
    let events = account.decide(command, facts).map_err(Refusal::Rule)?;
    Ok(Step::Append(Append { stream: account.id().clone(), expected: ExpectedVersion(account.version()), events }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Money, Owner, Version};
    use crate::store::{ChainHash, EventId, NewEvent, Timestamp, Tip};

    fn cents(c: u64) -> Money {
        Money::from_cents(c).unwrap_or_default()
    }

    fn command_id(text: &str) -> CommandId {
        CommandId::parse(text).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn open() -> Command {
        Command::open(Owner::parse("Ann").unwrap_or_else(|e| unreachable!("{e}")), cents(100))
    }

    /// The stream after `commands`, each under its command id: the events
    /// and the tip they lead to.
    fn given(commands: &[(Command, Option<&str>)]) -> (Vec<Envelope>, Tip) {
        let id = AccountId::parse("acc").unwrap_or_else(|e| unreachable!("{e}"));
        let mut tip = Tip::new(&id);
        let mut stream = Vec::new();
        for (n, (command, cid)) in commands.iter().enumerate() {
            let Ok(Step::Append(append)) = step(&tip.account, command, None, &Facts::NONE) else {
                unreachable!("given {command:?}")
            };
            for event in append.events {
                let new = NewEvent {
                    event_id: EventId::parse(&format!("e{n}")).unwrap_or_else(|e| unreachable!("{e}")),
                    recorded_at: Timestamp(1),
                    command_id: cid.map(command_id),
                    event,
                };
                let mut envelope = new.into_envelope(tip.version().next(), crate::store::Sequence(n as u64 + 1));
                envelope.hash = ChainHash::link(&tip.hash, tip.account.id(), &envelope);
                tip.admit(&envelope).unwrap_or_else(|e| unreachable!("{e}"));
                stream.push(envelope);
            }
        }
        (stream, tip)
    }

    /// When `command` is sent under `cid` on the stream `given` made, the
    /// step answers `then`.
    #[track_caller]
    fn when_then(given: &[(Command, Option<&str>)], command: Command, cid: Option<&str>, then: Result<Step, Refusal>) {
        let (stream, tip) = self::given(given);
        let done = cid.and_then(|cid| Done::find(&BankAccount::new(tip.account.id().clone()), &stream, &command_id(cid)));
        assert_eq!(step(&tip.account, &command, done, &Facts::NONE), then);
    }

    fn state(balance: u64, version: u64) -> AccountState {
        AccountState {
            id: AccountId::parse("acc").unwrap_or_else(|e| unreachable!("{e}")),
            owner: Owner::parse("Ann").unwrap_or_else(|e| unreachable!("{e}")),
            balance: cents(balance),
            version: Version::new(version),
        }
    }

    fn append(expected: u64, events: Vec<Event>) -> Result<Step, Refusal> {
        let stream = AccountId::parse("acc").unwrap_or_else(|e| unreachable!("{e}"));
        Ok(Step::Append(Append { stream, expected: ExpectedVersion(Version::new(expected)), events }))
    }

    #[test]
    fn a_new_command_appends_what_the_account_decides_at_its_version() {
        let opened = Event::opened(Owner::parse("Ann").unwrap_or_else(|e| unreachable!("{e}")), cents(100));
        when_then(&[], open(), None, append(0, vec![opened]));
        let deposit = Command::deposit(cents(5));
        when_then(&[(open(), None)], deposit, Some("c-1"), append(1, vec![Event::deposited(cents(5))]));
    }

    #[test]
    fn a_rule_refuses_and_may_be_decided_again_after_catching_up() {
        let overdraw = Command::withdraw(cents(101));
        let refused = Refusal::Rule(DomainError::InsufficientFunds { balance: cents(100), requested: cents(101) });
        assert!(refused.may_be_stale());
        when_then(&[(open(), None)], overdraw, None, Err(refused));
    }

    /// The command-id policy, tested once for every loop that calls the step.
    #[test]
    fn a_command_id_seen_answers_what_it_left_or_refuses_another_command() {
        let deposit = Command::deposit(cents(5));
        let given = [(open(), Some("c-1")), (deposit.clone(), Some("c-2")), (Command::deposit(cents(7)), None)];
        when_then(&given, deposit.clone(), Some("c-2"), Ok(Step::Done(state(105, 2))));
        when_then(&given, open(), Some("c-1"), Ok(Step::Done(state(100, 1))));

        let reused = Refusal::Reused(LedgerError::CommandIdReused {
            id: AccountId::parse("acc").unwrap_or_else(|e| unreachable!("{e}")),
            command_id: command_id("c-2"),
        });
        assert!(!reused.may_be_stale(), "a reused id is final");
        when_then(&given, Command::deposit(cents(6)), Some("c-2"), Err(reused));
        // An id not in the stream is a new command.
        when_then(&given, deposit, Some("c-9"), append(3, vec![Event::deposited(cents(5))]));
    }

    #[test]
    fn a_decision_of_several_events_always_has_a_command_id() {
        let stream = AccountId::parse("acc").unwrap_or_else(|e| unreachable!("{e}"));
        let first = EventId::parse("e-1").unwrap_or_else(|e| unreachable!("{e}"));
        let of = |events: Vec<Event>| Append { stream: stream.clone(), expected: ExpectedVersion(Version::EMPTY), events };
        let two = of(vec![Event::deposited(cents(1)), Event::deposited(cents(2))]);
        assert_eq!(two.command_id(None, &first), Some(command_id("e-1")), "its first event's id");
        assert_eq!(two.command_id(Some(&command_id("c")), &first), Some(command_id("c")), "the caller's");
        let one = of(vec![Event::deposited(cents(1))]);
        assert_eq!(one.command_id(None, &first), None, "one event needs none: it is never split");
    }

    #[test]
    fn done_without_a_state_is_refused_as_reused() {
        let (_, tip) = given(&[(open(), None)]);
        let done = Done { id: command_id("c"), command: open(), state: None };
        assert!(matches!(step(&tip.account, &open(), Some(done), &Facts::NONE), Err(Refusal::Reused(_))));
    }
}
