//! The event-store contract against the native stores, and what the
//! key-value store must do with damage, full storage and restarts.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use bank_ledger::{EventStore, ExpectedVersion, KeyValue, KvStore, Ledger, MemoryKv, MemoryStore, StoreError, Version};
use ledger_core::testing::{decode_record, CountingIds, ManualClock};
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
fn the_key_layout_is_a_segment_per_64_events_and_a_counter() {
    let store = filled(MemoryKv::new());
    let keys: Vec<String> = store.kv().entries().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["ledger/v2/seg/acc-001/0", "ledger/v2/seg/acc-002/0", "ledger/v2/sequence"]);
    // The first append reserved sequence numbers up to 1 + 64: the counter
    // moves once a block.
    assert_eq!(store.kv().get("ledger/v2/sequence").unwrap().as_deref(), Some("65"));
    assert_eq!(
        store.kv().get("ledger/v2/seg/acc-001/0").unwrap().as_deref(),
        Some(concat!(
            "3 3ba6c99f960feb15 98049495b9ffc2ad0514b91dbec2f8b5dd93853405720ffc8f17edfc974acbc6\n",
            "O~a-1,1,1,,100000,Alice\n",
            "D~a-2,1,1,,50000\n",
            "W~a-3,1,1,,20000\n",
        ))
    );
    // The checksum above and this hash were computed independently (Python's
    // hashlib) from their definitions in docs/storage-format.md and
    // docs/event-identity.md: this pins the format and hash v2.
    let two = &store.read(&id("acc-001"), Version::new(1)).unwrap()[0];
    assert_eq!(two.hash.to_string(), "721a54aaad5f0852f3af15dcd03646946dfeadd3cfaa9499ad4957bc8301708f");
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
fn appending_rewrites_only_the_open_segment() {
    let mut store = filled(MemoryKv::new());
    let before = store.kv().entries();
    store.append(&id("acc-001"), at(3), vec![new_event("a-4", 5, deposited("1.00"))]).unwrap();
    let after = store.kv().entries();
    let changed: Vec<&str> = after.iter().filter(|entry| !before.contains(entry)).map(|(k, _)| k.as_str()).collect();
    assert_eq!(changed, ["ledger/v2/seg/acc-001/0"]);
}

#[test]
fn two_writers_over_one_map_never_share_a_sequence_number() {
    let shared = Rc::new(RefCell::new(MemoryKv::new()));
    let mut one = KvStore::new(shared.clone(), "ledger");
    let mut two = KvStore::new(shared.clone(), "ledger");
    let (a, b) = (id("a"), id("b"));
    one.append(&a, at(0), vec![new_event("a-0", 1, opened("A", "0"))]).unwrap();
    two.append(&b, at(0), vec![new_event("b-0", 1, opened("B", "0"))]).unwrap();
    for v in 1..200u64 {
        one.append(&a, at(v), vec![new_event(&format!("a-{v}"), 1, deposited("1.00"))]).unwrap();
        two.append(&b, at(v), vec![new_event(&format!("b-{v}"), 1, deposited("1.00"))]).unwrap();
    }
    let reader = KvStore::new(shared, "ledger");
    let mut sequences: Vec<u64> =
        [a, b].iter().flat_map(|s| reader.read(s, Version::EMPTY).unwrap()).map(|e| e.sequence.0).collect();
    let count = sequences.len();
    sequences.sort_unstable();
    sequences.dedup();
    assert_eq!(sequences.len(), count, "every sequence number is used once");
    // Within a stream they increase.
    let a_seq: Vec<u64> = reader.read(&id("a"), Version::EMPTY).unwrap().iter().map(|e| e.sequence.0).collect();
    assert!(a_seq.windows(2).all(|w| w[0] < w[1]));
}

/// A store with one stream of `n` deposits after its opening, appended one by one.
fn long(n: u64) -> KvStore<MemoryKv> {
    let mut store = KvStore::new(MemoryKv::new(), "ledger");
    store.append(&id("long"), at(0), vec![new_event("e-0", 1, opened("Ann", "0.00"))]).unwrap();
    for v in 1..=n {
        store.append(&id("long"), at(v), vec![new_event(&format!("e-{v}"), v * 1000, deposited("0.01"))]).unwrap();
    }
    store
}

