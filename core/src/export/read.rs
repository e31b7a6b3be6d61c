//! Reading an export back: every line parsed strictly, every account's
//! versions contiguous from 1, every hash recomputed, every event one the
//! rules allow (so no balance is ever negative), the header's counts and
//! heads matching. Also the original server's bare array of events.
//!
//! A file of version 1 carries hash v1 (chain.rs): it is checked with that,
//! and read with hash v2 like everything else.

use std::collections::BTreeMap;

use super::{EXPORT_FORMAT, EXPORT_VERSION};
use crate::domain::{AccountId, BankAccount, Event, Version};
use crate::store::json::{Fields, Json};
use crate::store::{ChainHash, Envelope, Sequence, Timestamp};
use crate::sync::read_event_members;

/// Why a file can't be imported: the line (from 1) and what is wrong there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ImportError {
    pub line: usize,
    pub reason: String,
}

/// A checked export: each account's events, oldest first, and the line each
/// came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    pub exported_at: Timestamp,
    pub streams: BTreeMap<AccountId, Vec<(usize, Envelope)>>,
}

fn at(line: usize) -> impl Fn(String) -> ImportError {
    move |reason| ImportError { line, reason }
}

/// Reads and checks an export (see the module above).
pub fn read_export(text: &str) -> Result<Export, ImportError> {
    let mut lines = text.lines().enumerate().map(|(n, l)| (n + 1, l)).filter(|(_, l)| !l.trim().is_empty());
    let (line, header) = lines.next().ok_or_else(|| at(1)("the file is empty".into()))?;
    let header = Json::parse(header).map_err(|e| at(line)(format!("not JSON: {e}")))?;
    let (version, exported_at, accounts, events, heads) = read_header(header).map_err(at(line))?;
    // Each account's last hash in the file's own hash version.
    let link = if version == 1 { ChainHash::link_v1 } else { ChainHash::link };
    let mut chains: BTreeMap<AccountId, ChainHash> = BTreeMap::new();
    let mut streams: BTreeMap<AccountId, Vec<(usize, Envelope)>> = BTreeMap::new();
    let mut states: BTreeMap<AccountId, BankAccount> = BTreeMap::new();
    let mut count = 0u64;
    for (line, text) in lines {
        let fail = at(line);
        let json = Json::parse(text).map_err(|e| fail(format!("not JSON: {e}")))?;
        let (account, mut envelope) = read_event_line(json).map_err(&fail)?;
        let stream = streams.entry(account.clone()).or_default();
        let state = states.entry(account.clone()).or_insert_with(|| BankAccount::new(account.clone()));
        let expected = Version::new(u64::try_from(stream.len()).unwrap_or(u64::MAX) + 1);
        if envelope.version != expected {
            return Err(fail(format!("account {account}: version {} where {expected} was due", envelope.version)));
        }
        let before = stream.last().map(|(_, e)| e.sequence.0);
        check_sequence(envelope.sequence.0, before)
            .map_err(|reason| fail(format!("account {account} version {expected}: {reason}")))?;
        let chain = chains.entry(account.clone()).or_default();
        if link(chain, &account, &envelope) != envelope.hash {
            return Err(fail(format!("account {account} version {expected}: the hash does not match the event")));
        }
        *chain = envelope.hash;
        let previous = stream.last().map_or(ChainHash::GENESIS, |(_, e)| e.hash);
        envelope.hash = ChainHash::link(&previous, &account, &envelope);
        state.check(&envelope.event).map_err(|rule| fail(format!("account {account} version {expected}: {rule}")))?;
        state.apply(&envelope.event);
        stream.push((line, envelope));
        count += 1;
    }
    if u64::try_from(streams.len()).ok() != Some(accounts) || count != events {
        return Err(at(1)(format!(
            "the header says {accounts} accounts and {events} events; the file holds {} and {count}",
            streams.len()
        )));
    }
    for account in streams.keys() {
        if heads.get(account) != chains.get(account) {
            return Err(at(1)(format!("the header's head hash for account {account} is not its last event's")));
        }
    }
    Ok(Export { exported_at, streams })
}

/// A sequence number is at least 1, at most [`Sequence::MAX_IMPORTED`], and
/// greater than the one before it in its account.
fn check_sequence(sequence: u64, before: Option<u64>) -> Result<(), String> {
    if sequence == 0 {
        return Err("sequence 0: sequence numbers start at 1".into());
    }
    if sequence > Sequence::MAX_IMPORTED {
        return Err(format!("sequence {sequence} is past 2^53, the largest this ledger accepts"));
    }
    match before {
        Some(before) if sequence <= before => Err(format!("sequence {sequence} does not rise after {before}")),
        _ => Ok(()),
    }
}

type Header = (u64, Timestamp, u64, u64, BTreeMap<AccountId, ChainHash>);

fn read_header(json: Json) -> Result<Header, String> {
    let mut header = Fields::of(json)?;
    if header.string("format")? != EXPORT_FORMAT {
        return Err(format!("not a ledger export (its format is not {EXPORT_FORMAT:?})"));
    }
    let version = header.integer("version")?;
    if version > EXPORT_VERSION {
        return Err(format!(
            "export version {version} was written by a newer version of this app (this one reads up to {EXPORT_VERSION}): update it to import this file"
        ));
    }
    if version == 0 {
        return Err(format!("export version {version} is not one this app reads"));
    }
    let exported_at = Timestamp(header.integer("exported_at")?);
    let (accounts, events) = (header.integer("accounts")?, header.integer("events")?);
    let mut heads = BTreeMap::new();
    let Some(Json::Object(members)) = header.take("heads") else {
        return Err("missing field `heads`".into());
    };
    for (account, hash) in members {
        let account = AccountId::parse(&account).map_err(|e| e.to_string())?;
        let Json::String(hash) = hash else { return Err("a head hash is not a string".into()) };
        heads.insert(account, ChainHash::parse_hex(&hash).ok_or("a head hash is not 64 lowercase hex digits")?);
    }
    header.done()?;
    Ok((version, exported_at, accounts, events, heads))
}

fn read_event_line(json: Json) -> Result<(AccountId, Envelope), String> {
    let mut line = Fields::of(json)?;
    let account = AccountId::parse(&line.string("account")?).map_err(|e| format!("account: {e}"))?;
    let sequence = Sequence(line.integer("sequence")?);
    let envelope = read_event_members(&mut line, sequence)?;
    line.done()?;
    Ok((account, envelope))
}

/// The original server's `GET /accounts/{id}/events` answer: a bare JSON
/// array of events (`[{"type":"AccountOpened",…},…]`), checked against the
/// rules from a new account.
pub fn read_server_events(text: &str, account: &AccountId) -> Result<Vec<Event>, ImportError> {
    let Json::Array(items) = Json::parse(text).map_err(|e| at(1)(format!("not JSON: {e}")))? else {
        return Err(at(1)("not an array of events".into()));
    };
    let mut state = BankAccount::new(account.clone());
    let mut events = Vec::with_capacity(items.len());
    for (n, item) in items.into_iter().enumerate() {
        let fail = |reason: String| ImportError { line: 1, reason: format!("event {}: {reason}", n + 1) };
        let mut fields = Fields::of(item).map_err(fail)?;
        let event = fields.event_here().map_err(fail)?;
        fields.done().map_err(fail)?;
        state.check(&event).map_err(|rule| fail(rule.to_string()))?;
        state.apply(&event);
        events.push(event);
    }
    if events.is_empty() {
        return Err(at(1)("the array holds no events".into()));
    }
    Ok(events)
}
