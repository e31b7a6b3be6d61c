//! Facts a decision may ask about history (docs/command-step.md), answered
//! by the browser's ledger from the indexes it keeps as events are applied:
//! the same answers from every store, from a ledger that made the events
//! and from one that loaded them from a snapshot afresh.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use bank_ledger::{
    Answer, BookedBalance, Date, EventId, EventStore, Facts, KvStore, Ledger, MemoryKv, MemoryStore, Question, StoredEvent,
    StreamHead, Version,
};
use ledger_core::testing::{CountingIds, ManualClock};
use support::*;

const DAY: u64 = 86_400_000;
/// 2026-12-01T09:00Z
const FIRST: u64 = 1_796_115_600_000;

fn day(n: u64) -> Date {
    Date::of_unix_millis(FIRST + n * DAY)
}

/// Account `acc`: opened with 10.00 and given 5.00 on day 0, 2.50 taken on
/// day 1, 1.00 given on day 3; account `b` opened on day 3. Every event
/// after a snapshot every 2 events, ids `e-1` … `e-5` in that order.
fn given<S: EventStore>(store: S) -> Ledger<S, ManualClock, CountingIds> {
    let mut ledger = Ledger::new(store, ManualClock::new(FIRST), CountingIds::new("e")).with_snapshot_every(2);
    let (acc, b) = (id("acc"), id("b"));
    ledger.execute(&request(&acc, &open("Ann", "10.00"))).unwrap();
    ledger.execute(&request(&acc, &deposit("5.00"))).unwrap();
    set_day(&ledger, 1);
    ledger.execute(&request(&acc, &withdraw("2.50"))).unwrap();
    set_day(&ledger, 3);
    ledger.execute(&request(&acc, &deposit("1.00"))).unwrap();
    ledger.execute(&request(&b, &open("Bo", "0.00"))).unwrap();
    ledger
}

fn set_day<S: EventStore>(ledger: &Ledger<S, ManualClock, CountingIds>, n: u64) {
    ledger.clock().set(FIRST + n * DAY);
}

fn event(text: &str) -> EventId {
    EventId::parse(text).unwrap()
}

/// The questions asked of every ledger below, with the answers the events
/// above make.
fn questions_and_answers() -> Vec<(Question, Answer)> {
    let (acc, b, none) = (id("acc"), id("b"), id("none"));
    let balance = |cents| Answer::BalanceAtEndOf(BookedBalance { cents });
    vec![
        (
            Question::Event { stream: acc.clone(), id: event("e-3") },
            Answer::Event(Some(StoredEvent { version: Version::new(3), booked: day(1), event: withdrawn("2.50") })),
        ),
        (
            Question::Event { stream: acc.clone(), id: event("e-1") },
            Answer::Event(Some(StoredEvent { version: Version::new(1), booked: day(0), event: opened("Ann", "10.00") })),
        ),
        // An id of another stream is not this stream's.
        (Question::Event { stream: acc.clone(), id: event("e-5") }, Answer::Event(None)),
        (Question::Event { stream: acc.clone(), id: event("nope") }, Answer::Event(None)),
        (Question::Event { stream: none.clone(), id: event("e-1") }, Answer::Event(None)),
        (Question::BalanceAtEndOf { stream: acc.clone(), date: Date::of_unix_millis(FIRST - DAY) }, balance(0)),
        (Question::BalanceAtEndOf { stream: acc.clone(), date: day(0) }, balance(1500)),
        (Question::BalanceAtEndOf { stream: acc.clone(), date: day(2) }, balance(1250)),
        (Question::BalanceAtEndOf { stream: acc.clone(), date: day(3) }, balance(1350)),
        (Question::BalanceAtEndOf { stream: none.clone(), date: day(3) }, balance(0)),
        (Question::Head { stream: acc }, Answer::Head(Some(StreamHead { version: Version::new(4), opening: event("e-1") }))),
        (Question::Head { stream: b }, Answer::Head(Some(StreamHead { version: Version::new(1), opening: event("e-5") }))),
        (Question::Head { stream: none }, Answer::Head(None)),
    ]
}

#[track_caller]
fn then_answers<S: EventStore>(ledger: &mut Ledger<S, ManualClock, CountingIds>) {
    let expected = questions_and_answers();
    let questions: Vec<Question> = expected.iter().map(|(q, _)| q.clone()).collect();
    let facts = ledger.facts(&questions).unwrap();
    let want = expected.into_iter().fold(Facts::new(), |facts, (q, a)| facts.answered(q, a));
    assert_eq!(facts, want);
}

#[test]
fn the_memory_store_answers_from_its_indexes() {
    then_answers(&mut given(MemoryStore::new()));
}

#[test]
fn local_storage_answers_alike_made_here_or_loaded_from_a_snapshot() {
    let kv = Rc::new(RefCell::new(MemoryKv::default()));
    let mut made = given(KvStore::new(kv.clone(), "ledger"));
    then_answers(&mut made);
    assert!(kv.borrow().entries().iter().any(|(key, _)| key.contains("/snap/")), "snapshots were stored");
    // Another tab: it loads both accounts from their snapshots.
    let mut loaded = Ledger::new(KvStore::new(kv, "ledger"), ManualClock::new(FIRST), CountingIds::new("f"));
    then_answers(&mut loaded);
}
