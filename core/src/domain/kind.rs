//! The table of event kinds: for each, the names and tag every format
//! knows it by, and its typed fields. The codecs (segment lines, the
//! hash's JSON, the export and format 1 reader, the tab messages, the one
//! command parser) walk a kind's [`KindField`]s instead of naming fields
//! themselves, so a new optional field of a type they know is a change to
//! the domain, its row here (with the schema it comes in, schema.rs) and
//! tests. A new *type* of field is one arm in each codec's per-type
//! functions.
//!
//! Where each codec puts a field:
//! - the JSON (the hash's, the export's, the sync API's, the original's):
//!   `"type"`, then every field in the row's order, an optional one only
//!   when present;
//! - a segment line and a tab message ([`Kind::line_order`]): the required
//!   amounts, then the optional fields (escaped; empty when absent, left out at the end of a segment line), then
//!   the required text, raw to the end of a segment line.

use super::{Command, Event, Money, Owner};

/// What a field holds, and so how each codec writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// An amount: units with a decimal in JSON, cents in lines and tab messages.
    Money,
    /// A person's name ([`Owner`]): read under the stored rule from
    /// storage, the stricter rule from input.
    Owner,
}

/// One field of a kind.
#[derive(Debug, PartialEq, Eq)]
pub struct KindField {
    /// Its name in JSON, in the command and the event alike.
    pub name: &'static str,
    pub ty: FieldType,
    /// Whether an event of the kind may lack it (an event without it is
    /// written exactly as before the field existed).
    pub optional: bool,
    /// The first schema (schema.rs) that has it.
    pub since: u32,
}

/// One kind of event, and the command that produces it.
#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    /// The event's `type` in the original's JSON.
    pub event: &'static str,
    /// Its command's `type`.
    pub command: &'static str,
    /// Its one-letter tag in segment lines and tab messages.
    pub tag: char,
    /// The first schema (schema.rs) that has this kind: a server or a
    /// device of an older schema can't take it.
    pub since: u32,
    /// Its fields, in the order its JSON writes them.
    pub fields: &'static [KindField],
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

/// The most fields a kind has.
pub const MAX_FIELDS: usize = 4;

const fn required(name: &'static str, ty: FieldType) -> KindField {
    KindField { name, ty, optional: false, since: 1 }
}

const OPENED: Kind = Kind {
    event: "AccountOpened",
    command: "OpenAccount",
    tag: 'O',
    since: 1,
    fields: &[required("owner", FieldType::Owner), required("initial_balance", FieldType::Money)],
    shape: Shape::Opened,
};

const DEPOSITED: Kind = Kind {
    event: "MoneyDeposited",
    command: "Deposit",
    tag: 'D',
    since: 1,
    fields: &[required("amount", FieldType::Money)],
    shape: Shape::Deposited,
};

const WITHDRAWN: Kind = Kind {
    event: "MoneyWithdrawn",
    command: "Withdraw",
    tag: 'W',
    since: 1,
    fields: &[required("amount", FieldType::Money)],
    shape: Shape::Withdrawn,
};

/// Every kind of event.
pub const KINDS: [&Kind; 3] = [&OPENED, &DEPOSITED, &WITHDRAWN];

/// A field's value as an event or a command holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Money(Money),
    Owner(&'a Owner),
}

/// A field's value as a codec read it, for [`Kind::event`] and
/// [`Kind::command`] to take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    Money(Money),
    Owner(Owner),
}

/// An event or a command taken apart into what the codecs write: its kind
/// and a value for each of the kind's fields (`None`: an optional field
/// left out), in the kind's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts<'a> {
    pub kind: &'static Kind,
    values: [Option<Value<'a>>; MAX_FIELDS],
}

