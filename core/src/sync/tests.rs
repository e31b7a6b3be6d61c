//! The sync messages round-trip, and a push is decided by the stream.

use super::*;
use crate::domain::{AccountId, Event, Money, Owner, Version};
use crate::store::{ChainHash, CommandId, Envelope, EventId, NewEvent, Sequence, Timestamp, Tip};

fn account() -> AccountId {
    AccountId::parse("acc-001").unwrap()
}

fn cents(c: u64) -> Money {
    Money::from_cents(c).unwrap()
}

/// `events` made one after another on top of `stream`, numbered and
/// linked (whatever the rules say of them).
fn made(stream: &[Envelope], events: &[(&str, Event)]) -> Vec<Envelope> {
    let mut version = Version::new(stream.len() as u64);
    let mut hash = stream.last().map_or(ChainHash::GENESIS, |e| e.hash);
    events
        .iter()
        .map(|(id, event)| {
            let new = NewEvent {
                event_id: EventId::parse(id).unwrap(),
                recorded_at: Timestamp(1_700_000_000_000),
                command_id: Some(CommandId::parse(&format!("c-{id}")).unwrap()),
                event: event.clone(),
            };
            version = version.next();
            let mut envelope = new.into_envelope(version, Sequence(0));
            envelope.hash = ChainHash::link(&hash, &account(), &envelope);
            hash = envelope.hash;
            envelope
        })
        .collect()
}

fn opened() -> Event {
    Event::opened(Owner::parse("Ann").unwrap(), cents(1000))
}

fn deposit(c: u64) -> Event {
    Event::deposited(cents(c))
}

fn withdraw(c: u64) -> Event {
    Event::withdrawn(cents(c))
}

fn tip_of(stream: &[Envelope]) -> Tip {
    let mut tip = Tip::new(&account());
    for e in stream {
        tip.admit(e).unwrap();
    }
    tip
}

/// What the server makes of pushing `events` after `after` onto `stream`.
#[track_caller]
fn when_pushed(stream: &[Envelope], after: u64, events: Vec<Envelope>) -> Result<PushPlan, PushError> {
    // Every push goes through its JSON, as it does over HTTP.
    let push = Push::read(&Push { after: Version::new(after), events }.write())?;
    plan_push(&tip_of(stream), stream, push)
}

#[test]
fn a_push_that_follows_the_stream_is_appended_whole() {
    let stream = made(&[], &[("e1", opened())]);
    let new = made(&stream, &[("e2", deposit(5)), ("e3", withdraw(1005))]);
    assert_eq!(
        when_pushed(&stream, 1, new.clone()),
        Ok(PushPlan::Append {
            expected: Version::new(1),
            events: new.iter().map(|e| Envelope { schema: crate::store::SCHEMA_VERSION, ..e.clone() }).collect()
        })
    );
}

