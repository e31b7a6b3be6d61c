//! Snapshots are only a shortcut: one whose payload was edited (with its
//! checksum recomputed, so it still reads) is never reported as verified and
//! never decides a command that is then stored; it is reported as damage and
//! replaced, and the events stay byte-identical.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use bank_ledger::{CommandId, DomainError, KeyValue, KvStore, Ledger, LedgerError, MemoryKv, Snapshot, Version};
use ledger_core::testing::{CountingIds, ManualClock};
use support::*;

type Shared = Rc<RefCell<MemoryKv>>;
type TestLedger = Ledger<KvStore<Shared>, ManualClock, CountingIds>;

const SNAP: &str = "ledger/v2/snap/acc";

fn ledger(kv: &Shared) -> TestLedger {
    Ledger::new(KvStore::new(kv.clone(), "ledger"), ManualClock::new(1_700_000_000_000), CountingIds::new("e"))
        .with_snapshot_every(4)
}

/// Account `acc` with 6 events, balance 13.00, a snapshot at version 4.
fn filled() -> Shared {
    let kv = Shared::default();
    let mut l = ledger(&kv);
    let acc = id("acc");
    l.execute(&request(&acc, &open("Ann", "10.00"))).unwrap();
    l.execute(&request_once(&acc, &deposit("1.00"), Some(&CommandId::parse("c-2").unwrap()))).unwrap();
    l.execute(&request(&acc, &deposit("1.00"))).unwrap();
    l.execute(&request(&acc, &deposit("1.00"))).unwrap();
    l.execute(&request(&acc, &deposit("1.00"))).unwrap();
    l.execute(&request(&acc, &withdraw("1.00"))).unwrap();
    assert!(kv.borrow().get(SNAP).unwrap().is_some());
    kv
}

/// Rewrites the snapshot's payload with `edit`, recomputing its checksum.
fn forge(kv: &Shared, edit: impl Fn(&str) -> String) -> String {
    let text = kv.borrow().get(SNAP).unwrap().unwrap();
    let mut snapshot = Snapshot::decode(&text).unwrap();
    let edited = edit(&snapshot.payload);
    assert_ne!(edited, snapshot.payload);
    snapshot.payload = edited;
    kv.borrow_mut().set(SNAP, &snapshot.encode()).unwrap();
    text
}

fn segments(kv: &Shared) -> Vec<(String, String)> {
    kv.borrow().entries().into_iter().filter(|(k, _)| k.contains("/seg/")).collect()
}

fn richer(payload: &str) -> String {
    // The payload's second line is the balance in cents.
    let mut lines: Vec<&str> = payload.lines().collect();
    lines[1] = "1000000";
    lines.join("\n")
}

#[test]
fn a_forged_balance_never_decides_a_stored_command() {
    let kv = filled();
    let honest = forge(&kv, richer);
    let events = segments(&kv);
    let mut l = ledger(&kv);
    let acc = id("acc");
    let refused = l.execute(&request(&acc, &withdraw("5000.00")));
    assert_eq!(
        refused,
        Err(LedgerError::Domain(DomainError::InsufficientFunds { balance: money("13.00"), requested: money("5000.00") }))
    );
    assert_eq!(segments(&kv), events, "the events are byte-identical");
    // The snapshot is replaced by one made from the events (at the current
    // version, so not the same text as the honest one at version 4).
    let replaced = Snapshot::decode(&kv.borrow().get(SNAP).unwrap().unwrap()).unwrap();
    let honest = Snapshot::decode(&honest).unwrap();
    assert_eq!((replaced.version, replaced.payload.lines().nth(1)), (Version::new(6), honest.payload.lines().nth(1)));
    let verified = l.verify(&acc).unwrap();
    assert!(verified.ok && verified.bad_snapshot.is_none(), "{verified:?}");
    let damaged = l.accounts().unwrap().damaged;
    assert_eq!(damaged.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), [SNAP], "{damaged:?}");
    assert!(damaged[0].reason.contains("replaced"), "{damaged:?}");
    assert_eq!(l.account(&acc).unwrap().unwrap().balance, money("13.00"));
    // A fresh load finds nothing wrong.
    assert_eq!(ledger(&kv).accounts().unwrap().damaged, vec![]);
}

#[test]
fn verify_compares_the_snapshot_with_the_replayed_events() {
    let kv = filled();
    let l = ledger(&kv);
    let sound = l.verify(&id("acc")).unwrap();
    assert!(sound.ok && sound.bad_snapshot.is_none(), "{sound:?}");
    forge(&kv, richer);
    let found = ledger(&kv).verify(&id("acc")).unwrap();
    assert!(!found.ok, "{found:?}");
    assert_eq!(found.bad_snapshot, Some(Version::new(4)));
    assert_eq!(found.first_bad_version, None, "the events themselves are sound");
    assert_eq!(found.checked, 6);
}