impl<'a> Parts<'a> {
    /// Each field of the kind with its value, in the kind's order.
    pub fn fields(&self) -> impl Iterator<Item = (&'static KindField, Option<Value<'a>>)> + '_ {
        self.kind.fields.iter().zip(self.values.iter().copied())
    }

    /// The kind's first amount: what an entry moves.
    pub fn amount(&self) -> Money {
        self.fields()
            .find_map(|(_, value)| match value {
                Some(Value::Money(money)) => Some(money),
                _ => None,
            })
            .unwrap_or(Money::ZERO)
    }
}

/// The values a codec read, by the kind's field order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values([Option<Read>; MAX_FIELDS]);

impl Values {
    /// Sets the value of the kind's field at `index` (its place in
    /// [`Kind::fields`]).
    pub fn set(&mut self, index: usize, value: Read) {
        if let Some(slot) = self.0.get_mut(index) {
            *slot = Some(value);
        }
    }

    fn money(&mut self, index: usize) -> Option<Money> {
        match self.0.get_mut(index)?.take()? {
            Read::Money(money) => Some(money),
            Read::Owner(_) => None,
        }
    }

    fn owner(&mut self, index: usize) -> Option<Owner> {
        match self.0.get_mut(index)?.take()? {
            Read::Owner(owner) => Some(owner),
            Read::Money(_) => None,
        }
    }
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

    /// The fields an event of this kind had in schema `schema`, with their
    /// places in [`Kind::fields`].
    pub fn fields_in(&self, schema: u32) -> impl Iterator<Item = (usize, &'static KindField)> {
        self.fields.iter().enumerate().filter(move |(_, field)| field.since <= schema)
    }

    /// The fields of schema `schema` in the order of a segment line and a
    /// tab message: required amounts, optional fields, required text (at
    /// most one: it runs to the end of a segment line).
    pub fn line_order(&self, schema: u32) -> impl Iterator<Item = (usize, &'static KindField)> + '_ {
        let place = |field: &KindField| match (field.optional, field.ty) {
            (false, FieldType::Money) => 0,
            (true, _) => 1,
            (false, FieldType::Owner) => 2,
        };
        // Three passes over a few fields: no allocation, no sort (a sort
        // costs the download 3 KB: docs/size.md).
        (0..3).flat_map(move |at| self.fields_in(schema).filter(move |(_, field)| place(field) == at))
    }

    /// The event of this kind from `values`; `None` when a required field
    /// is missing or of another type.
    pub fn event(&self, mut values: Values) -> Option<Event> {
        Some(match self.shape {
            Shape::Opened => Event::AccountOpened { owner: values.owner(0)?, initial_balance: values.money(1)? },
            Shape::Deposited => Event::MoneyDeposited { amount: values.money(0)? },
            Shape::Withdrawn => Event::MoneyWithdrawn { amount: values.money(0)? },
        })
    }

    /// The command of this kind, under the same condition.
    pub fn command(&self, mut values: Values) -> Option<Command> {
        Some(match self.shape {
            Shape::Opened => Command::OpenAccount { owner: values.owner(0)?, initial_balance: values.money(1)? },
            Shape::Deposited => Command::Deposit { amount: values.money(0)? },
            Shape::Withdrawn => Command::Withdraw { amount: values.money(0)? },
        })
    }
}

fn parts<'a>(kind: &'static Kind, given: &[Option<Value<'a>>]) -> Parts<'a> {
    let mut values = [None; MAX_FIELDS];
    for (slot, value) in values.iter_mut().zip(given) {
        *slot = *value;
    }
    Parts { kind, values }
}

impl Event {
    /// The event taken apart.
    pub fn parts(&self) -> Parts<'_> {
        match self {
            Event::AccountOpened { owner, initial_balance } => {
                parts(&OPENED, &[Some(Value::Owner(owner)), Some(Value::Money(*initial_balance))])
            }
            Event::MoneyDeposited { amount } => parts(&DEPOSITED, &[Some(Value::Money(*amount))]),
            Event::MoneyWithdrawn { amount } => parts(&WITHDRAWN, &[Some(Value::Money(*amount))]),
        }
    }

    /// The event's name, as its `type` field says.
    pub fn kind(&self) -> &'static str {
        self.parts().kind.event
    }

