//! The original server's JSON, written once for every edge that speaks it
//! (the ledger's own server today): the command `POST /accounts/{id}`
//! carries, the state `GET /accounts/{id}` answers, and the events of
//! `GET /accounts/{id}/events`. Read with the core's strict JSON reader,
//! written with its event writer; every kind is named through [`KINDS`].
//!
//! ```text
//! {"type":"OpenAccount","owner":"Alice","initial_balance":1000.0}
//! {"type":"Deposit","amount":500.0,"command_id":"c-1"}      command_id optional
//! {"id":"acc-001","owner":"Alice","balance":1300.0,"version":3}
//! [{"type":"AccountOpened","owner":"Alice","initial_balance":1000.0}, …]
//! ```
//!
//! The command's rules are the one command parser's (request.rs); this
//! module only reads the body as JSON for it.

use crate::domain::{AccountId, AccountState, Event};
use crate::ledger::CommandRequest;
use crate::request::{not_an_object, read_command, Input, Number, RequestError};
use crate::store::json::{write_event_json, write_json_string, write_units, Fields, Json};

/// The command in a `POST /accounts/{id}` body, for `account`: the JSON
/// read into the one command parser's inputs (request.rs).
pub fn read_command_request(account: AccountId, body: &str) -> Result<CommandRequest, RequestError> {
    let json = Json::parse(body).map_err(|e| RequestError::InvalidCommand { reason: format!("the body is not JSON: {e}") })?;
    let fields = match json {
        Json::Object(members) => members.into_iter().map(|(name, value)| (name, input(value))).collect(),
        other @ (Json::Null | Json::Bool(_) | Json::Number(_) | Json::String(_) | Json::Array(_)) => {
            return Err(not_an_object(&input(other)))
        }
    };
    let (command, command_id) = read_command(fields)?;
    Ok(CommandRequest::new(account, command).with_command_id(command_id))
}

/// A JSON value as the command parser takes it: numbers as written.
fn input(json: Json) -> Input {
    match json {
        Json::Null => Input::Null,
        Json::Bool(_) => Input::Bool,
        Json::Number(text) => Input::Number(Number::Written(text)),
        Json::String(text) => Input::Text(text),
        Json::Array(_) => Input::Array,
        Json::Object(_) => Input::Object,
    }
}

/// `{"id":"acc-001","owner":"Alice","balance":1300.0,"version":3}`: the
/// balance in units with at least one decimal, as the original printed it.
pub fn write_state(state: &AccountState) -> String {
    let mut out = Vec::with_capacity(96);
    out.extend_from_slice(b"{\"id\":");
    write_json_string(&mut out, state.id.as_str());
    out.extend_from_slice(b",\"owner\":");
    write_json_string(&mut out, state.owner.as_str());
    out.extend_from_slice(b",\"balance\":");
    write_units(&mut out, state.balance);
    out.extend_from_slice(b",\"version\":");
    out.extend_from_slice(state.version.get().to_string().as_bytes());
    out.push(b'}');
    into_text(out)
}

/// One event as the original's JSON (the same bytes the hash covers).
pub fn write_event(event: &Event) -> String {
    let mut out = Vec::with_capacity(96);
    write_event_json(&mut out, event);
    into_text(out)
}

/// The bare array of events `GET /accounts/{id}/events` answers.
pub fn write_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> String {
    let mut out = vec![b'['];
    for (at, event) in events.into_iter().enumerate() {
        if at > 0 {
            out.push(b',');
        }
        write_event_json(&mut out, event);
    }
    out.push(b']');
    into_text(out)
}

/// One event written by [`write_event`] (or any JSON of the same members,
/// in any order and spacing), as a store gives it back. An owner is read
/// under the rule it was recorded with ([`crate::domain::Owner::from_stored`]).
pub fn read_event(text: &str) -> Result<Event, String> {
    let mut fields = Fields::of(Json::parse(text)?)?;
    let event = fields.event_here()?;
    fields.done()?;
    Ok(event)
}

