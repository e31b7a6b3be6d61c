//! Data written by a real browser in storage formats 1 and 2 must read back
//! the same, whatever the code becomes.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use bank_ledger::{AccountState, CommandId, KeyValue, KvStore, Ledger, MemoryKv, Money, Version};
use ledger_core::testing::{CountingIds, ManualClock};
use support::*;

type FixtureLedger = Ledger<KvStore<MemoryKv>, ManualClock, CountingIds>;

/// A map holding a fixture's localStorage (a JSON object of keys and values).
fn kv_of(fixture: &str) -> MemoryKv {
    let entries: BTreeMap<String, String> = serde_json::from_str(fixture).unwrap();
    let mut kv = MemoryKv::new();
    for (key, value) in &entries {
        kv.set(key, value).unwrap();
    }
    kv
}

fn ledger_over(kv: MemoryKv) -> FixtureLedger {
    Ledger::new(KvStore::new(kv, "ledger"), ManualClock::new(0), CountingIds::new("new"))
}

fn format_1() -> FixtureLedger {
    ledger_over(kv_of(include_str!("fixtures/format-1-localstorage.json")))
}

fn state(account: &str, who: &str, balance: &str, version: u64) -> AccountState {
    AccountState { id: id(account), owner: owner(who), balance: money(balance), version: Version::new(version) }
}

/// The accounts both fixtures' command series made first.
fn first_accounts() -> Vec<AccountState> {
    vec![
        state("acc-001", "Alice", "1300.00", 3),
        state("acc-002", "Zoë <b>Ünïcode</b> 💶", "0.00", 4),
        AccountState { balance: Money::from_cents(100_000_000_010_500).unwrap(), ..state("big_one", "Max", "0", 25) },
    ]
}

#[test]
fn format_1_reads_back_every_account() {
    let mut ledger = format_1();
    let overview = ledger.accounts().unwrap();
    assert_eq!(overview.damaged, vec![]);
    assert_eq!(overview.accounts.accounts, first_accounts());
}

#[test]
fn format_1_histories_are_whole_and_their_chains_sound() {
    let ledger = format_1();
    let mut event_ids = BTreeSet::new();
    let mut sequences = BTreeSet::new();
    for (account, events) in [("acc-001", 3), ("acc-002", 4), ("big_one", 25)] {
        let report = ledger.verify(&id(account)).unwrap();
        assert_eq!((report.ok, report.checked), (true, events), "{account}");
        for envelope in ledger.history(&id(account)).unwrap() {
            assert!(event_ids.insert(envelope.event_id.clone()));
            assert!(sequences.insert(envelope.sequence));
            assert_eq!(envelope.schema, 1);
        }
    }
    assert_eq!(sequences.len(), 32);
    let acc_002: Vec<Option<String>> =
        ledger.history(&id("acc-002")).unwrap().into_iter().map(|e| e.command_id.map(String::from)).collect();
    assert_eq!(acc_002, [Some("open-2".into()), Some("click-1".into()), Some("click-2".into()), None]);
    assert_eq!(
        ledger.events(&id("acc-001")).unwrap(),
        vec![opened("Alice", "1000.00"), deposited("500.00"), withdrawn("200.00")]
    );
}

#[test]
fn format_1_command_ids_still_make_a_resend_harmless() {
    let mut ledger = format_1();
    let click = CommandId::parse("click-1").unwrap();
    let again = ledger.execute(&request_once(&id("acc-002"), &deposit("0.10"), Some(&click))).unwrap();
    assert_eq!(again.version, Version::new(2));
    assert_eq!(ledger.history(&id("acc-002")).unwrap().len(), 4);
    // And the stream takes new events after the old ones.
    assert_eq!(ledger.execute(&request(&id("acc-001"), &deposit("1.00"))).unwrap().version, Version::new(4));
    assert!(ledger.verify(&id("acc-001")).unwrap().ok);
}

/// Every account's history, with the schema each record was stored with
/// set aside (it is what a migration changes).
fn histories(ledger: &FixtureLedger) -> Vec<Vec<bank_ledger::Envelope>> {
    ["acc-001", "acc-002", "big_one"]
        .iter()
        .map(|a| ledger.history(&id(a)).unwrap().into_iter().map(|e| bank_ledger::Envelope { schema: 0, ..e }).collect())
        .collect()
}

fn keys_of(ledger: &FixtureLedger) -> Vec<String> {
    ledger.store().kv().entries().into_iter().map(|(k, _)| k).collect()
}

