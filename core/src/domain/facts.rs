//! Facts: what a decision may ask about history beyond the account's tip
//! (docs/command-step.md). A command says which [`Question`]s its decision
//! asks ([`BankAccount::questions`](super::BankAccount::questions)); the
//! loop has its store answer each from an index kept as it appends, never
//! by reading a stream from its start; `decide` reads the answers. The
//! domain does no I/O: it only ever sees answers.

use super::{AccountId, Date, Event, EventId, Version};

/// A look-up a decision may need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Question {
    /// An event of `stream`, by its id.
    Event { stream: AccountId, id: EventId },
    /// The balance of `stream` booked up to the end of `date`.
    BalanceAtEndOf { stream: AccountId, date: Date },
    /// Where `stream` stands: its version, and which opening it has.
    Head { stream: AccountId },
}

impl Question {
    /// The stream asked about.
    pub fn stream(&self) -> &AccountId {
        match self {
            Question::Event { stream, .. } | Question::BalanceAtEndOf { stream, .. } | Question::Head { stream } => stream,
        }
    }
}

/// An event as stored: where, and on which date it is booked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    pub version: Version,
    pub booked: Date,
    pub event: Event,
}

/// A stream's head: its version, and the id of its opening event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamHead {
    pub version: Version,
    pub opening: EventId,
}

/// A balance at some date, in cents. It may be negative: an entry may be
/// booked before a deposit booked on a later date (ledgers allow entries on
/// any date; only the balance *now* obeys the funds rule).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct BookedBalance {
    pub cents: i128,
}

/// The answer to one [`Question`], of the question's kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `None`: the stream holds no event with that id.
    Event(Option<StoredEvent>),
    BalanceAtEndOf(BookedBalance),
    /// `None`: the stream has no events.
    Head(Option<StreamHead>),
}

/// The answers a loop found for a decision's questions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    answers: Vec<(Question, Answer)>,
}

impl Facts {
    /// No facts: what a decision that asks nothing gets.
    pub const NONE: Facts = Facts { answers: Vec::new() };

    pub fn new() -> Facts {
        Facts::default()
    }

    /// Adds the answer to `question`.
    pub fn answered(mut self, question: Question, answer: Answer) -> Facts {
        self.answers.push((question, answer));
        self
    }

    /// The answer to `question`, if it was asked.
    pub fn answer(&self, question: &Question) -> Option<&Answer> {
        self.answers.iter().find(|(asked, _)| asked == question).map(|(_, answer)| answer)
    }

    /// The answers, in the order they were given.
    pub fn iter(&self) -> impl Iterator<Item = &(Question, Answer)> {
        self.answers.iter()
    }
}