/// The writers above copy whole `&str`s and ASCII: always UTF-8.
fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Command, Money, Owner, Version};
    use crate::store::CommandId;

    fn acc() -> AccountId {
        AccountId::parse("acc-001").unwrap()
    }

    fn cents(c: u64) -> Money {
        Money::from_cents(c).unwrap()
    }

    fn command(body: &str) -> Result<CommandRequest, RequestError> {
        read_command_request(acc(), body)
    }

    #[track_caller]
    fn refused(body: &str, code: &str, says: &str) {
        match command(body) {
            Err(error) => {
                assert_eq!(error.code(), code, "{body}: {error}");
                assert!(error.to_string().contains(says), "{body}: {error:?} should say {says:?}");
            }
            Ok(request) => panic!("{body} was taken as {request:?}"),
        }
    }

    #[test]
    fn reads_the_walkthroughs_commands() {
        let open = command(r#"{"type":"OpenAccount","owner":"Alice","initial_balance":1000.0}"#).unwrap();
        let alice = Owner::parse("Alice").unwrap();
        assert_eq!(open, CommandRequest::new(acc(), Command::open(alice, cents(100_000))));
        let deposit = command(r#"{"type":"Deposit","amount":500.0}"#).unwrap();
        assert_eq!(deposit.command, Command::deposit(cents(50_000)));
        let withdraw = command(" {\n\"amount\" : 200 , \"type\":\"Withdraw\", \"command_id\":\"c-1\"} ").unwrap();
        assert_eq!(withdraw.command, Command::withdraw(cents(20_000)));
        assert_eq!(withdraw.command_id, Some(CommandId::parse("c-1").unwrap()));
    }

    #[test]
    fn reads_amounts_exactly() {
        let amount = |text: &str| command(&format!(r#"{{"type":"Deposit","amount":{text}}}"#)).map(|r| r.command);
        for (text, expected) in [
            ("0.1", 10),
            ("0.10", 10),
            ("1.230", 123),
            ("12.34", 1234),
            ("\"12.34\"", 1234),
            ("\"7\"", 700),
            ("1e2", 10_000),
            ("1.5E1", 1500),
            ("1000000000000", 100_000_000_000_000),
            ("0", 0),
        ] {
            assert_eq!(amount(text), Ok(Command::deposit(cents(expected))), "{text}");
        }
        for text in ["0.101", "0.30000000000000004", "-1", "-0.5", "1e400", "\"1,5\"", "\"\"", "1000000000000.01", "1e13"] {
            assert!(amount(text).is_err_and(|e| e.code() == "InvalidAmount"), "{text}");
        }
        refused(r#"{"type":"Deposit","amount":true}"#, "InvalidAmount", "a boolean");
        refused(r#"{"type":"Deposit","amount":null}"#, "InvalidAmount", "null");
    }

    #[test]
    fn refuses_anything_else_with_the_js_apis_codes() {
        refused("", "InvalidCommand", "not JSON");
        refused("{", "InvalidCommand", "not JSON");
        refused(r#"{"type":"Deposit","amount":1,"amount":2}"#, "InvalidCommand", "duplicate");
        refused("[]", "InvalidCommand", "an object such as");
        refused("{}", "InvalidCommand", "type is missing");
        refused(r#"{"type":7}"#, "InvalidCommand", "must be a string");
        refused(r#"{"type":"Steal","amount":1}"#, "InvalidCommand", "OpenAccount, Deposit or Withdraw");
        refused(r#"{"type":"Deposit","amount":1,"extra":0}"#, "InvalidCommand", "unknown field `extra`");
        refused(r#"{"type":"Deposit","amount":1,"owner":"Al"}"#, "InvalidCommand", "unknown field `owner`");
        refused(r#"{"type":"Deposit"}"#, "InvalidCommand", "needs `amount`");
        refused(r#"{"type":"OpenAccount","initial_balance":1}"#, "InvalidCommand", "needs `owner`");
        refused(r#"{"type":"OpenAccount","owner":"  ","initial_balance":1}"#, "InvalidOwner", "empty");
        refused(r#"{"type":"OpenAccount","owner":5,"initial_balance":1}"#, "InvalidOwner", "a number");
        refused(r#"{"type":"OpenAccount","owner":"a\u202eb","initial_balance":1}"#, "InvalidOwner", "direction");
        refused(r#"{"type":"Deposit","amount":1,"command_id":"a b"}"#, "InvalidCommand", "command_id");
        refused(r#"{"type":"Deposit","amount":1,"command_id":1}"#, "InvalidCommand", "command_id");
        assert_eq!(crate::request::read_account_id("a/b").map_err(|e| e.code()), Err("InvalidAccountId"));
        assert_eq!(crate::request::read_account_id("acc-001"), Ok(acc()));
    }

    #[test]
    fn writes_the_state_and_events_as_the_original_printed_them() {
        let alice = Owner::parse("Alice").unwrap();
        let state = AccountState { id: acc(), owner: alice.clone(), balance: cents(130_000), version: Version::new(3) };
        assert_eq!(write_state(&state), r#"{"id":"acc-001","owner":"Alice","balance":1300.0,"version":3}"#);
        let odd = AccountState { owner: Owner::parse("Zoë \"Q\"").unwrap(), balance: cents(5), ..state };
        assert_eq!(write_state(&odd), r#"{"id":"acc-001","owner":"Zoë \"Q\"","balance":0.05,"version":3}"#);
        let events = [Event::opened(alice, cents(100_000)), Event::deposited(cents(50_000)), Event::withdrawn(cents(20_000))];
        assert_eq!(
            write_events(&events),
            r#"[{"type":"AccountOpened","owner":"Alice","initial_balance":1000.0},{"type":"MoneyDeposited","amount":500.0},{"type":"MoneyWithdrawn","amount":200.0}]"#
        );
        assert_eq!(write_events(&[]), "[]");
        for event in &events {
            assert_eq!(read_event(&write_event(event)).as_ref(), Ok(event));
        }
        // As PostgreSQL's jsonb gives it back: members reordered, spaced.
        let stored = r#"{"type": "AccountOpened", "owner": "Alice", "initial_balance": 1000.0}"#;
        assert_eq!(read_event(stored), Ok(events[0].clone()));
        assert!(read_event(r#"{"type":"MoneyDeposited","amount":1.0,"x":1}"#).is_err());
    }
}
