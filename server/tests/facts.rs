//! Facts a decision may ask about history (docs/command-step.md), answered
//! by the server against a real PostgreSQL: an event by id with one look-up
//! by primary key, balances by booking date and heads from the tip cache's
//! day book — the same answers from a server that made the events (cached)
//! and from one that never saw them (read once), checked against a plain
//! fold of the stored events. Run by scripts/test-server.sh.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::time::Duration;

use ledger_core::{
    AccountId, Answer, BookedBalance, Command, CommandRequest, Envelope, EventId, Facts, Money, Owner, Question, StoredEvent,
    StreamHead, Tip,
};
use ledger_server::store::{Device, EventStore, MessageDb, Tenant};
use ledger_server::Ledger;

fn cents(c: u64) -> Money {
    Money::from_cents(c).unwrap()
}

/// What the stored events of `stream` answer, by a plain fold: the
/// oracle the server's indexes are checked against.
fn expected(stream: &[Envelope], other: &[Envelope], own: &AccountId, other_id: &AccountId) -> Vec<(Question, Answer)> {
    let stored =
        |e: &Envelope| Answer::Event(Some(StoredEvent { version: e.version, booked: e.booked(), event: e.event.clone() }));
    let balance_at = |date| {
        let cents = stream.iter().filter(|e| e.booked() <= date).map(|e| e.event.change().cents).sum();
        Answer::BalanceAtEndOf(BookedBalance { cents })
    };
    let head = |events: &[Envelope]| {
        let last = events.last().unwrap();
        Answer::Head(Some(StreamHead { version: last.version, opening: events[0].event_id.clone() }))
    };
    let first_day = stream[0].booked();
    let mut asked = vec![
        (Question::Event { stream: own.clone(), id: stream[2].event_id.clone() }, stored(&stream[2])),
        (Question::Event { stream: own.clone(), id: stream[0].event_id.clone() }, stored(&stream[0])),
        (Question::Event { stream: own.clone(), id: other[0].event_id.clone() }, Answer::Event(None)),
        (Question::Event { stream: own.clone(), id: EventId::parse("nope").unwrap() }, Answer::Event(None)),
        (Question::Head { stream: own.clone() }, head(stream)),
        (Question::Head { stream: other_id.clone() }, head(other)),
        (Question::Head { stream: AccountId::parse("facts-none").unwrap() }, Answer::Head(None)),
    ];
    for date in stream.iter().map(Envelope::booked).chain([first_day]) {
        asked.push((Question::BalanceAtEndOf { stream: own.clone(), date }, balance_at(date)));
    }
    asked
}

#[tokio::test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
async fn the_server_answers_facts_from_its_indexes_cached_or_not() {
    let store = MessageDb::open(&support::database_url(), 4, Duration::from_secs(10)).await.unwrap();
    let (made, fresh) = (Ledger::new(store.clone()), Ledger::new(store.clone()));
    let (tenant, device) = (Tenant::parse("factstest").unwrap(), Device::http());
    let (own, other) = (AccountId::parse("facts-a").unwrap(), AccountId::parse("facts-b").unwrap());
    let run = |account: &AccountId, command| CommandRequest::new(account.clone(), command);
    for command in [
        Command::open(Owner::parse("Ann").unwrap(), cents(1000)),
        Command::deposit(cents(500)),
        Command::withdraw(cents(250)),
        Command::deposit(cents(100)),
    ] {
        made.execute(&tenant, &device, &run(&own, command)).await.unwrap();
    }
    made.execute(&tenant, &device, &run(&other, Command::open(Owner::parse("Bo").unwrap(), cents(0)))).await.unwrap();

    let mut tip = Tip::new(&own);
    let stream = store.read_from(&tenant, &own, &mut tip).await.unwrap();
    let other_events = store.read_from(&tenant, &other, &mut Tip::new(&other)).await.unwrap();
    let asked = expected(&stream, &other_events, &own, &other);
    let questions: Vec<Question> = asked.iter().map(|(q, _)| q.clone()).collect();
    let want = asked.into_iter().fold(Facts::new(), |facts, (q, a)| facts.answered(q, a));

    assert_eq!(made.facts(&tenant, &tip, &questions).await.unwrap(), want, "from the cache");
    assert_eq!(fresh.facts(&tenant, &tip, &questions).await.unwrap(), want, "read once");
    assert_eq!(fresh.facts(&tenant, &tip, &questions).await.unwrap(), want, "then from the cache");
    // An event id is its stream's: the same id asked of another tenant is not there.
    let elsewhere = Tenant::parse("factsother").unwrap();
    let asked = [Question::Event { stream: own.clone(), id: stream[1].event_id.clone() }];
    let facts = made.facts(&elsewhere, &Tip::new(&own), &asked).await.unwrap();
    assert_eq!(facts.answer(&asked[0]), Some(&Answer::Event(None)));
}
