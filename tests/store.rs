//! The event-store contract against the native stores, and what the
//! key-value store must do with damage, full storage and restarts.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use bank_ledger::domain::{ExpectedVersion, Version};
use bank_ledger::store::{
    decode_record, encode_record, EventStore, KeyValue, KvStore, MemoryKv, MemoryStore, StoreError,
};
use proptest::prelude::*;
use support::*;

mod memory_store {
    use super::*;
    store_contract!(test, MemoryStore::new());
}

mod kv_store {
    use super::*;
    store_contract!(test, KvStore::new(MemoryKv::new(), "ledger"));
}

fn at(version: u64) -> ExpectedVersion {
    ExpectedVersion(Version::new(version))
}

/// A store with account `acc-001` at version 3 and `acc-002` at version 1.
fn filled(kv: MemoryKv) -> KvStore<MemoryKv> {
    let mut store = KvStore::new(kv, "ledger");
    let (a, b) = (id("acc-001"), id("acc-002"));
    store.append(&a, at(0), vec![new_event("a-1", 1, opened("Alice", "1000.00"))]).unwrap();
    store.append(&a, at(1), vec![new_event("a-2", 2, deposited("500.00"))]).unwrap();
    store.append(&a, at(2), vec![new_event("a-3", 3, withdrawn("200.00"))]).unwrap();
    store.append(&b, at(0), vec![new_event("b-1", 4, opened("Bob", "1.00"))]).unwrap();
    store
}

#[test]
fn the_key_layout_is_one_key_per_event_and_a_counter() {
    let store = filled(MemoryKv::new());
    let keys: Vec<String> = store.kv().entries().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "ledger/v1/event/acc-001/1",
            "ledger/v1/event/acc-001/2",
            "ledger/v1/event/acc-001/3",
            "ledger/v1/event/acc-002/1",
            "ledger/v1/sequence",
        ]
    );
    assert_eq!(store.kv().get("ledger/v1/sequence").unwrap().as_deref(), Some("4"));
    assert_eq!(
        store.kv().get("ledger/v1/event/acc-001/2").unwrap().as_deref(),
        // The hash was computed independently (Python's hashlib) from the
        // layout documented in chain.rs: this pins the chain's definition.
        Some(concat!(
            r#"{"schema":1,"version":2,"sequence":2,"recorded_at":2,"event_id":"a-2","#,
            r#""event":{"type":"MoneyDeposited","amount":500.0},"#,
            r#""hash":"e2fdbfb0af5003a59ae66eee09923b6a37a32b7b5de0a4a60065591fd2bd4aec"}"#
        ))
    );
}

#[test]
fn data_survives_a_new_store_instance() {
    let shared = Rc::new(RefCell::new(MemoryKv::new()));
    let mut first = KvStore::new(shared.clone(), "ledger");
    let stored = first.append(&id("acc-001"), at(0), vec![new_event("a-1", 1, opened("Alice", "1.00"))]).unwrap();
    drop(first);
    let second = KvStore::new(shared, "ledger");
    assert_eq!(second.read(&id("acc-001"), Version::EMPTY).unwrap(), stored);
    assert_eq!(second.streams().unwrap().ids, vec![id("acc-001")]);
}

#[test]
fn appending_does_not_rewrite_the_stream() {
    let mut store = filled(MemoryKv::new());
    let before = store.kv().entries();
    store.append(&id("acc-001"), at(3), vec![new_event("a-4", 5, deposited("1.00"))]).unwrap();
    let after = store.kv().entries();
    let changed: Vec<&str> = after.iter().filter(|entry| !before.contains(entry)).map(|(k, _)| k.as_str()).collect();
    assert_eq!(changed, ["ledger/v1/event/acc-001/4", "ledger/v1/sequence"]);
}

fn damage(store: &mut KvStore<MemoryKv>, key: &str, value: &str) {
    store.kv_mut().set(key, value).unwrap();
}

