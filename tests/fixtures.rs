//! Data written by a real browser in storage format 1 must read back the
//! same, whatever the code becomes.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use bank_ledger::clock::{CountingIds, ManualClock};
use bank_ledger::domain::{AccountState, Money, Version};
use bank_ledger::ledger::Ledger;
use bank_ledger::store::{CommandId, KeyValue, KvStore, MemoryKv};
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
            AccountState {
                balance: Money::from_cents(100_000_000_010_500).unwrap(),
                ..state("big_one", "Max", "0", 25)
            },
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
    let again = ledger.execute_once(&id("acc-002"), &deposit("0.10"), Some(&click)).unwrap();
    assert_eq!(again.version, Version::new(2));
    assert_eq!(ledger.history(&id("acc-002")).unwrap().len(), 4);
    // And the stream takes new events after the old ones.
    assert_eq!(ledger.execute(&id("acc-001"), &deposit("1.00")).unwrap().version, Version::new(4));
    assert!(ledger.verify(&id("acc-001")).unwrap().ok);
}
