//! Several stores over one shared key-value map, as the tabs of an origin
//! share one localStorage: whatever order their writes come in, no account
//! becomes unreadable and no sequence number is used twice.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use bank_ledger::{
    AccountId, Command, Envelope, EventStore, ExpectedVersion, KeyValue, KvStore, Ledger, LedgerError, MemoryKv, Money, Version,
};
use ledger_core::testing::{CountingIds, ManualClock};
use proptest::prelude::*;
use support::*;

type Shared = Rc<RefCell<MemoryKv>>;

fn at(version: u64) -> ExpectedVersion {
    ExpectedVersion(Version::new(version))
}

#[test]
fn a_writer_whose_block_another_writer_passed_takes_a_new_one() {
    let shared: Shared = Rc::default();
    let mut a = KvStore::new(shared.clone(), "ledger");
    let mut b = KvStore::new(shared.clone(), "ledger");
    let acc = id("acc");
    a.append(&acc, at(0), vec![new_event("e-1", 1, opened("Ann", "10.00"))]).unwrap();
    b.append(&acc, at(1), vec![new_event("e-2", 2, deposited("1.00"))]).unwrap();
    a.append(&acc, at(2), vec![new_event("e-3", 3, deposited("1.00"))]).unwrap();
    let reader = KvStore::new(shared, "ledger");
    let sequences: Vec<u64> = reader.read(&acc, Version::EMPTY).unwrap().iter().map(|e| e.sequence.0).collect();
    assert_eq!(sequences.len(), 3);
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
}

#[test]
fn an_import_inside_another_writers_block_does_not_brick_the_stream() {
    // A device whose counter is far behind ours: its numbers fall inside
    // the block our first store has reserved.
    let mut device = ledger(Rc::default(), "dev");
    let acc = id("acc");
    device.execute(&request(&acc, &open("Ann", "10.00"))).unwrap();
    let shared: Shared = Rc::default();
    let mut a = ledger(shared.clone(), "a");
    let mut b = ledger(shared.clone(), "b");
    a.execute(&request(&id("mine"), &open("Me", "1.00"))).unwrap();
    b.import(&device.export().unwrap(), None).unwrap();
    device.execute(&request(&acc, &deposit("1.00"))).unwrap();
    b.import(&device.export().unwrap(), None).unwrap();
    a.execute(&request(&acc, &deposit("2.00"))).unwrap();
    a.execute(&request(&id("mine"), &deposit("2.00"))).unwrap();
    let all = every_event(&shared);
    let sequences: Vec<u64> = all.iter().filter(|(s, _)| s.as_str() == "acc").map(|(_, e)| e.sequence.0).collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    assert_eq!(
        Ledger::new(KvStore::new(shared, "ledger"), clock(), CountingIds::new("r")).account(&acc).unwrap().unwrap().balance,
        money("13.00")
    );
}

fn clock() -> ManualClock {
    ManualClock::new(1_700_000_000_000)
}

type TestLedger = Ledger<KvStore<Shared>, ManualClock, CountingIds>;

fn ledger(kv: Shared, ids: &str) -> TestLedger {
    Ledger::new(KvStore::new(kv, "ledger"), clock(), CountingIds::new(ids)).with_snapshot_every(5)
}

/// Every stored event, read by a store that has seen nothing before, with
/// its stream; fails on any damage.
fn every_event(shared: &Shared) -> Vec<(AccountId, Envelope)> {
    let reader = KvStore::new(shared.clone(), "ledger");
    let list = reader.streams().unwrap();
    assert_eq!(list.damaged, vec![], "nothing is damaged");
    let mut out = Vec::new();
    for stream in list.ids {
        let events = reader.read(&stream, Version::EMPTY).unwrap_or_else(|e| panic!("{stream} can't be read: {e}"));
        out.extend(events.into_iter().map(|e| (stream.clone(), e)));
    }
    out
}