#[test]
fn a_damaged_record_is_reported_by_key_and_left_byte_identical() {
    let key = "ledger/v1/event/acc-001/2";
    for garbage in ["not json", "{}", r#"{"schema":1}"#, "", "\u{0}\u{fffd}", r#"[1,2,3]"#] {
        let mut store = filled(MemoryKv::new());
        damage(&mut store, key, garbage);
        let before = store.kv().entries();
        match store.read(&id("acc-001"), Version::EMPTY) {
            Err(StoreError::Corrupt { key: named, .. }) => assert_eq!(named, key, "{garbage:?}"),
            other => panic!("{garbage:?} gave {other:?}"),
        }
        let appended = store.append(&id("acc-001"), at(3), vec![new_event("a-4", 5, deposited("1.00"))]);
        assert!(appended.is_ok(), "a damaged old event does not block appends at the store level");
        assert_eq!(store.kv().get(key).unwrap().as_deref(), Some(garbage), "left as it was");
        // The other account is untouched and readable.
        assert_eq!(store.read(&id("acc-002"), Version::EMPTY).unwrap().len(), 1);
        let after = store.kv().entries();
        let rewritten: Vec<&str> = before
            .iter()
            .filter(|entry| !after.contains(entry))
            .map(|(key, _)| key.as_str())
            .collect();
        assert_eq!(rewritten, ["ledger/v1/sequence"], "only the counter moved on");
    }
}

#[test]
fn a_record_that_lies_about_its_version_or_schema_is_damage() {
    let mut store = filled(MemoryKv::new());
    let two = store.kv().get("ledger/v1/event/acc-001/2").unwrap().unwrap();
    damage(&mut store, "ledger/v1/event/acc-001/3", &two);
    assert!(matches!(store.read(&id("acc-001"), Version::EMPTY), Err(StoreError::Corrupt { key, .. }) if key.ends_with("/3")));

    let future = two.replace(r#""schema":1"#, r#""schema":9"#);
    let error = decode_record("k", Version::new(2), &future).unwrap_err();
    assert!(error.to_string().contains("schema version 9"), "{error}");
}

#[test]
fn foreign_keys_and_gaps_are_listed_as_damage_and_never_joined() {
    let mut store = filled(MemoryKv::new());
    damage(&mut store, "ledger/v1/junk", "x");
    damage(&mut store, "ledger/v1/event/bad id/1", "x");
    damage(&mut store, "ledger/v1/event/acc-001/5", "orphan");
    damage(&mut store, "someone-else", "x");
    let list = store.streams().unwrap();
    assert_eq!(list.ids, vec![id("acc-001"), id("acc-002")]);
    let keys: Vec<&str> = list.damaged.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["ledger/v1/event/acc-001/5", "ledger/v1/event/bad id/1", "ledger/v1/junk"]);

    // Appending version 4 would make the orphan at 5 part of the stream.
    let result = store.append(&id("acc-001"), at(3), vec![new_event("a-4", 5, deposited("1.00"))]);
    assert!(matches!(result, Err(StoreError::Corrupt { ref key, .. }) if key == "ledger/v1/event/acc-001/5"), "{result:?}");
    assert_eq!(store.kv().get("ledger/v1/event/acc-001/5").unwrap().as_deref(), Some("orphan"));
    assert_eq!(store.kv().get("ledger/v1/event/acc-001/4").unwrap(), None);
}

#[test]
fn a_damaged_sequence_counter_blocks_writes_not_reads() {
    let mut store = filled(MemoryKv::new());
    damage(&mut store, "ledger/v1/sequence", "12abc");
    let result = store.append(&id("acc-002"), at(1), vec![new_event("b-2", 5, deposited("1.00"))]);
    assert!(matches!(result, Err(StoreError::Corrupt { ref key, .. }) if key == "ledger/v1/sequence"), "{result:?}");
    assert_eq!(store.read(&id("acc-001"), Version::EMPTY).unwrap().len(), 3);
    assert_eq!(store.kv().get("ledger/v1/sequence").unwrap().as_deref(), Some("12abc"));
}

