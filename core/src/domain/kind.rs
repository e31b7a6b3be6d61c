//! The table of event kinds: for each, the names and tags every format
//! knows it by. The codecs (segment lines, the hash's JSON, the export and
//! format 1 reader, the tab messages, the JS API's commands) read this table
//! instead of naming kinds themselves, so a new kind of event is a change
//! to the domain and one row here (with its `Shape`, and its arms below).
//!
//! Every kind today carries an amount and, for opening, an owner; a kind
//! with other fields would widen [`Parts`].

use super::{Command, Event, Money, Owner};

/// One kind of event, and the command that produces it.
#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    /// The event's `type` in the original's JSON.
    pub event: &'static str,
    /// Its command's `type`.
    pub command: &'static str,
    /// Its one-letter tag in segment lines and tab messages.
    pub tag: char,
    /// The name of its amount field.
    pub amount: &'static str,
    /// Whether it names an owner (the `owner` field, before the amount).
    pub owner: bool,
    /// The first schema (schema.rs) that has this kind: a server or a
    /// device of an older schema can't take it.
    pub since: u32,
    /// Which variant of [`Event`] and [`Command`] it is.
    shape: Shape,
}

/// The variants, for [`Kind::event`] and [`Kind::command`] to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Opened,
    Deposited,
    Withdrawn,
}

const OPENED: Kind = Kind {
    event: "AccountOpened",
    command: "OpenAccount",
    tag: 'O',
    amount: "initial_balance",
    owner: true,
    since: 1,
    shape: Shape::Opened,
};

const DEPOSITED: Kind = Kind {
    event: "MoneyDeposited",
    command: "Deposit",
    tag: 'D',
    amount: "amount",
    owner: false,
    since: 1,
    shape: Shape::Deposited,
};

const WITHDRAWN: Kind = Kind {
    event: "MoneyWithdrawn",
    command: "Withdraw",
    tag: 'W',
    amount: "amount",
    owner: false,
    since: 1,
    shape: Shape::Withdrawn,
};

/// Every kind of event.
pub const KINDS: [&Kind; 3] = [&OPENED, &DEPOSITED, &WITHDRAWN];

/// An event or a command taken apart into what the codecs write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts<'a> {
    pub kind: &'static Kind,
    pub amount: Money,
    pub owner: Option<&'a Owner>,
}

impl Kind {
    /// The kind whose event `type` is `name`.
    pub fn of_event(name: &str) -> Option<&'static Kind> {
        KINDS.into_iter().find(|kind| kind.event == name)
    }

    /// The kind whose command `type` is `name`.
    pub fn of_command(name: &str) -> Option<&'static Kind> {
        KINDS.into_iter().find(|kind| kind.command == name)
    }

    /// The kind tagged `tag`.
    pub fn of_tag(tag: char) -> Option<&'static Kind> {
        KINDS.into_iter().find(|kind| kind.tag == tag)
    }

    /// The event of this kind; `None` when `owner` is missing for a kind
    /// that names one.
    pub fn event(&self, amount: Money, owner: Option<Owner>) -> Option<Event> {
        Some(match self.shape {
            Shape::Opened => Event::AccountOpened { owner: owner?, initial_balance: amount },
            Shape::Deposited => Event::MoneyDeposited { amount },
            Shape::Withdrawn => Event::MoneyWithdrawn { amount },
        })
    }

    /// The command of this kind, under the same condition.
    pub fn command(&self, amount: Money, owner: Option<Owner>) -> Option<Command> {
        Some(match self.shape {
            Shape::Opened => Command::OpenAccount { owner: owner?, initial_balance: amount },
            Shape::Deposited => Command::Deposit { amount },
            Shape::Withdrawn => Command::Withdraw { amount },
        })
    }
}

impl Event {
    /// The event taken apart.
    pub fn parts(&self) -> Parts<'_> {
        let (kind, amount, owner) = match self {
            Event::AccountOpened { owner, initial_balance } => (&OPENED, *initial_balance, Some(owner)),
            Event::MoneyDeposited { amount } => (&DEPOSITED, *amount, None),
            Event::MoneyWithdrawn { amount } => (&WITHDRAWN, *amount, None),
        };
        Parts { kind, amount, owner }
    }

    /// The event's name, as its `type` field says.
    pub fn kind(&self) -> &'static str {
        self.parts().kind.event
    }

    /// The first schema that can carry this event: its kind's (and, once
    /// kinds have optional fields, the newest of the fields it uses).
    pub fn schema(&self) -> u32 {
        self.parts().kind.since
    }
}

impl Command {
    /// The command taken apart.
    pub fn parts(&self) -> Parts<'_> {
        let (kind, amount, owner) = match self {
            Command::OpenAccount { owner, initial_balance } => (&OPENED, *initial_balance, Some(owner)),
            Command::Deposit { amount } => (&DEPOSITED, *amount, None),
            Command::Withdraw { amount } => (&WITHDRAWN, *amount, None),
        };
        Parts { kind, amount, owner }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_found_by_each_of_its_names_and_makes_itself() {
        let owner = Owner::parse("Ann").ok();
        let amount = Money::from_cents(123).unwrap_or_default();
        for kind in KINDS {
            assert_eq!(Kind::of_event(kind.event), Some(kind));
            assert_eq!(Kind::of_command(kind.command), Some(kind));
            assert_eq!(Kind::of_tag(kind.tag), Some(kind));
            let event = kind.event(amount, owner.clone()).unwrap_or_else(|| unreachable!("{kind:?}"));
            assert_eq!(event.parts().kind, kind);
            assert_eq!(event.parts().amount, amount);
            assert_eq!(event.parts().owner.is_some(), kind.owner);
            let command = kind.command(amount, owner.clone()).unwrap_or_else(|| unreachable!("{kind:?}"));
            assert_eq!(command.parts(), event.parts());
            assert_eq!(event.command(), command);
            assert_eq!(kind.event(amount, None).is_some(), !kind.owner, "{kind:?} without an owner");
        }
        let names: std::collections::HashSet<_> = KINDS.iter().flat_map(|k| [k.event, k.command]).collect();
        assert_eq!(names.len(), 2 * KINDS.len(), "names are unique");
    }
}