#[test]
fn long_streams_span_segments_and_read_back_from_anywhere() {
    let store = long(199);
    let keys: Vec<String> = store.kv().entries().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys[..4], ["ledger/v2/seg/long/0", "ledger/v2/seg/long/1", "ledger/v2/seg/long/2", "ledger/v2/seg/long/3"]);
    let all = store.read(&id("long"), Version::EMPTY).unwrap();
    assert_eq!(all.len(), 200);
    assert!(all.iter().enumerate().all(|(i, e)| e.version == Version::new(i as u64 + 1)));
    assert!(all.iter().skip(1).all(|e| e.recorded_at.0 == (e.version.get() - 1) * 1000));
    for (after, max) in [(0, 1), (63, 2), (64, 1), (64, 100), (127, 73), (150, 20), (199, 5), (200, 5)] {
        let page = store.read_page(&id("long"), Version::new(after), max).unwrap();
        let expected: Vec<_> = all.iter().skip(after as usize).take(max).cloned().collect();
        assert_eq!(page, expected, "after {after}, max {max}");
    }
    assert_eq!(
        store.read(&id("long"), Version::new(201)),
        Err(StoreError::Conflict { stream: id("long"), expected: Version::new(201), actual: Version::new(200) })
    );
}

#[test]
fn an_event_costs_few_units() {
    // UUID event ids, real times a second apart, no command ids: the
    // shape of a ledger kept by hand.
    let mut store = KvStore::new(MemoryKv::new(), "ledger");
    let uuid = |n: u64| format!("{n:08x}-7d2c-4a1e-9b3f-0c6a5e8d1f2{}", n % 10);
    let acc = id("acc-001");
    store.append(&acc, at(0), vec![new_event(&uuid(0), 1_764_000_000_000, opened("Alice", "100.00"))]).unwrap();
    for v in 1..1000 {
        let event = new_event(&uuid(v), 1_764_000_000_000 + v * 1000, deposited("123.45"));
        store.append(&acc, at(v), vec![event]).unwrap();
    }
    let per_event = store.kv().units_used() as f64 / 1000.0;
    assert!(per_event <= 40.0, "{per_event} units per event");
}

fn damage(store: &mut KvStore<MemoryKv>, key: &str, value: &str) {
    store.kv_mut().set(key, value).unwrap();
}

#[test]
fn a_damaged_segment_is_reported_by_key_and_left_byte_identical() {
    let key = "ledger/v2/seg/acc-001/0";
    let sound = filled(MemoryKv::new()).kv().get(key).unwrap().unwrap();
    let edited = sound.replace(",50000\n", ",90000\n");
    for garbage in ["not a segment", "", "\u{0}\u{fffd}", "2 0123456789abcdef x\nD", "3 x y", edited.as_str()] {
        let mut store = filled(MemoryKv::new());
        damage(&mut store, key, garbage);
        let before = store.kv().entries();
        match store.read(&id("acc-001"), Version::EMPTY) {
            Err(StoreError::Corrupt { key: named, .. }) => assert_eq!(named, key, "{garbage:?}"),
            other => panic!("{garbage:?} gave {other:?}"),
        }
        // The open segment can't take a line without being rewritten: refused.
        let appended = store.append(&id("acc-001"), at(3), vec![new_event("a-4", 5, deposited("1.00"))]);
        assert!(matches!(appended, Err(StoreError::Corrupt { .. }) | Err(StoreError::Conflict { .. })), "{appended:?}");
        // The other account is untouched and readable, and takes events.
        assert_eq!(store.read(&id("acc-002"), Version::EMPTY).unwrap().len(), 1);
        assert_eq!(store.kv().entries(), before, "nothing changed");
        store.append(&id("acc-002"), at(1), vec![new_event("b-2", 5, deposited("1.00"))]).unwrap();
        assert_eq!(store.kv().get(key).unwrap().as_deref(), Some(garbage), "left as it was");
    }
}

