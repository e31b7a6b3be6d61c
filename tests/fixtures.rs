//! Data written by a real browser in storage format 1 must read back the
//! same, whatever the code becomes.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use bank_ledger::{AccountState, CommandId, KeyValue, KvStore, Ledger, MemoryKv, Money, Version};
use ledger_core::testing::{CountingIds, ManualClock};
use support::*;

type FixtureLedger = Ledger<KvStore<MemoryKv>, ManualClock, CountingIds>;

fn format_1() -> FixtureLedger {
    let text = include_str!("fixtures/format-1-localstorage.json");
    let entries: BTreeMap<String, String> = serde_json::from_str(text).unwrap();
    let mut kv = MemoryKv::new();
    for (key, value) in &entries {
        kv.set(key, value).unwrap();
    }
    Ledger::new(KvStore::new(kv, "ledger"), ManualClock::new(0), CountingIds::new("new"))
}

fn state(account: &str, who: &str, balance: &str, version: u64) -> AccountState {
    AccountState { id: id(account), owner: owner(who), balance: money(balance), version: Version::new(version) }
}

#[test]
fn format_1_reads_back_every_account() {
    let mut ledger = format_1();
    let overview = ledger.accounts().unwrap();
    assert_eq!(overview.damaged, vec![]);
    assert_eq!(
        overview.accounts.accounts,
        vec![
            state("acc-001", "Alice", "1300.00", 3),
            state("acc-002", "Zoë <b>Ünïcode</b> 💶", "0.00", 4),
            AccountState { balance: Money::from_cents(100_000_000_010_500).unwrap(), ..state("big_one", "Max", "0", 25) },
        ]
    );
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
    // Same ids, times, sequences, command ids, events and hashes.
    let mut fresh = Ledger::new(KvStore::new(ledger.store().kv().clone(), "ledger"), ManualClock::new(0), CountingIds::new("n"));
    assert_eq!(histories(&fresh), before);
    assert_eq!(fresh.accounts().unwrap(), states);
    for account in ["acc-001", "acc-002", "big_one"] {
        assert!(fresh.verify(&id(account)).unwrap().ok);
        assert!(fresh.history(&id(account)).unwrap().iter().all(|e| e.schema == 2));
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
    let mut previous = ChainHash::GENESIS;
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
        envelope.hash = ChainHash::link(&previous, &stream, &envelope);
        previous = envelope.hash;
        kv.set(&format!("ledger/v1/event/long/{v}"), &ledger_core::testing::encode_record(&envelope)).unwrap();
        expected.push(Envelope { schema: 2, ..envelope });
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