#[test]
fn a_full_storage_stores_no_part_of_an_append() {
    // Find the size the filled store needs, then allow a little less than one
    // more event: the counter fits, the record does not.
    let used = filled(MemoryKv::new()).kv().units_used();
    for spare in [0, 5, 40, 100] {
        let mut store = filled(MemoryKv::with_quota(used + spare));
        let before = store.kv().entries();
        let result = store.append(
            &id("acc-001"),
            at(3),
            vec![new_event("a-4", 5, deposited("1.00")), new_event("a-5", 5, deposited("2.00"))],
        );
        assert_eq!(result, Err(StoreError::Full), "spare {spare}");
        assert_eq!(store.kv().entries(), before, "spare {spare}: nothing partial stays");
        assert_eq!(store.read(&id("acc-001"), Version::EMPTY).unwrap().len(), 3, "reading still works");
    }
}

#[test]
fn a_write_failing_halfway_through_a_batch_leaves_nothing() {
    let mut probe = filled(MemoryKv::new());
    let used = probe.kv().units_used();
    probe.append(&id("acc-001"), at(3), vec![new_event("a-4", 5, deposited("1.00"))]).unwrap();
    let one_record = probe.kv().units_used() - used;
    // Room for the counter and one record, not two: the second write fails.
    let mut store = filled(MemoryKv::with_quota(used + one_record + one_record / 2));
    let before = store.kv().entries();
    let result = store.append(
        &id("acc-001"),
        at(3),
        vec![new_event("a-4", 5, deposited("1.00")), new_event("a-5", 5, deposited("2.00"))],
    );
    assert_eq!(result, Err(StoreError::Full));
    assert_eq!(store.kv().entries(), before);
    // With room, the same append succeeds whole.
    let mut roomy = filled(MemoryKv::with_quota(used + 2 * one_record + 2));
    assert_eq!(
        roomy
            .append(&id("acc-001"), at(3), vec![new_event("a-4", 5, deposited("1.00")), new_event("a-5", 5, deposited("2.00"))])
            .unwrap()
            .len(),
        2
    );
}

proptest! {
    #[test]
    fn decoding_arbitrary_text_never_panics(text in any::<String>()) {
        let _ = decode_record("k", Version::new(1), &text);
    }

    #[test]
    fn every_decoder_of_stored_text_takes_arbitrary_input(text in any::<String>(), bytes in any::<Vec<u8>>()) {
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        for input in [&text, &lossy] {
            let _ = bank_ledger::store::Keys::new("ledger").classify(input);
            let _ = bank_ledger::store::ChainHash::parse_hex(input);
            if let Ok(money) = bank_ledger::domain::Money::parse(input) {
                prop_assert!(money <= bank_ledger::domain::Money::MAX_AMOUNT);
            }
        }
    }

    /// Whatever sits under the store's keys, reading and appending answer
    /// with data or a typed error, and never change what they can't read.
    #[test]
    fn a_store_over_arbitrary_values_never_panics(record in any::<String>(), counter in any::<String>(), version in 1u64..4) {
        let mut store = filled(MemoryKv::new());
        damage(&mut store, &format!("ledger/v1/event/acc-001/{version}"), &record);
        damage(&mut store, "ledger/v1/sequence", &counter);
        let before = store.kv().entries();
        let _ = store.read(&id("acc-001"), Version::EMPTY);
        let _ = store.streams();
        if store.append(&id("acc-002"), at(1), vec![new_event("b-2", 9, deposited("1.00"))]).is_err() {
            prop_assert_eq!(store.kv().entries(), before);
        }
        prop_assert_eq!(store.kv().get(&format!("ledger/v1/event/acc-001/{version}")).unwrap(), Some(record));
    }

    #[test]
    fn decoding_mutated_records_never_panics_or_accepts_another_version(
        position in 0usize..200, replacement in any::<char>(), version in 1u64..4
    ) {
        let store = filled(MemoryKv::new());
        let original = store.kv().get("ledger/v1/event/acc-001/2").unwrap().unwrap();
        let mut chars: Vec<char> = original.chars().collect();
        let position = position % chars.len();
        chars[position] = replacement;
        let mutated: String = chars.into_iter().collect();
        if let Ok(envelope) = decode_record("k", Version::new(version), &mutated) {
            prop_assert_eq!(envelope.version, Version::new(version));
            prop_assert_eq!(encode_record(&envelope).len() <= mutated.len() + 2, true);
        }
    }
}