#[test]
fn forged_command_ids_in_a_snapshot_answer_nothing() {
    let kv = filled();
    // Claim that command "ghost" made version 4, and drop the real "c-2".
    forge(&kv, |payload| {
        let lines: Vec<&str> = payload.lines().filter(|l| !l.starts_with("c-2 ")).collect();
        format!("{}\nghost 4", lines.join("\n"))
    });
    let mut l = ledger(&kv);
    let acc = id("acc");
    let ghost = CommandId::parse("ghost").unwrap();
    assert_eq!(
        l.execute(&request_once(&acc, &deposit("1.00"), Some(&ghost))).unwrap().version,
        Version::new(7),
        "done, not skipped"
    );
    let again = l.execute(&request_once(&acc, &deposit("1.00"), Some(&CommandId::parse("c-2").unwrap()))).unwrap();
    assert_eq!(again.version, Version::new(2), "c-2 is still known as done");
}

#[test]
fn a_snapshot_never_hides_an_edit_that_skipped_the_chain() {
    // The opening balance raised from 10.00 to 20.00 with the segment's
    // checksum recomputed (but not the chain), and the snapshot forged to
    // agree: the fold behind it matches, only the chain tells.
    let kv = filled();
    let key = "ledger/v2/seg/acc/0";
    let text = kv.borrow().get(key).unwrap().unwrap();
    let segment = ledger_core::testing::segment::Segment::parse(&text).unwrap();
    let body = segment.body.replacen(",1000,Ann\n", ",2000,Ann\n", 1);
    assert_ne!(body, segment.body);
    kv.borrow_mut().set(key, &ledger_core::testing::segment::encode_segment(&segment.end, &body)).unwrap();
    forge(&kv, |payload| payload.replacen("\n1300\n", "\n2300\n", 1));
    let before = kv.borrow().entries();
    let mut l = ledger(&kv);
    let outcome = l.execute(&request(&id("acc"), &withdraw("20.00")));
    assert!(matches!(outcome, Err(LedgerError::Store(bank_ledger::StoreError::Corrupt { .. }))), "{outcome:?}");
    assert_eq!(kv.borrow().entries(), before, "nothing written");
}

#[test]
fn vouching_in_idle_time_finds_a_forged_snapshot_before_any_command() {
    let kv = filled();
    let mut sound = ledger(&kv);
    sound.accounts().unwrap();
    assert_eq!(sound.vouch_one(), Some((id("acc"), false)), "a sound snapshot: nothing found");
    forge(&kv, richer);
    let mut l = ledger(&kv);
    // A load from the snapshot shows what it says, until it is vouched for.
    assert_eq!(l.accounts().unwrap().accounts.accounts[0].balance, money("10000.00"));
    assert_eq!(l.vouch_one(), Some((id("acc"), true)));
    assert_eq!(l.vouch_one(), None, "every cached account is vouched for");
    let overview = l.accounts().unwrap();
    assert_eq!(overview.accounts.accounts[0].balance, money("13.00"));
    assert_eq!(overview.damaged.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), [SNAP]);
}

#[test]
fn damage_found_behind_a_snapshot_keeps_the_account_damaged() {
    // 70 events: segment 0 is full and wholly behind the snapshot at 68, so
    // a load checks only its checksum. Its opening balance is raised with
    // the checksum recomputed, and the snapshot forged to agree.
    let kv = Shared::default();
    let mut l = ledger(&kv);
    l.execute(&request(&id("acc"), &open("Ann", "10.00"))).unwrap();
    for _ in 1..70 {
        l.execute(&request(&id("acc"), &deposit("1.00"))).unwrap();
    }
    let key = "ledger/v2/seg/acc/0";
    let text = kv.borrow().get(key).unwrap().unwrap();
    let segment = ledger_core::testing::segment::Segment::parse(&text).unwrap();
    let body = segment.body.replacen(",1000,Ann\n", ",2000,Ann\n", 1);
    kv.borrow_mut().set(key, &ledger_core::testing::segment::encode_segment(&segment.end, &body)).unwrap();
    forge(&kv, |payload| payload.replacen("\n7700\n", "\n8700\n", 1));
    let mut l = ledger(&kv);
    assert_eq!(l.accounts().unwrap().damaged, vec![], "the load from the snapshot sees nothing wrong");
    assert_eq!(l.vouch_one(), Some((id("acc"), true)));
    let overview = l.accounts().unwrap();
    assert!(overview.accounts.accounts.is_empty(), "{overview:?}");
    assert_eq!(overview.damaged.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), [key]);
    assert_eq!(l.vouch_one(), None);
}
