//! The one command parser: every edge that takes a command — the server's
//! `POST /accounts/{id}` body, the JS API's `execute(id, command)` — reads
//! its fields into [`Input`]s and hands them here, so the rules (which
//! fields a kind takes, what each must be, an amount read exactly) and
//! the errors are written once. Every kind is named through [`KINDS`].
//!
//! ```text
//! {"type":"OpenAccount","owner":"Alice","initial_balance":1000.0}
//! {"type":"Deposit","amount":500.0,"command_id":"c-1"}      command_id optional
//! ```
//!
//! Amounts are numbers or decimal texts (`"12.34"`). A number as written
//! (JSON's text) is read digit by digit, so `0.1` is 10 cents and `0.101`
//! is refused, never rounded; a float (a JS number) must be a whole number
//! of cents.

use crate::domain::{AccountId, Command, FieldType, Kind, KindField, Money, MoneyError, Owner, Read, Values, KINDS};
use crate::store::CommandId;
use crate::text::preview;

crate::coded::coded_error! {
    /// Why a request is not a command for an account: one error, one code,
    /// for the server and the JS API alike.
    pub enum RequestError {
        #[error("{reason}")]
        InvalidCommand { reason: String } => "InvalidCommand",
        #[error("{reason}")]
        InvalidAmount { reason: String } => "InvalidAmount",
        #[error("{reason}")]
        InvalidOwner { reason: String } => "InvalidOwner",
        #[error("{reason}")]
        InvalidAccountId { reason: String } => "InvalidAccountId",
    }
}

/// One field's value as an edge read it, before any rule.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// A field present but with no value (JS's `undefined`): as if absent
    /// for a field the kind takes, refused like any other unknown field.
    Undefined,
    Null,
    Bool,
    Number(Number),
    Text(String),
    Array,
    Object,
    /// Any other value, by what it is ("a symbol", "a function", …).
    Other(&'static str),
}

/// A number as its source holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    /// Its text as written (JSON), read exactly.
    Written(String),
    /// A float (a JS number), with how its source shows it in messages.
    Float { value: f64, shown: String },
}

impl Input {
    /// What the value is, for a message: "a string", "null", ….
    pub fn type_name(&self) -> &'static str {
        match self {
            Input::Undefined => "undefined",
            Input::Null => "null",
            Input::Bool => "a boolean",
            Input::Number(_) => "a number",
            Input::Text(_) => "a string",
            Input::Array => "an array",
            Input::Object => "an object",
            Input::Other(what) => what,
        }
    }
}

fn invalid_command(reason: String) -> RequestError {
    RequestError::InvalidCommand { reason }
}

const SHAPE: &str = "a command is an object such as {\"type\":\"Deposit\",\"amount\":12.34}";

/// An account id from a request (a URL's path, a JS string).
pub fn read_account_id(text: &str) -> Result<AccountId, RequestError> {
    AccountId::parse(text).map_err(|e| RequestError::InvalidAccountId { reason: e.to_string() })
}

/// The refusal of a value that is not an object at all.
pub fn not_an_object(value: &Input) -> RequestError {
    invalid_command(format!("{SHAPE}, got {}", value.type_name()))
}

/// The command, and its optional `command_id`, in an object's `fields` (in
/// the object's order, each name once). Unknown fields are refused: a typo
/// must not pass silently.
pub fn read_command(fields: Vec<(String, Input)>) -> Result<(Command, Option<CommandId>), RequestError> {
    let mut fields = fields;
    let mut take = |name: &str| {
        let at = fields.iter().position(|(field, _)| field == name)?;
        Some(fields.remove(at).1).filter(|input| *input != Input::Undefined)
    };
    let kind = match take("type") {
        Some(Input::Text(name)) => Kind::of_command(&name).ok_or_else(|| {
            let known: Vec<&str> = KINDS.iter().map(|k| k.command).collect();
            invalid_command(format!("unknown command type {:?}: expected {}", preview(&name), listed(&known, " or ")))
        })?,
        Some(other) => return Err(invalid_command(format!("the command's type must be a string, got {}", other.type_name()))),
        None => return Err(invalid_command(format!("{SHAPE}; its type is missing"))),
    };
    let given: Vec<(usize, &KindField, Option<Input>)> =
        kind.fields.iter().enumerate().map(|(index, field)| (index, field, take(field.name))).collect();
    let command_id = take("command_id");
    if let Some((unknown, _)) = fields.first() {
        let mut allowed = vec!["type"];
        allowed.extend(kind.fields.iter().map(|field| field.name));
        allowed.push("command_id");
        let unknown = preview(unknown);
        return Err(invalid_command(format!(
            "unknown field `{unknown}`: {} takes only {}",
            kind.command,
            listed(&allowed, " and ")
        )));
    }
    // The kind's fields (domain/kind.rs), each read as its type says.
    let mut values = Values::default();
    for (index, field, input) in given {
        let Some(input) = input else {
            if field.optional {
                continue;
            }
            return Err(invalid_command(format!("{} needs `{}`", kind.command, field.name)));
        };
        let value = match (field.ty, input) {
            (FieldType::Money, input) => Read::Money(read_amount(input, field.name)?),
            (FieldType::Owner, Input::Text(text)) => {
                Read::Owner(Owner::parse(&text).map_err(|e| RequestError::InvalidOwner { reason: e.to_string() })?)
            }
            (FieldType::Owner, other) => {
                let reason = format!("{} must be a string, got {}", field.name, other.type_name());
                return Err(RequestError::InvalidOwner { reason });
            }
        };
        values.set(index, value);
    }
    let command_id = match command_id {
        None => None,
        Some(Input::Text(text)) => Some(CommandId::parse(&text).map_err(|e| invalid_command(format!("command_id: {e}")))?),
        Some(other) => return Err(invalid_command(format!("command_id must be a string, got {}", other.type_name()))),
    };
    let command = kind.command(values).ok_or_else(|| invalid_command(format!("{} lacks a field", kind.command)))?;
    Ok((command, command_id))
}