    /// The first schema that can carry this event: its kind's, or the
    /// newest of the fields it has.
    pub fn schema(&self) -> u32 {
        let parts = self.parts();
        parts.fields().filter(|(_, value)| value.is_some()).map(|(field, _)| field.since).fold(parts.kind.since, u32::max)
    }
}

impl Command {
    /// The command taken apart.
    pub fn parts(&self) -> Parts<'_> {
        match self {
            Command::OpenAccount { owner, initial_balance } => {
                parts(&OPENED, &[Some(Value::Owner(owner)), Some(Value::Money(*initial_balance))])
            }
            Command::Deposit { amount } => parts(&DEPOSITED, &[Some(Value::Money(*amount))]),
            Command::Withdraw { amount } => parts(&WITHDRAWN, &[Some(Value::Money(*amount))]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values of `parts` as a codec reads them back.
    fn read_back(parts: &Parts<'_>) -> Values {
        let mut values = Values::default();
        for (index, (_, value)) in parts.fields().enumerate() {
            match value {
                Some(Value::Money(money)) => values.set(index, Read::Money(money)),
                Some(Value::Owner(owner)) => values.set(index, Read::Owner(owner.clone())),
                None => {}
            }
        }
        values
    }

    #[test]
    fn every_kind_is_found_by_each_of_its_names_and_makes_itself() {
        let owner = Owner::parse("Ann").unwrap_or_else(|e| unreachable!("{e}"));
        let amount = Money::from_cents(123).unwrap_or_default();
        let samples = [
            Event::AccountOpened { owner, initial_balance: amount },
            Event::MoneyDeposited { amount },
            Event::MoneyWithdrawn { amount },
        ];
        for event in &samples {
            let kind = event.parts().kind;
            assert_eq!(Kind::of_event(kind.event), Some(kind));
            assert_eq!(Kind::of_command(kind.command), Some(kind));
            assert_eq!(Kind::of_tag(kind.tag), Some(kind));
            assert!(kind.fields.len() <= MAX_FIELDS);
            assert_eq!(kind.event(read_back(&event.parts())).as_ref(), Some(event));
            let command = event.command();
            assert_eq!(command.parts(), event.parts());
            assert_eq!(kind.command(read_back(&command.parts())), Some(command));
            assert_eq!(event.parts().amount(), amount);
            // Without a required field, nothing is made.
            let mut missing = read_back(&event.parts());
            missing.0[0] = None;
            assert_eq!(kind.event(missing), None, "{kind:?} without its first field");
        }
        assert_eq!(samples.iter().map(|e| e.parts().kind).collect::<Vec<_>>(), KINDS.to_vec(), "one sample a kind");
        let names: std::collections::HashSet<_> = KINDS.iter().flat_map(|k| [k.event, k.command]).collect();
        assert_eq!(names.len(), 2 * KINDS.len(), "names are unique");
    }

    #[test]
    fn a_line_writes_amounts_then_optional_fields_then_text() {
        let order: Vec<&str> = OPENED.line_order(1).map(|(_, f)| f.name).collect();
        assert_eq!(order, ["initial_balance", "owner"]);
        const NOTED: Kind = Kind {
            event: "Noted",
            command: "Note",
            tag: 'N',
            since: 1,
            fields: &[
                required("owner", FieldType::Owner),
                KindField { name: "payee", ty: FieldType::Owner, optional: true, since: 2 },
                required("amount", FieldType::Money),
            ],
            shape: Shape::Deposited,
        };
        let order: Vec<(usize, &str)> = NOTED.line_order(2).map(|(i, f)| (i, f.name)).collect();
        assert_eq!(order, [(2, "amount"), (1, "payee"), (0, "owner")]);
        let old: Vec<&str> = NOTED.line_order(1).map(|(_, f)| f.name).collect();
        assert_eq!(old, ["amount", "owner"], "a line of schema 1 has no field of schema 2");
    }
}