#[test]
fn an_edit_that_recomputes_the_checksum_still_breaks_the_chain() {
    use ledger_core::testing::segment::{encode_segment, Segment};
    let mut store = filled(MemoryKv::new());
    let key = "ledger/v2/seg/acc-001/0";
    let text = store.kv().get(key).unwrap().unwrap();
    let segment = Segment::parse(&text).unwrap();
    let forged = encode_segment(&segment.end, &segment.body.replace(",50000\n", ",90000\n"));
    damage(&mut store, key, &forged);
    match store.read(&id("acc-001"), Version::EMPTY) {
        Err(StoreError::Corrupt { key: named, reason }) => {
            assert_eq!(named, key);
            assert!(reason.contains("hash chain"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_segment_copied_to_another_stream_or_slot_is_damage() {
    let mut store = long(130);
    let zero = store.kv().get("ledger/v2/seg/long/0").unwrap().unwrap();
    damage(&mut store, "ledger/v2/seg/other/0", &zero);
    assert!(matches!(store.read(&id("other"), Version::EMPTY), Err(StoreError::Corrupt { .. })));
    damage(&mut store, "ledger/v2/seg/long/1", &zero);
    assert!(matches!(store.read(&id("long"), Version::EMPTY), Err(StoreError::Corrupt { key, .. }) if key.ends_with("/1")));
}

#[test]
fn foreign_keys_and_gaps_are_listed_as_damage_and_never_joined() {
    let mut store = long(63);
    let orphan = "ledger/v2/seg/long/2";
    damage(&mut store, "ledger/v2/junk", "x");
    damage(&mut store, "ledger/v2/seg/bad id/0", "x");
    damage(&mut store, orphan, "orphan");
    damage(&mut store, "someone-else", "x");
    let list = store.streams().unwrap();
    assert_eq!(list.ids, vec![id("long")]);
    let keys: Vec<&str> = list.damaged.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["ledger/v2/junk", "ledger/v2/seg/bad id/0", orphan]);

    // Filling segment 0 is fine; starting segment 1 would make the orphan
    // at 2 part of the stream.
    store.append(&id("long"), at(64), vec![new_event("x", 5, deposited("1.00"))]).unwrap_err();
    assert_eq!(store.kv().get(orphan).unwrap().as_deref(), Some("orphan"));
    assert_eq!(store.kv().get("ledger/v2/seg/long/1").unwrap(), None);
}

#[test]
fn a_damaged_sequence_counter_blocks_writes_not_reads() {
    // A store that opens the map afresh (a reload) reads the counter.
    let mut store = KvStore::new(filled(MemoryKv::new()).kv().clone(), "ledger");
    damage(&mut store, "ledger/v2/sequence", "12abc");
    let result = store.append(&id("acc-002"), at(1), vec![new_event("b-2", 5, deposited("1.00"))]);
    assert!(matches!(result, Err(StoreError::Corrupt { ref key, .. }) if key == "ledger/v2/sequence"), "{result:?}");
    assert_eq!(store.read(&id("acc-001"), Version::EMPTY).unwrap().len(), 3);
    assert_eq!(store.kv().get("ledger/v2/sequence").unwrap().as_deref(), Some("12abc"));
}

#[test]
fn a_full_storage_stores_no_part_of_an_append() {
    // Find the size the filled store needs, then allow less than the append
    // needs: whatever fits, nothing partial stays.
    let used = filled(MemoryKv::new()).kv().units_used();
    for spare in [0, 5, 20] {
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
    // 70 events in one append: two segments, the second write fails.
    let mut probe = long(60);
    let used = probe.kv().units_used();
    let batch = |from: u64| (from..from + 70).map(|v| new_event(&format!("b-{v}"), v, deposited("1.00"))).collect::<Vec<_>>();
    probe.append(&id("long"), at(61), batch(61)).unwrap();
    let needed = probe.kv().units_used() - used;
    let mut store = long(60);
    *store.kv_mut() = {
        let mut kv = MemoryKv::with_quota(used + needed - 40);
        for (k, v) in long(60).kv().entries() {
            kv.set(&k, &v).unwrap();
        }
        kv
    };
    let before = store.kv().entries();
    assert_eq!(store.append(&id("long"), at(61), batch(61)), Err(StoreError::Full));
    assert_eq!(store.kv().entries(), before);
    assert_eq!(store.read(&id("long"), Version::EMPTY).unwrap().len(), 61);
}

proptest! {
    #[test]
    fn decoding_arbitrary_text_never_panics(text in any::<String>()) {
        let _ = decode_record("k", Version::new(1), &text);
        if let Ok(segment) = ledger_core::testing::segment::Segment::parse(&text) {
            let _ = segment.decode(&id("a"), Version::new(1), bank_ledger::ChainHash::GENESIS);
        }
        let _ = bank_ledger::Snapshot::decode(&text);
    }

    #[test]
    fn every_decoder_of_stored_text_takes_arbitrary_input(text in any::<String>(), bytes in any::<Vec<u8>>()) {
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        for input in [&text, &lossy] {
            let _ = bank_ledger::Keys::new("ledger").classify(input);
            let _ = bank_ledger::ChainHash::parse_hex(input);
            if let Ok(money) = bank_ledger::Money::parse(input) {
                prop_assert!(money <= bank_ledger::Money::MAX_AMOUNT);
            }
        }
    }

    /// Whatever sits under the store's keys, reading and appending answer
    /// with data or a typed error, and never change what they can't read.
    #[test]
    fn a_store_over_arbitrary_values_never_panics(value in any::<String>(), counter in any::<String>(), which in 0usize..3) {
        let mut store = filled(MemoryKv::new());
        let key = ["ledger/v2/seg/acc-001/0", "ledger/v2/seg/acc-001/1", "ledger/v2/snap/acc-001"][which];
        damage(&mut store, key, &value);
        damage(&mut store, "ledger/v2/sequence", &counter);
        let before = store.kv().entries();
        let _ = store.read(&id("acc-001"), Version::EMPTY);
        let _ = store.streams();
        let _ = store.snapshot(&id("acc-001"));
        if store.append(&id("acc-002"), at(1), vec![new_event("b-2", 9, deposited("1.00"))]).is_err() {
            prop_assert_eq!(store.kv().entries(), before);
        }
        let _ = store.append(&id("acc-001"), at(3), vec![new_event("a-4", 9, deposited("1.00"))]);
        prop_assert_eq!(store.kv().get(key).unwrap(), Some(value));
    }

    #[test]
    fn a_mutated_segment_never_panics_and_never_reads_as_sound(
        position in 0usize..200, replacement in any::<char>()
    ) {
        let store = filled(MemoryKv::new());
        let original = store.kv().get("ledger/v2/seg/acc-001/0").unwrap().unwrap();
        let mut chars: Vec<char> = original.chars().collect();
        let position = position % chars.len();
        prop_assume!(chars[position] != replacement);
        chars[position] = replacement;
        let mutated: String = chars.into_iter().collect();
        let mut store = store;
        damage(&mut store, "ledger/v2/seg/acc-001/0", &mutated);
        prop_assert!(store.read(&id("acc-001"), Version::EMPTY).is_err());
    }
}

proptest! {
    /// Format 1 records, changed anywhere, never panic the upcaster, and one
    /// that still reads is the version its key says.
    #[test]
    fn a_mutated_format_1_record_never_panics(position in 0usize..300, replacement in any::<char>(), version in 1u64..4) {
        let envelope = bank_ledger::Envelope {
            version: Version::new(2),
            sequence: bank_ledger::Sequence(7),
            recorded_at: bank_ledger::Timestamp(1_700_000_000_000),
            event_id: bank_ledger::EventId::parse("f1d3b633-ebe9-446a-ae42-02570d4df985").unwrap(),
            command_id: Some(bank_ledger::CommandId::parse("c-1").unwrap()),
            schema: 1,
            event: opened("Zoë \"q\" \\", "12.34"),
            hash: bank_ledger::ChainHash::GENESIS,
        };
        let original = ledger_core::testing::encode_record(&envelope);
        prop_assert_eq!(decode_record("k", Version::new(2), &original), Ok(envelope));
        let mut chars: Vec<char> = original.chars().collect();
        let position = position % chars.len();
        chars[position] = replacement;
        let mutated: String = chars.into_iter().collect();
        if let Ok(read) = decode_record("k", Version::new(version), &mutated) {
            prop_assert_eq!(read.version, Version::new(version));
        }
    }
}

/// A map without a stated quota that refuses its next write for room, as a
/// browser does: at its real quota, or (Firefox, several tabs open) now and
/// then far below it.
struct RefusesOnce {
    inner: MemoryKv,
    refuse: bool,
}

impl KeyValue for RefusesOnce {
    fn get(&self, key: &str) -> Result<Option<String>, bank_ledger::KvError> {
        self.inner.get(key)
    }
    fn set(&mut self, key: &str, value: &str) -> Result<(), bank_ledger::KvError> {
        if std::mem::take(&mut self.refuse) {
            return Err(bank_ledger::KvError::QuotaExceeded);
        }
        self.inner.set(key, value)
    }
    fn remove(&mut self, key: &str) -> Result<(), bank_ledger::KvError> {
        self.inner.remove(key)
    }
    fn keys(&self) -> Result<Vec<String>, bank_ledger::KvError> {
        self.inner.keys()
    }
}

#[test]
fn a_write_refused_for_room_far_below_the_quota_is_not_taken_as_the_quota() {
    const BROWSER_QUOTA: usize = 5 * 1024 * 1024;
    let ledger = |kv: MemoryKv| {
        let store = KvStore::new(RefusesOnce { inner: kv, refuse: true }, "ledger");
        Ledger::new(store, ManualClock::new(0), CountingIds::new("t"))
    };
    // Far below: the quota stays what browsers give, and a retry is worth it.
    let mut far = ledger(MemoryKv::new());
    let store = far.store_mut();
    assert_eq!(store.append(&id("a"), at(0), vec![new_event("a-1", 1, opened("A", "1.00"))]), Err(StoreError::Full));
    assert_eq!(store.usage().unwrap().quota_units, BROWSER_QUOTA);
    assert!(far.far_from_full());
    far.store_mut().append(&id("a"), at(0), vec![new_event("a-1", 1, opened("A", "1.00"))]).unwrap();
    // At more than half of it, a refusal is the real quota.
    let mut big = MemoryKv::new();
    big.set("filler", &"x".repeat(BROWSER_QUOTA / 2 + 10)).unwrap();
    let mut near = ledger(big);
    let store = near.store_mut();
    assert_eq!(store.append(&id("a"), at(0), vec![new_event("a-1", 1, opened("A", "1.00"))]), Err(StoreError::Full));
    let usage = store.usage().unwrap();
    assert_eq!(usage.quota_units, usage.used_units);
    assert!(!near.far_from_full());
}