fn read_amount(input: Input, field: &str) -> Result<Money, RequestError> {
    let money = match input {
        Input::Number(Number::Written(text)) => money_from_number(&text),
        Input::Number(Number::Float { value, shown }) => Money::from_units_shown(value, |_| shown.clone()),
        Input::Text(text) => Money::parse(&text),
        other @ (Input::Undefined | Input::Null | Input::Bool | Input::Array | Input::Object | Input::Other(_)) => {
            let reason = format!("{field} must be a number such as 12.34, got {}", other.type_name());
            return Err(RequestError::InvalidAmount { reason });
        }
    };
    money.map_err(|e| RequestError::InvalidAmount { reason: format!("{field}: {e}") })
}

/// A number's text as money, exactly. Without an exponent it is read digit
/// by digit (zeros ending its fraction dropped: `1.230` is `1.23`); with
/// one, through the nearest `f64`, which must be a whole number of cents as
/// [`Money::from_units`] requires.
fn money_from_number(text: &str) -> Result<Money, MoneyError> {
    if text.contains(['e', 'E']) {
        let units: f64 = text.parse().map_err(|_| MoneyError::NotANumber(preview(text)))?;
        return Money::from_units_shown(units, |_| preview(text));
    }
    match text.split_once('.') {
        Some((whole, fraction)) => match fraction.trim_end_matches('0') {
            "" => Money::parse(whole),
            fraction => Money::parse(&format!("{whole}.{fraction}")),
        },
        None => Money::parse(text),
    }
}

/// `a, b{last}c`.
fn listed(items: &[&str], last: &str) -> String {
    match items.split_last() {
        None => String::new(),
        Some((only, [])) => (*only).to_owned(),
        Some((final_item, rest)) => format!("{}{last}{final_item}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Input {
        Input::Text(s.to_owned())
    }

    fn float(value: f64) -> Input {
        Input::Number(Number::Float { value, shown: value.to_string() })
    }

    fn read(fields: &[(&str, Input)]) -> Result<(Command, Option<CommandId>), RequestError> {
        read_command(fields.iter().map(|(name, input)| ((*name).to_owned(), input.clone())).collect())
    }

    #[test]
    fn an_undefined_field_is_absent_if_known_and_refused_if_not() {
        let deposit = [("type", text("Deposit")), ("amount", float(1.5))];
        let cents = Money::from_cents(150).unwrap_or_default();
        let with = |extra: (&str, Input)| read(&[deposit[0].clone(), deposit[1].clone(), extra]);
        assert_eq!(with(("command_id", Input::Undefined)), Ok((Command::deposit(cents), None)));
        assert!(with(("extra", Input::Undefined)).is_err_and(|e| e.to_string().contains("unknown field `extra`")));
        let undefined_amount = read(&[deposit[0].clone(), ("amount", Input::Undefined)]);
        assert!(undefined_amount.is_err_and(|e| e.code() == "InvalidCommand" && e.to_string().contains("needs `amount`")));
    }

    #[test]
    fn a_float_must_be_whole_cents_and_is_shown_as_its_source_shows_it() {
        let amount = |input: Input| read(&[("type", text("Withdraw")), ("amount", input)]);
        assert!(amount(float(0.1)).is_ok());
        let odd = Input::Number(Number::Float { value: 0.001, shown: "0.001 as JS shows it".into() });
        assert!(amount(odd).is_err_and(|e| e.code() == "InvalidAmount" && e.to_string().contains("as JS shows it")));
        assert!(amount(Input::Other("a symbol")).is_err_and(|e| e.to_string().contains("got a symbol")));
    }

    #[test]
    fn lists_read_as_english() {
        assert_eq!(listed(&["a"], " or "), "a");
        assert_eq!(listed(&["a", "b", "c"], " or "), "a, b or c");
        assert_eq!(not_an_object(&Input::Array).to_string(), format!("{SHAPE}, got an array"));
    }
}