#[test]
fn an_explicit_migration_rewrites_format_1_and_loses_nothing() {
    let mut ledger = format_1();
    let before = histories(&ledger);
    let states = ledger.accounts().unwrap();
    let report = ledger.store_mut().migrate().unwrap();
    assert_eq!((report.streams, report.events), (3, 32));
    assert_eq!(
        keys_of(&ledger),
        ["ledger/v2/seg/acc-001/0", "ledger/v2/seg/acc-002/0", "ledger/v2/seg/big_one/0", "ledger/v2/sequence"]
    );
    assert_eq!(ledger.store().kv().get("ledger/v2/sequence").unwrap().as_deref(), Some("32"));
    // Same ids, times, sequences, command ids, events and (v2) hashes.
    let mut fresh = Ledger::new(KvStore::new(ledger.store().kv().clone(), "ledger"), ManualClock::new(0), CountingIds::new("n"));
    assert_eq!(histories(&fresh), before);
    assert_eq!(fresh.accounts().unwrap(), states);
    for account in ["acc-001", "acc-002", "big_one"] {
        assert!(fresh.verify(&id(account)).unwrap().ok);
        // Format 1 records are written anew: in this build's format.
        assert!(fresh.history(&id(account)).unwrap().iter().all(|e| e.schema == bank_ledger::SCHEMA_VERSION));
    }
    // The global order goes on after the old counter.
    fresh.execute(&request(&id("acc-001"), &deposit("1.00"))).unwrap();
    assert_eq!(fresh.history(&id("acc-001")).unwrap()[3].sequence.0, 33);
    // A second run finds nothing to do.
    assert_eq!(fresh.store_mut().migrate().unwrap().events, 0);
    // The rewrite is much smaller.
    let old: usize = format_1().store().kv().units_used();
    assert!(ledger.store().kv().units_used() * 4 < old, "{} vs {old}", ledger.store().kv().units_used());
}

#[test]
fn the_first_write_to_a_stream_migrates_that_stream() {
    let mut ledger = format_1();
    let before = histories(&ledger);
    ledger.execute(&request(&id("acc-002"), &deposit("2.00"))).unwrap();
    let keys = keys_of(&ledger);
    assert!(keys.contains(&"ledger/v2/seg/acc-002/0".to_owned()));
    assert!(!keys.iter().any(|k| k.starts_with("ledger/v1/event/acc-002/")));
    assert!(keys.contains(&"ledger/v1/event/acc-001/1".to_owned()), "other streams wait");
    let after = histories(&ledger);
    assert_eq!(after[0], before[0]);
    assert_eq!(after[1][..4], before[1][..]);
    assert_eq!(after[1][4].sequence.0, 33);
    assert_eq!(after[2], before[2]);
}

#[test]
fn an_interrupted_migration_goes_on_where_it_stopped() {
    use bank_ledger::{ChainHash, Envelope, EventId, EventStore, Sequence, Timestamp};
    use ledger_core::testing::FailingKv;
    // A format 1 stream of 150 events: three segments' worth.
    let mut kv = MemoryKv::new();
    let stream = id("long");
    let (mut previous, mut previous_v2) = (ChainHash::GENESIS, ChainHash::GENESIS);
    let mut expected = Vec::new();
    for v in 1..=150u64 {
        let event = if v == 1 { opened("Ann", "0.00") } else { deposited("0.01") };
        let mut envelope = Envelope {
            version: Version::new(v),
            sequence: Sequence(v),
            recorded_at: Timestamp(1_700_000_000_000 + v),
            event_id: EventId::parse(&format!("e-{v}")).unwrap(),
            command_id: (v % 7 == 0).then(|| CommandId::parse(&format!("c-{v}")).unwrap()),
            schema: 1,
            event,
            hash: ChainHash::GENESIS,
        };
        // Format 1 stored hash v1; a reader gives hash v2.
        envelope.hash = ChainHash::link_v1(&previous, &stream, &envelope);
        previous = envelope.hash;
        kv.set(&format!("ledger/v1/event/long/{v}"), &ledger_core::testing::encode_record(&envelope)).unwrap();
        envelope.hash = ChainHash::link(&previous_v2, &stream, &envelope);
        previous_v2 = envelope.hash;
        expected.push(Envelope { schema: bank_ledger::SCHEMA_VERSION, ..envelope });
    }
    kv.set("ledger/v1/sequence", "150").unwrap();
    // Interrupted after two writes (two segments), then after none, then
    // run to the end.
    for writes in [2, 0] {
        let mut failing = KvStore::new(FailingKv { inner: kv.clone(), writes_left: writes }, "ledger");
        assert!(failing.migrate().is_err());
        kv = failing.kv().inner.clone();
        assert_eq!(KvStore::new(kv.clone(), "ledger").read(&stream, Version::EMPTY).unwrap(), {
            let mut mixed = expected.clone();
            for e in mixed.iter_mut().skip(128) {
                e.schema = 1;
            }
            mixed
        });
    }
    let mut store = KvStore::new(kv, "ledger");
    assert_eq!(store.migrate().unwrap().events, 22);
    assert_eq!(store.read(&stream, Version::EMPTY).unwrap(), expected);
    let keys: Vec<String> = store.kv().entries().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["ledger/v2/seg/long/0", "ledger/v2/seg/long/1", "ledger/v2/seg/long/2", "ledger/v2/sequence"]);
}