#[test]
fn a_push_again_answers_as_the_first_time_and_a_longer_one_appends_the_rest() {
    let stream = made(&[], &[("e1", opened()), ("e2", deposit(5))]);
    let (stored, more) = stream.split_at(1);
    assert_eq!(when_pushed(&stream, 0, stream.clone()), Ok(PushPlan::Stored { version: Version::new(2) }));
    assert_eq!(when_pushed(&stream, 1, more.to_vec()), Ok(PushPlan::Stored { version: Version::new(2) }));
    let third = made(&stream, &[("e3", deposit(1))]);
    let all: Vec<Envelope> = stored.iter().chain(more).chain(&third).cloned().collect();
    match when_pushed(&stream, 0, all) {
        Ok(PushPlan::Append { expected, events }) => {
            assert_eq!(expected, Version::new(2));
            assert_eq!(events.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["e3"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_push_behind_the_stream_gets_what_it_lacks() {
    let stream = made(&[], &[("e1", opened()), ("e2", deposit(5)), ("e3", deposit(6))]);
    let mine = made(&stream[..1], &[("m2", deposit(7))]);
    assert_eq!(when_pushed(&stream, 1, mine), Ok(PushPlan::Behind { version: Version::new(3), missing: stream[1..].to_vec() }));
    // After a reset of the server (or another server), a push can be ahead:
    // nothing is missing, the version says where the server is.
    let ahead = made(&stream, &[("e4", deposit(1))]);
    assert_eq!(when_pushed(&stream[..1], 3, ahead), Ok(PushPlan::Behind { version: Version::new(1), missing: vec![] }));
}

#[test]
fn a_push_the_rules_or_the_chain_refuse_is_refused_whole() {
    let stream = made(&[], &[("e1", opened())]);
    let overdraft = made(&stream, &[("e2", deposit(1)), ("e3", withdraw(1002))]);
    let refused = when_pushed(&stream, 1, overdraft);
    assert!(
        matches!(&refused, Err(PushError::InvalidEvent { version, reason }) if *version == Version::new(3) && reason.contains("rules")),
        "{refused:?}"
    );

    let mut forged = made(&stream, &[("e2", deposit(1))]);
    forged[0].event = deposit(100);
    let refused = when_pushed(&stream, 1, forged);
    assert!(matches!(&refused, Err(PushError::InvalidEvent { reason, .. }) if reason.contains("hash")), "{refused:?}");

    let reused = made(&stream, &[("e1", deposit(1))]);
    let refused = when_pushed(&stream, 1, reused);
    assert!(matches!(&refused, Err(PushError::InvalidEvent { reason, .. }) if reason.contains("already used")), "{refused:?}");
}

#[test]
fn a_push_body_is_read_strictly() {
    let stream = made(&[], &[("e1", opened()), ("e2", deposit(5))]);
    let good = Push { after: Version::EMPTY, events: stream.clone() }.write();
    for (bad, words) in [
        (String::new(), "not JSON"),
        ("[]".to_owned(), "object"),
        (r#"{"after":0}"#.to_owned(), "events"),
        (r#"{"after":0,"events":[]}"#.to_owned(), "1 to 256"),
        (good.replace(r#""after":0"#, r#""after":0,"extra":1"#), "unknown field"),
        (good.replace(r#""version":2"#, r#""version":3"#), "versions 1 to 2"),
        (good.replacen(r#""hash":""#, r#""hash":"x"#, 1), "hash"),
        (good.replacen(r#""event_id":"e1""#, r#""event_id":"e 1""#, 1), "event_id"),
        (good.replacen(r#""amount":0.05"#, r#""amount":-1"#, 1), "amount"),
        (good.replacen(r#""recorded_at":1700000000000"#, r#""recorded_at":-1"#, 1), "recorded_at"),
    ] {
        let refused = Push::read(&bad).map(|_| ());
        assert!(refused.as_ref().is_err_and(|e| e.to_string().contains(words)), "{bad}: {refused:?}");
    }
    let too_many = made(&[], &[("e0", opened())]).into_iter().cycle().take(MAX_PUSH + 1).collect();
    assert!(Push::read(&Push { after: Version::EMPTY, events: too_many }.write()).is_err());
}

#[test]
fn answers_round_trip() {
    let stream = made(&[], &[("e1", opened()), ("e2", deposit(5))]);
    let events: Vec<ServerEvent> = stream
        .iter()
        .enumerate()
        .map(|(n, e)| ServerEvent {
            position: 10 + n as u64,
            account: account(),
            device: "laptop \"L\"".into(),
            envelope: Envelope { sequence: Sequence(10 + n as u64), schema: crate::store::SCHEMA_VERSION, ..e.clone() },
        })
        .collect();
    let pulled = Pulled { server: "s-1".into(), events: events.clone(), next: 11 };
    assert_eq!(Pulled::read(&pulled.write()), Ok(pulled.clone()));
    let pushed = Pushed { server: "s-1".into(), account: account(), version: Version::new(2), position: 11 };
    assert_eq!(Pushed::read(&pushed.write()), Ok(pushed));
    let behind = Behind { server: "s-1".into(), account: account(), version: Version::new(2), missing: events };
    let text = behind.write();
    assert!(text.starts_with(r#"{"code":"Behind","message":"account acc-001 is at version 2"#), "{text}");
    assert_eq!(Behind::read(&text), Ok(behind));
    // Out of order is refused.
    let mut swapped = pulled;
    swapped.events.reverse();
    assert!(Pulled::read(&swapped.write()).is_err());
}

fn heads() -> Heads {
    let stream = made(&[], &[("e1", opened()), ("e2", deposit(5))]);
    let head = |id: &str, version: u64, position: u64| Head {
        account: AccountId::parse(id).unwrap(),
        version: Version::new(version),
        hash: stream[usize::try_from(version).unwrap() - 1].hash,
        position,
    };
    Heads { server: "s-\"1\"".into(), accounts: vec![head("acc-001", 2, 17), head("acc-002", 1, 9)] }
}

#[test]
fn heads_round_trip_and_an_empty_ledger_has_none() {
    let heads = heads();
    let text = heads.write();
    assert!(text.starts_with(r#"{"server":"s-\"1\"","accounts":[{"account":"acc-001","version":2,"hash":""#), "{text}");
    assert!(text.ends_with(r#","position":9}]}"#), "{text}");
    assert_eq!(Heads::read(&text), Ok(heads));
    let empty = Heads { server: "s-1".into(), accounts: vec![] };
    assert_eq!(empty.write(), r#"{"server":"s-1","accounts":[]}"#);
    assert_eq!(Heads::read(&empty.write()), Ok(empty));
}

#[test]
fn heads_are_read_strictly() {
    let good = heads().write();
    let mut swapped = heads();
    swapped.accounts.reverse();
    let mut twice = heads();
    twice.accounts[1].account = twice.accounts[0].account.clone();
    for (bad, words) in [
        (String::new(), "end"),
        (r#"{"server":"s"}"#.to_owned(), "accounts"),
        (r#"{"server":"s","accounts":{}}"#.to_owned(), "not an array"),
        (r#"{"server":"s","accounts":[1]}"#.to_owned(), "object"),
        (good.replace(r#""server":"#, r#""extra":1,"server":"#), "unknown field"),
        (good.replacen(r#""position":17"#, r#""position":17,"device":"d""#, 1), "unknown field `device`"),
        (good.replacen(r#""position":17"#, r#""position":-17"#, 1), "position"),
        (good.replacen(r#""version":2"#, r#""version":0"#, 1), "starts at 1"),
        (good.replacen(r#""hash":""#, r#""hash":"A"#, 1), "hash"),
        (good.replacen(r#""account":"acc-001""#, r#""account":"acc 1""#, 1), "account"),
        (good.replacen(r#","hash":"#, r#","hush":"#, 1), "hash"),
        (swapped.write(), "order"),
        (twice.write(), "once"),
    ] {
        let refused = Heads::read(&bad);
        assert!(refused.as_ref().is_err_and(|e| e.contains(words)), "{bad}: {refused:?}");
    }
}

/// A heavy opening: 64-character ids and the longest owner, of
/// characters that take 4 bytes each.
fn heaviest(n: usize) -> Envelope {
    let id = format!("{n:0>64}");
    let owner = Owner::parse(&"\u{1f4b6}".repeat(Owner::MAX_CHARS)).unwrap();
    let event = Event::opened(owner, Money::MAX_AMOUNT);
    let new = NewEvent {
        event_id: EventId::parse(&id).unwrap(),
        recorded_at: Timestamp(u64::MAX),
        command_id: Some(CommandId::parse(&id).unwrap()),
        event,
    };
    new.into_envelope(Version::new(u64::MAX), Sequence(0))
}

#[test]
fn a_push_the_device_makes_is_never_over_the_servers_body_limit() {
    let events: Vec<Envelope> = (0..MAX_PUSH).map(heaviest).collect();
    let carried = fit_push(&events, PUSH_BYTES);
    assert!(carried < MAX_PUSH, "the byte bound binds before the count: {carried}");
    let push = Push { after: Version::new(u64::MAX), events: events[..carried].to_vec() };
    assert!(push.write().len() <= MAX_BODY, "{} bytes", push.write().len());
    let one_more = Push { after: Version::new(u64::MAX), events: events[..=carried].to_vec() };
    assert!(one_more.write().len() > PUSH_BYTES, "no event left out that fitted");
}

#[test]
fn a_message_carries_at_least_one_event_and_as_many_as_fit() {
    let stream = made(&[], &[("e1", opened()), ("e2", deposit(1)), ("e3", deposit(2))]);
    assert_eq!(fit_push(&stream, 0), 1, "at least one, whatever it weighs");
    assert_eq!(fit_push(&stream, usize::MAX), 3);
    let two = Push { after: Version::EMPTY, events: stream[..2].to_vec() }.write();
    let frame = Push { after: Version::EMPTY, events: Vec::new() }.write();
    assert_eq!(fit_push(&stream, two.len() - frame.len()), 2, "two exactly fit");
    assert_eq!(fit_push(&stream, two.len() - frame.len() - 1), 1);

    let page: Vec<ServerEvent> = stream
        .iter()
        .enumerate()
        .map(|(n, e)| ServerEvent { position: n as u64 + 1, account: account(), device: "d".into(), envelope: e.clone() })
        .collect();
    let pulled = |events: &[ServerEvent]| Pulled { server: "s".into(), events: events.to_vec(), next: 0 }.write().len();
    assert_eq!(fit_page(&page, pulled(&page[..2]) - pulled(&[])), 2);
    assert_eq!(fit_page(&page, 1), 1);
}
