//! The original design's store (one JSON array per account), kept for the
//! benchmarks: it must pass the same contract as the real stores, and
//! `execute_replaying` must give the same answers as the ledger.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use bank_ledger::{EventStore, ExpectedVersion, KeyValue, MemoryKv, MemoryStore, StoreError, Version};
use ledger_core::testing::{execute_replaying, FailingKv, NaiveStore};
use ledger_core::testing::{CountingIds, ManualClock};
use support::*;

mod naive_store {
    use super::*;
    store_contract!(test, NaiveStore::new(MemoryKv::new(), "ledger"));
}

fn at(version: u64) -> ExpectedVersion {
    ExpectedVersion(Version::new(version))
}

#[test]
fn a_stream_is_one_key_holding_an_array() {
    let mut store = NaiveStore::new(MemoryKv::new(), "ledger");
    let a = id("acc-001");
    store.append(&a, at(0), vec![new_event("a-1", 1, opened("Alice", "10.00"))]).unwrap();
    store.append(&a, at(1), vec![new_event("a-2", 2, deposited("5.00"))]).unwrap();
    let entries = store.kv().entries();
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["ledger/naive-sequence", "ledger/naive/acc-001"]);
    let array: serde_json::Value = serde_json::from_str(&entries[1].1).unwrap();
    assert_eq!(array.as_array().unwrap().len(), 2);
    assert_eq!(array[1]["event"], serde_json::json!({"type": "MoneyDeposited", "amount": 5.0}));
}

#[test]
fn damaged_data_is_corrupt_and_blocks_appends() {
    let mut store = NaiveStore::new(MemoryKv::new(), "ledger");
    let a = id("acc-001");
    store.append(&a, at(0), vec![new_event("a-1", 1, opened("Alice", "10.00"))]).unwrap();
    for bad in ["[", "{}", r#"[{"version":2}]"#] {
        store.kv_mut().set("ledger/naive/acc-001", bad).unwrap();
        let corrupt =
            |r: Result<Vec<_>, StoreError>| matches!(r, Err(StoreError::Corrupt { key, .. }) if key == "ledger/naive/acc-001");
        assert!(corrupt(store.read(&a, Version::EMPTY)), "{bad}");
        assert!(corrupt(store.append(&a, at(1), vec![new_event("a-2", 2, deposited("1.00"))])), "{bad}");
    }
    store.kv_mut().set("ledger/naive/not an id", "[]").unwrap();
    assert_eq!(store.streams().unwrap().damaged.len(), 1);
}

#[test]
fn an_append_that_does_not_fit_stores_nothing() {
    let a = id("acc-001");
    let first = || vec![new_event("a-1", 1, opened("Alice", "10.00"))];
    let mut probe = NaiveStore::new(MemoryKv::new(), "ledger");
    probe.append(&a, at(0), first()).unwrap();
    let used = probe.kv().units_used();
    // Room for the new counter but not the longer array: the counter is put back.
    let mut store = NaiveStore::new(MemoryKv::with_quota(used + 10), "ledger");
    store.append(&a, at(0), first()).unwrap();
    let before = store.kv().entries();
    assert_eq!(store.append(&a, at(1), vec![new_event("a-2", 2, deposited("1.00"))]), Err(StoreError::Full));
    assert_eq!(store.kv().entries(), before);
    assert_eq!(store.read(&a, Version::EMPTY).unwrap().len(), 1);

    // A failing first write (the counter) leaves nothing either.
    let mut failing = NaiveStore::new(FailingKv { inner: store.kv().clone(), writes_left: 0 }, "ledger");
    assert!(matches!(
        failing.append(&a, at(1), vec![new_event("a-2", 2, deposited("1.00"))]),
        Err(StoreError::Unavailable { .. })
    ));
    assert_eq!(failing.kv().inner.entries(), before);
}

#[test]
fn replaying_gives_the_same_answers_as_the_ledger() {
    use bank_ledger::Ledger;
    let a = id("acc-001");
    let commands = [open("Alice", "100.00"), deposit("5.00"), withdraw("500.00"), withdraw("20.00"), open("Bob", "1.00")];
    let mut ledger = Ledger::new(MemoryStore::new(), ManualClock::new(7), CountingIds::new("e"));
    let mut naive = NaiveStore::new(MemoryKv::new(), "ledger");
    let (clock, mut ids) = (ManualClock::new(7), CountingIds::new("e"));
    for command in &commands {
        let expected = ledger.execute(&request(&a, command)).map_err(|e| e.code());
        let got = execute_replaying(&mut naive, &clock, &mut ids, &a, command).map_err(|e| e.code());
        assert_eq!(got, expected, "{command:?}");
    }
    assert_eq!(naive.read(&a, Version::EMPTY).unwrap(), ledger.history(&a).unwrap());
}