// Format 2: segments, and a snapshot, with hash v1 (before hash v2).

const FORMAT_2_ACCOUNTS: [&str; 4] = ["acc-001", "acc-002", "big_one", "long"];

fn format_2_kv() -> MemoryKv {
    kv_of(include_str!("fixtures/format-2-localstorage.json"))
}

/// Every account's history with the schema set aside.
fn format_2_histories(ledger: &FixtureLedger) -> Vec<Vec<bank_ledger::Envelope>> {
    FORMAT_2_ACCOUNTS
        .iter()
        .map(|a| ledger.history(&id(a)).unwrap().into_iter().map(|e| bank_ledger::Envelope { schema: 0, ..e }).collect())
        .collect()
}

/// The first character of this build's segment format.
fn current_format() -> char {
    bank_ledger::SCHEMA.segment_format.to_string().chars().next().unwrap()
}

fn segment_formats(kv: &MemoryKv) -> Vec<(String, char)> {
    let entries = kv.entries().into_iter().filter(|(k, _)| k.contains("/seg/") || k.contains("/snap/"));
    entries.map(|(k, v)| (k, v.chars().next().unwrap())).collect()
}

#[test]
fn format_2_reads_back_every_account_checked_against_its_old_hashes() {
    let mut ledger = ledger_over(format_2_kv());
    let overview = ledger.accounts().unwrap();
    assert_eq!(overview.damaged, vec![]);
    // 239 deposits and 60 withdrawals of a cent.
    let expected: Vec<AccountState> = first_accounts().into_iter().chain([state("long", "Lee", "1.79", 300)]).collect();
    assert_eq!(overview.accounts.accounts, expected);
    let mut event_ids = BTreeSet::new();
    for (account, events) in FORMAT_2_ACCOUNTS.iter().zip([3, 4, 25, 300]) {
        assert_eq!(ledger.verify(&id(account)).unwrap().checked, events, "{account}");
        let history = ledger.history(&id(account)).unwrap();
        assert!(history.iter().all(|e| e.schema == 2 && event_ids.insert(e.event_id.clone())));
        assert!(history.windows(2).all(|w| w[0].sequence < w[1].sequence));
    }
    let long = ledger.history(&id("long")).unwrap();
    let named: Vec<String> = long.iter().filter_map(|e| e.command_id.as_ref().map(|c| c.to_string())).collect();
    assert_eq!(named.len(), 42);
    assert_eq!(named.first().map(String::as_str), Some("l-7"));
    // A resend of a command it holds is still recognised: nothing new.
    let again = ledger.execute(&request_once(&id("long"), &deposit("0.01"), Some(&CommandId::parse("l-14").unwrap()))).unwrap();
    assert_eq!(again.version, Version::new(14));
    assert_eq!(ledger.history(&id("long")).unwrap().len(), 300);
}

fn fresh_hash_at(ledger: &FixtureLedger, account: &str, version: usize) -> Option<bank_ledger::ChainHash> {
    ledger.history(&id(account)).unwrap().get(version - 1).map(|e| e.hash)
}