#[derive(Clone, Debug)]
enum Step {
    /// Writer `writer` runs a command on account `account`.
    Command { writer: usize, account: usize, kind: u8, cents: u64 },
    /// Writer `writer` is replaced by a new one over the same map, as when a
    /// tab reloads: nothing it remembered survives.
    Reload { writer: usize },
    /// The other device records an event, and writer `writer` imports its export.
    Import { writer: usize, account: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0usize..4, 0usize..3, 0u8..3, 1u64..5_000).prop_map(|(writer, account, kind, cents)| Step::Command { writer, account, kind, cents }),
        1 => (0usize..4).prop_map(|writer| Step::Reload { writer }),
        1 => (0usize..4, 0usize..2).prop_map(|(writer, account)| Step::Import { writer, account }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// 2 to 4 ledgers over one map (snapshots every 5 events), commands,
    /// reloads and imports from another device in any order: after every
    /// step every stream reads back whole, sequences rise within each
    /// stream and are never used twice by this map's own writers, and every
    /// balance is what the accepted commands made it.
    #[test]
    fn interleaved_writers_never_damage_a_stream(writers in 2usize..=4, start in 0u64..200, steps in proptest::collection::vec(step(), 150..250)) {
        let shared: Shared = Rc::default();
        let mut generation = 0;
        let mut fresh = |n: usize| { generation += 1; ledger(shared.clone(), &format!("w{n}g{generation}")) };
        let mut ledgers: Vec<TestLedger> = (0..writers).map(&mut fresh).collect();
        // The other device: its own map, its counter started elsewhere.
        let device_kv: Shared = Rc::default();
        device_kv.borrow_mut().set("ledger/v2/sequence", &start.to_string()).unwrap();
        let mut device = ledger(device_kv, "dev");
        let mut expected: BTreeMap<AccountId, Money> = BTreeMap::new();
        let mut imported: BTreeSet<String> = BTreeSet::new();
        for step in steps {
            match step {
                Step::Command { writer, account, kind, cents } => {
                    let acc = id(&format!("acc-{account}"));
                    let amount = Money::from_cents(cents).unwrap();
                    let command = match kind {
                        0 => Command::open(owner("Ann"), amount),
                        1 => Command::deposit(amount),
                        _ => Command::withdraw(amount),
                    };
                    let before = expected.get(&acc).copied();
                    match ledgers[writer % writers].execute(&request(&acc, &command)) {
                        Ok(state) => {
                            let after = match (&command, before) {
                                (Command::OpenAccount { .. }, None) => amount,
                                (Command::Deposit { .. }, Some(b)) => b.checked_add(amount).unwrap(),
                                (Command::Withdraw { .. }, Some(b)) => b.checked_sub(amount).unwrap(),
                                _ => panic!("{command:?} was accepted on {acc} at {before:?}"),
                            };
                            prop_assert_eq!(state.balance, after);
                            expected.insert(acc, after);
                        }
                        Err(LedgerError::Domain(_)) => {}
                        Err(error) => panic!("{command:?} on {acc} failed: {error}"),
                    }
                }
                Step::Reload { writer } => ledgers[writer % writers] = fresh(writer),
                Step::Import { writer, account } => {
                    let acc = id(&format!("dev-{account}"));
                    let command = if device.account(&acc).unwrap().is_none() { open("Dev", "5.00") } else { deposit("1.00") };
                    device.execute(&request(&acc, &command)).unwrap();
                    ledgers[writer % writers].import(&device.export().unwrap(), None).unwrap();
                    for (_, e) in every_event(&shared) {
                        if e.event_id.as_str().starts_with("dev-") {
                            imported.insert(e.event_id.as_str().to_owned());
                        }
                    }
                    expected.insert(acc.clone(), device.account(&acc).unwrap().unwrap().balance);
                }
            }
            let all = every_event(&shared);
            let mut ours: Vec<u64> = Vec::new();
            for pair in all.windows(2) {
                if pair[0].0 == pair[1].0 {
                    prop_assert!(pair[0].1.sequence < pair[1].1.sequence, "sequences rise in {}", pair[0].0);
                }
            }
            for (_, e) in &all {
                if !imported.contains(e.event_id.as_str()) {
                    ours.push(e.sequence.0);
                }
            }
            let count = ours.len();
            ours.sort_unstable();
            ours.dedup();
            prop_assert_eq!(ours.len(), count, "a sequence number was used twice");
            let mut reader = Ledger::new(KvStore::new(shared.clone(), "ledger"), clock(), CountingIds::new("r"));
            let overview = reader.accounts().unwrap();
            prop_assert_eq!(overview.damaged, vec![]);
            let balances: BTreeMap<AccountId, Money> = overview.accounts.accounts.into_iter().map(|s| (s.id, s.balance)).collect();
            prop_assert_eq!(&balances, &expected);
        }
    }
}
