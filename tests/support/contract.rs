//! The event-store contract. Each check takes a fresh, empty store; the
//! `store_contract!` macro turns them into one test each for a store type,
//! natively (`#[test]`) or in a browser (`#[wasm_bindgen_test]`).

use std::collections::BTreeSet;

use bank_ledger::{ChainHash, EventStore, ExpectedVersion, Sequence, StoreError, Timestamp, Version};

use super::{deposited, id, new_event, opened, withdrawn};

fn at(version: u64) -> ExpectedVersion {
    ExpectedVersion(Version::new(version))
}

pub fn an_empty_store_has_no_streams(store: &mut impl EventStore) {
    assert_eq!(store.read(&id("nobody"), Version::EMPTY), Ok(vec![]));
    let list = store.streams().unwrap();
    assert!(list.ids.is_empty() && list.damaged.is_empty(), "{list:?}");
}

pub fn appended_events_read_back_with_their_envelopes(store: &mut impl EventStore) {
    let a = id("acc-a");
    let stored = store
        .append(&a, at(0), vec![new_event("e-1", 1_000, opened("Alice", "10.00")), new_event("e-2", 1_001, deposited("0.10"))])
        .unwrap();
    assert_eq!(stored.iter().map(|e| e.version.get()).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(stored[0].event_id.as_str(), "e-1");
    assert_eq!(stored[1].recorded_at, Timestamp(1_001));
    assert_eq!(stored[1].event, deposited("0.10"));
    assert!(stored[0].sequence < stored[1].sequence);
    assert_eq!(store.read(&a, Version::EMPTY).unwrap(), stored);
}

pub fn read_after_a_version_returns_only_later_events(store: &mut impl EventStore) {
    let a = id("acc-a");
    store.append(&a, at(0), vec![new_event("e-1", 1, opened("Alice", "10.00"))]).unwrap();
    let later = store.append(&a, at(1), vec![new_event("e-2", 2, deposited("1.00"))]).unwrap();
    assert_eq!(store.read(&a, Version::new(1)).unwrap(), later);
    assert_eq!(store.read(&a, Version::new(2)).unwrap(), vec![]);
}

pub fn a_page_reads_at_most_its_size(store: &mut impl EventStore) {
    let a = id("acc-a");
    let events = (1..=5).map(|i| new_event(&format!("e-{i}"), i, if i == 1 { opened("A", "1.00") } else { deposited("1.00") }));
    let stored = store.append(&a, at(0), events.collect()).unwrap();
    assert_eq!(store.read_page(&a, Version::new(1), 2).unwrap(), stored[1..3]);
    assert_eq!(store.read_page(&a, Version::new(4), 9).unwrap(), stored[4..]);
    assert_eq!(store.read_page(&a, Version::new(5), 9).unwrap(), vec![]);
    assert_eq!(store.read_page(&a, Version::EMPTY, 0).unwrap(), vec![]);
}

pub fn reading_past_the_end_is_a_conflict(store: &mut impl EventStore) {
    let a = id("acc-a");
    store.append(&a, at(0), vec![new_event("e-1", 1, opened("Alice", "10.00"))]).unwrap();
    assert_eq!(
        store.read(&a, Version::new(3)),
        Err(StoreError::Conflict { stream: a, expected: Version::new(3), actual: Version::new(1) })
    );
}

pub fn a_stale_expected_version_is_a_conflict_and_stores_nothing(store: &mut impl EventStore) {
    let a = id("acc-a");
    store.append(&a, at(0), vec![new_event("e-1", 1, opened("Alice", "10.00"))]).unwrap();
    let before = store.read(&a, Version::EMPTY).unwrap();
    for (expected, events) in [(0, 1), (2, 1), (0, 0)] {
        let batch = (0..events).map(|i| new_event(&format!("x-{i}"), 9, deposited("1.00"))).collect();
        assert_eq!(
            store.append(&a, at(expected), batch),
            Err(StoreError::Conflict { stream: a.clone(), expected: Version::new(expected), actual: Version::new(1) }),
            "expected version {expected}"
        );
    }
    assert_eq!(store.read(&a, Version::EMPTY).unwrap(), before);
}

pub fn versions_are_contiguous_per_stream_and_sequences_unique(store: &mut impl EventStore) {
    let (a, b) = (id("acc-a"), id("acc-b"));
    store.append(&a, at(0), vec![new_event("a-1", 1, opened("Alice", "10.00"))]).unwrap();
    store.append(&b, at(0), vec![new_event("b-1", 2, opened("Bob", "0.00"))]).unwrap();
    store.append(&a, at(1), vec![new_event("a-2", 3, withdrawn("5.00")), new_event("a-3", 3, deposited("2.00"))]).unwrap();
    store.append(&b, at(1), vec![new_event("b-2", 4, deposited("7.00"))]).unwrap();

    let mut sequences = BTreeSet::new();
    for (stream, len) in [(&a, 3), (&b, 2)] {
        let events = store.read(stream, Version::EMPTY).unwrap();
        let mut previous = ChainHash::GENESIS;
        for event in &events {
            assert_eq!(
                event.hash,
                ChainHash::link(&previous, stream, event),
                "{stream} v{} links to the one before",
                event.version
            );
            previous = event.hash;
        }
        assert_eq!(events.iter().map(|e| e.version.get()).collect::<Vec<_>>(), (1..=len).collect::<Vec<_>>());
        assert!(events.windows(2).all(|w| w[0].sequence < w[1].sequence), "order within {stream}");
        sequences.extend(events.iter().map(|e| e.sequence));
    }
    assert_eq!(sequences.len(), 5, "sequence numbers are unique across streams");
    assert!(!sequences.contains(&Sequence(0)));
}

pub fn streams_are_listed_sorted(store: &mut impl EventStore) {
    for name in ["zed", "acc-2", "acc-10"] {
        store.append(&id(name), at(0), vec![new_event(&format!("{name}-1"), 1, opened("X", "1.00"))]).unwrap();
    }
    assert_eq!(store.streams().unwrap().ids, vec![id("acc-10"), id("acc-2"), id("zed")]);
}

/// Generates one test per contract check for the store that `$make` builds.
#[macro_export]
macro_rules! store_contract {
    ($test:meta, $make:expr) => {
        #[$test]
        fn an_empty_store_has_no_streams() {
            support::contract::an_empty_store_has_no_streams(&mut $make);
        }
        #[$test]
        fn appended_events_read_back_with_their_envelopes() {
            support::contract::appended_events_read_back_with_their_envelopes(&mut $make);
        }
        #[$test]
        fn read_after_a_version_returns_only_later_events() {
            support::contract::read_after_a_version_returns_only_later_events(&mut $make);
        }
        #[$test]
        fn a_page_reads_at_most_its_size() {
            support::contract::a_page_reads_at_most_its_size(&mut $make);
        }
        #[$test]
        fn reading_past_the_end_is_a_conflict() {
            support::contract::reading_past_the_end_is_a_conflict(&mut $make);
        }
        #[$test]
        fn a_stale_expected_version_is_a_conflict_and_stores_nothing() {
            support::contract::a_stale_expected_version_is_a_conflict_and_stores_nothing(&mut $make);
        }
        #[$test]
        fn versions_are_contiguous_per_stream_and_sequences_unique() {
            support::contract::versions_are_contiguous_per_stream_and_sequences_unique(&mut $make);
        }
        #[$test]
        fn streams_are_listed_sorted() {
            support::contract::streams_are_listed_sorted(&mut $make);
        }
    };
}