#[test]
fn format_2_migrates_to_hash_v2_keeping_every_event() {
    let mut ledger = ledger_over(format_2_kv());
    let before = format_2_histories(&ledger);
    let states = ledger.accounts().unwrap();
    let report = ledger.store_mut().migrate().unwrap();
    assert_eq!((report.streams, report.events), (4, 332));
    let formats = segment_formats(ledger.store().kv());
    assert_eq!(formats.len(), 4 + 4 + 1, "the same keys: 8 segments and the snapshot");
    // A store alone (no ledger to write a new one) carries the snapshot
    // over: it is handed out again, at version 256, with its hash in v2.
    use bank_ledger::EventStore;
    let mut store = KvStore::new(format_2_kv(), "ledger");
    assert_eq!(store.snapshot(&id("long")).unwrap(), None, "a format 2 snapshot is none before");
    store.migrate().unwrap();
    let snapshot = store.snapshot(&id("long")).unwrap().unwrap();
    assert_eq!(snapshot.version, Version::new(256));
    assert_eq!(Some(snapshot.head), fresh_hash_at(&ledger, "long", 256));
    assert!(formats.iter().all(|(_, format)| *format == '3'), "{formats:?}");
    // The same ids, times, sequences, command ids and events, and the same
    // hashes (v2, which the old data was read with too).
    let mut fresh = ledger_over(ledger.store().kv().clone());
    assert_eq!(format_2_histories(&fresh), before);
    assert_eq!(fresh.accounts().unwrap(), states);
    for account in FORMAT_2_ACCOUNTS {
        assert!(fresh.verify(&id(account)).unwrap().ok);
        assert!(fresh.history(&id(account)).unwrap().iter().all(|e| e.schema == 3));
    }
    // Nothing left to do; new events go on from the old ones.
    assert_eq!(fresh.store_mut().migrate().unwrap(), bank_ledger::Migration::default());
    fresh.execute(&request(&id("long"), &deposit("1.00"))).unwrap();
    assert!(fresh.verify(&id("long")).unwrap().ok);
}

#[test]
fn the_first_write_to_a_format_2_stream_rewrites_that_stream() {
    let mut ledger = ledger_over(format_2_kv());
    let before = format_2_histories(&ledger);
    ledger.execute(&request(&id("long"), &deposit("2.00"))).unwrap();
    let formats: BTreeMap<String, char> = segment_formats(ledger.store().kv()).into_iter().collect();
    // Format 2's lines keep their layout under schema 1's format; the last
    // segment, which took the new event, is written in this build's.
    for index in 0..4 {
        assert_eq!(formats[&format!("ledger/v2/seg/long/{index}")], '3');
    }
    assert_eq!(formats["ledger/v2/seg/long/4"], current_format());
    assert_eq!(formats["ledger/v2/seg/acc-001/0"], '2', "other streams wait");
    let after = format_2_histories(&ledger);
    assert_eq!(after[3][..300], before[3][..]);
    assert_eq!(after[3].len(), 301);
    assert_eq!(after[..3], before[..3]);
}

#[test]
fn an_interrupted_rewrite_leaves_every_stream_readable_and_goes_on() {
    use ledger_core::testing::FailingKv;
    let before = format_2_histories(&ledger_over(format_2_kv()));
    // The streams go in order, one write each but for `long`, the last,
    // which takes six (its snapshot, then segments 4 to 0): fail after each
    // number of writes, then finish.
    for writes in 0..9 {
        let mut failing = KvStore::new(FailingKv { inner: format_2_kv(), writes_left: writes }, "ledger");
        let result = failing.migrate();
        assert!(result.is_err(), "{writes} writes are not enough");
        let kv = failing.kv().inner.clone();
        let reader = ledger_over(kv.clone());
        assert_eq!(format_2_histories(&reader), before, "after {writes} writes ({result:?})");
        for account in FORMAT_2_ACCOUNTS {
            assert!(reader.verify(&id(account)).unwrap().ok, "{account} after {writes} writes");
        }
        let mut finisher = ledger_over(kv);
        finisher.store_mut().migrate().unwrap();
        assert!(segment_formats(finisher.store().kv()).iter().all(|(_, format)| *format == '3'));
        assert_eq!(format_2_histories(&finisher), before);
    }
}

#[test]
fn a_format_2_segment_changed_behind_the_apps_back_is_damage_and_stays() {
    use bank_ledger::{EventStore, StoreError};
    let mut kv = format_2_kv();
    // An amount changed and the checksum recomputed: only the chain can tell.
    let key = "ledger/v2/seg/long/2";
    let text = kv.get(key).unwrap().unwrap();
    let (_, covered) = text.split_once(' ').unwrap();
    let (_, rest) = covered.split_once(' ').unwrap();
    let forged_rest = rest.replacen(",1\n", ",2\n", 1);
    assert_ne!(forged_rest, rest);
    let forged = format!("2 {:016x} {forged_rest}", bank_ledger::checksum(&forged_rest));
    kv.set(key, &forged).unwrap();
    let mut ledger = ledger_over(kv);
    let read = ledger.store().read(&id("long"), Version::EMPTY);
    assert!(matches!(&read, Err(StoreError::Corrupt { key: k, .. }) if k == key), "{read:?}");
    ledger.store_mut().migrate().unwrap();
    assert_eq!(ledger.store().kv().get(key).unwrap().as_deref(), Some(forged.as_str()), "left as it is");
    assert!(ledger.verify(&id("acc-001")).unwrap().ok, "the other streams migrate");
}
