//! The application service: the walkthrough, caching, retries on conflict,
//! time travel and the read model, natively over both stores.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use bank_ledger::{
    balance_timeline, state_at, AccountId, AccountState, BankAccount, Command, CommandId, DomainError, Envelope, EventStore,
    ExpectedVersion, KeyValue, KvStore, Ledger, LedgerError, MemoryKv, MemoryStore, Money, NewEvent, StoreError, StreamList, Tip,
    Version,
};
use ledger_core::testing::{CountingIds, ManualClock};
use proptest::prelude::*;
use support::*;

fn ledger<S: EventStore>(store: S) -> Ledger<S, ManualClock, CountingIds> {
    Ledger::new(store, ManualClock::new(1_700_000_000_000), CountingIds::new("ev"))
}

fn state(account: &str, who: &str, balance: &str, version: u64) -> AccountState {
    AccountState { id: id(account), owner: owner(who), balance: money(balance), version: Version::new(version) }
}

#[test]
fn the_original_walkthrough() {
    let mut ledger = ledger(KvStore::new(MemoryKv::new(), "ledger"));
    let acc = id("acc-001");
    ledger.execute(&request(&acc, &open("Alice", "1000.00"))).unwrap();
    ledger.execute(&request(&acc, &deposit("500.00"))).unwrap();
    let after = ledger.execute(&request(&acc, &withdraw("200.00"))).unwrap();
    assert_eq!(after, state("acc-001", "Alice", "1300.00", 3));
    assert_eq!(ledger.account(&acc).unwrap(), Some(after));
    assert_eq!(ledger.events(&acc).unwrap(), vec![opened("Alice", "1000.00"), deposited("500.00"), withdrawn("200.00")]);
    let history = ledger.history(&acc).unwrap();
    assert_eq!(history.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["ev-1", "ev-2", "ev-3"]);
    assert!(history.iter().all(|e| e.recorded_at.0 == 1_700_000_000_000));
}

#[test]
fn rejections_are_typed_and_store_nothing() {
    let mut ledger = ledger(MemoryStore::new());
    let acc = id("acc-001");
    assert_eq!(
        ledger.execute(&request(&acc, &deposit("1.00"))),
        Err(LedgerError::Domain(DomainError::AccountNotFound { id: acc.clone() }))
    );
    ledger.execute(&request(&acc, &open("Alice", "10.00"))).unwrap();
    let error = ledger.execute(&request(&acc, &withdraw("10.01"))).unwrap_err();
    assert_eq!(error.code(), "InsufficientFunds");
    assert_eq!(error, LedgerError::Domain(DomainError::InsufficientFunds { balance: money("10.00"), requested: money("10.01") }));
    assert_eq!(ledger.execute(&request(&acc, &open("Bob", "1.00"))).unwrap_err().code(), "AccountAlreadyExists");
    assert_eq!(ledger.events(&acc).unwrap().len(), 1);
}

#[test]
fn unknown_accounts_read_as_nothing() {
    let mut ledger = ledger(MemoryStore::new());
    assert_eq!(ledger.account(&id("nobody")).unwrap(), None);
    assert_eq!(ledger.events(&id("nobody")).unwrap(), vec![]);
    assert_eq!(ledger.account_at(&id("nobody"), Version::new(0)).unwrap(), None);
}

#[test]
fn time_travel_and_invalid_versions() {
    let mut ledger = ledger(MemoryStore::new());
    let acc = id("acc-001");
    for command in [open("Alice", "1000.00"), deposit("500.00"), withdraw("200.00")] {
        ledger.execute(&request(&acc, &command)).unwrap();
    }
    assert_eq!(ledger.account_at(&acc, Version::new(0)).unwrap(), None);
    assert_eq!(ledger.account_at(&acc, Version::new(2)).unwrap(), Some(state("acc-001", "Alice", "1500.00", 2)));
    assert_eq!(ledger.account_at(&acc, Version::new(3)).unwrap(), Some(state("acc-001", "Alice", "1300.00", 3)));
    assert_eq!(
        ledger.account_at(&acc, Version::new(4)),
        Err(LedgerError::InvalidVersion { id: acc.clone(), requested: 4, current: Version::new(3) })
    );
    assert_eq!(ledger.account_at(&id("nobody"), Version::new(1)).unwrap_err().code(), "InvalidVersion");
}

#[test]
fn the_read_model_lists_every_account_sorted_and_skips_damaged_ones() {
    let mut ledger = ledger(KvStore::new(MemoryKv::new(), "ledger"));
    for (name, who) in [("zed", "Zed"), ("acc-1", "Ann"), ("acc-2", "Ben")] {
        ledger.execute(&request(&id(name), &open(who, "5.00"))).unwrap();
    }
    ledger.execute(&request(&id("acc-2"), &deposit("1.50"))).unwrap();
    let damaged_key = "ledger/v2/seg/acc-1/0";
    ledger.store_mut().kv_mut().set(damaged_key, "garbage").unwrap();

    // A fresh ledger, as after a reload, reads every stream from storage.
    let kv = ledger.store().kv().clone();
    let mut fresh = self::ledger(KvStore::new(kv, "ledger"));
    let overview = fresh.accounts().unwrap();
    assert_eq!(overview.accounts.accounts, vec![state("acc-2", "Ben", "6.50", 2), state("zed", "Zed", "5.00", 1)]);
    assert_eq!(overview.accounts.total_cents(), 1150);
    assert_eq!(overview.damaged.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), [damaged_key]);
    assert_eq!(fresh.execute(&request(&id("acc-1"), &deposit("1.00"))).unwrap_err().code(), "StorageCorrupt");
    assert_eq!(fresh.store().kv().get(damaged_key).unwrap().as_deref(), Some("garbage"));
}

#[test]
fn a_history_that_breaks_the_rules_is_damage_not_state() {
    let mut store = KvStore::new(MemoryKv::new(), "ledger");
    let acc = id("acc-001");
    // Valid records, impossible history: a withdrawal past the balance.
    store.append(&acc, ExpectedVersion(Version::EMPTY), vec![new_event("e1", 1, opened("Alice", "1.00"))]).unwrap();
    store.append(&acc, ExpectedVersion(Version::new(1)), vec![new_event("e2", 2, withdrawn("5.00"))]).unwrap();
    let mut ledger = ledger(store);
    match ledger.account(&acc) {
        Err(LedgerError::Store(StoreError::Corrupt { key, reason })) => {
            assert_eq!(key, "ledger/v2/seg/acc-001/0");
            assert!(reason.contains("Insufficient funds"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn another_writer_is_seen_before_deciding() {
    let shared = Rc::new(RefCell::new(MemoryKv::new()));
    let mut tab_a = ledger(KvStore::new(shared.clone(), "ledger"));
    let mut tab_b = ledger(KvStore::new(shared, "ledger"));
    let acc = id("acc-001");
    tab_a.execute(&request(&acc, &open("Alice", "100.00"))).unwrap();
    tab_b.execute(&request(&acc, &withdraw("80.00"))).unwrap();
    // Tab A's cache says 100.00; it must catch up and see 20.00.
    assert_eq!(
        tab_a.execute(&request(&acc, &withdraw("30.00"))),
        Err(LedgerError::Domain(DomainError::InsufficientFunds { balance: money("20.00"), requested: money("30.00") }))
    );
    assert_eq!(tab_a.account(&acc).unwrap(), Some(state("acc-001", "Alice", "20.00", 2)));
}

#[test]
fn a_stream_removed_behind_the_cache_is_read_again() {
    let shared = Rc::new(RefCell::new(MemoryKv::new()));
    let mut ledger = ledger(KvStore::new(shared.clone(), "ledger"));
    let acc = id("acc-001");
    ledger.execute(&request(&acc, &open("Alice", "100.00"))).unwrap();
    ledger.execute(&request(&acc, &deposit("1.00"))).unwrap();
    // The user clears site data.
    *shared.borrow_mut() = MemoryKv::new();
    assert_eq!(ledger.account(&acc).unwrap(), None);
    assert_eq!(ledger.execute(&request(&acc, &deposit("1.00"))).unwrap_err().code(), "AccountNotFound");
}

/// A store where, just before the first append, another writer appends the
/// given events first: the ledger's expected version is then stale.
struct RacingStore {
    inner: MemoryStore,
    races: Vec<(AccountId, NewEvent)>,
    appends_tried: u32,
}

impl EventStore for RacingStore {
    fn read(&self, stream: &AccountId, after: Version) -> Result<Vec<Envelope>, StoreError> {
        self.inner.read(stream, after)
    }
    fn append(
        &mut self,
        stream: &AccountId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Envelope>, StoreError> {
        self.appends_tried += 1;
        if let Some((racer, event)) = self.races.pop() {
            let version = Version::new(self.inner.read(&racer, Version::EMPTY)?.len() as u64);
            self.inner.append(&racer, ExpectedVersion(version), vec![event])?;
        }
        self.inner.append(stream, expected, events)
    }
    fn streams(&self) -> Result<StreamList, StoreError> {
        self.inner.streams()
    }
    fn read_from(&self, stream: &AccountId, tip: &mut Tip, until: Option<Version>) -> Result<Vec<Envelope>, StoreError> {
        self.inner.read_from(stream, tip, until)
    }
}

#[test]
fn a_conflict_is_retried_with_the_new_state_and_decided_again() {
    let acc = id("acc-001");
    let mut inner = MemoryStore::new();
    inner.append(&acc, ExpectedVersion(Version::EMPTY), vec![new_event("o", 1, opened("Alice", "150.00"))]).unwrap();
    let racer = (acc.clone(), new_event("r", 2, withdrawn("100.00")));
    let mut ledger = ledger(RacingStore { inner, races: vec![racer], appends_tried: 0 });
    ledger.account(&acc).unwrap();
    // Decided against 150.00, conflicted, decided again against 50.00.
    assert_eq!(
        ledger.execute(&request(&acc, &withdraw("60.00"))),
        Err(LedgerError::Domain(DomainError::InsufficientFunds { balance: money("50.00"), requested: money("60.00") }))
    );
    assert_eq!(ledger.execute(&request(&acc, &withdraw("50.00"))).unwrap().balance, Money::ZERO);
    assert_eq!(ledger.store().appends_tried, 2);
}

#[test]
fn endless_conflicts_end_in_a_typed_conflict() {
    let acc = id("acc-001");
    let mut inner = MemoryStore::new();
    inner.append(&acc, ExpectedVersion(Version::EMPTY), vec![new_event("o", 1, opened("Alice", "150.00"))]).unwrap();
    let races = (0..10).map(|i| (acc.clone(), new_event(&format!("r{i}"), 2, deposited("1.00")))).collect();
    let mut ledger = ledger(RacingStore { inner, races, appends_tried: 0 });
    let error = ledger.execute(&request(&acc, &deposit("1.00"))).unwrap_err();
    assert_eq!(error.code(), "Conflict");
    assert_eq!(ledger.store().appends_tried, bank_ledger::MAX_ATTEMPTS);
}

fn cid(text: &str) -> CommandId {
    CommandId::parse(text).unwrap()
}

#[test]
fn a_command_sent_twice_with_its_id_is_done_once() {
    let shared = Rc::new(RefCell::new(MemoryKv::new()));
    let mut ledger = ledger(KvStore::new(shared.clone(), "ledger"));
    let acc = id("acc-001");
    ledger.execute(&request_once(&acc, &open("Alice", "100.00"), Some(&cid("open-1")))).unwrap();
    let first = ledger.execute(&request_once(&acc, &withdraw("30.00"), Some(&cid("click-7")))).unwrap();
    ledger.execute(&request(&acc, &deposit("1.00"))).unwrap();
    // The retry answers what the command did then, and stores nothing.
    assert_eq!(ledger.execute(&request_once(&acc, &withdraw("30.00"), Some(&cid("click-7")))).unwrap(), first);
    assert_eq!(ledger.events(&acc).unwrap().len(), 3);
    // Another ledger over the same storage (a reload, another tab) knows it too.
    let mut other = self::ledger(KvStore::new(shared, "ledger"));
    assert_eq!(other.execute(&request_once(&acc, &withdraw("30.00"), Some(&cid("click-7")))).unwrap(), first);
    assert_eq!(other.events(&acc).unwrap().len(), 3);
    assert_eq!(other.history(&acc).unwrap()[1].command_id, Some(cid("click-7")));
}

#[test]
fn a_command_id_used_for_another_command_is_refused() {
    let mut ledger = ledger(MemoryStore::new());
    let acc = id("acc-001");
    ledger.execute(&request_once(&acc, &open("Alice", "100.00"), Some(&cid("c-1")))).unwrap();
    ledger.execute(&request_once(&acc, &deposit("5.00"), Some(&cid("c-2")))).unwrap();
    let error = ledger.execute(&request_once(&acc, &deposit("6.00"), Some(&cid("c-2")))).unwrap_err();
    assert_eq!(error, LedgerError::CommandIdReused { id: acc.clone(), command_id: cid("c-2") });
    assert_eq!(error.code(), "InvalidCommand");
    assert_eq!(ledger.events(&acc).unwrap().len(), 2);
}

#[test]
fn a_rejected_command_with_an_id_can_succeed_later() {
    let mut ledger = ledger(MemoryStore::new());
    let acc = id("acc-001");
    ledger.execute(&request(&acc, &open("Alice", "10.00"))).unwrap();
    assert_eq!(ledger.execute(&request_once(&acc, &withdraw("20.00"), Some(&cid("w")))).unwrap_err().code(), "InsufficientFunds");
    ledger.execute(&request(&acc, &deposit("10.00"))).unwrap();
    assert_eq!(ledger.execute(&request_once(&acc, &withdraw("20.00"), Some(&cid("w")))).unwrap().balance, Money::ZERO);
}

type SharedKv = Rc<RefCell<MemoryKv>>;

/// The walkthrough's three events in a shared map, and the map.
fn walkthrough() -> (SharedKv, Ledger<KvStore<SharedKv>, ManualClock, CountingIds>) {
    let shared = Rc::new(RefCell::new(MemoryKv::new()));
    let mut ledger = ledger(KvStore::new(shared.clone(), "ledger"));
    for command in [open("Alice", "1000.00"), deposit("500.00"), withdraw("200.00")] {
        ledger.execute(&request(&id("acc-001"), &command)).unwrap();
    }
    (shared, ledger)
}

fn corrupt_key(result: Result<Option<AccountState>, LedgerError>) -> String {
    match result {
        Err(LedgerError::Store(StoreError::Corrupt { key, reason })) => format!("{key}: {reason}"),
        other => panic!("expected damage, got {other:?}"),
    }
}

const SEGMENT: &str = "ledger/v2/seg/acc-001/0";

#[test]
fn an_edited_event_is_caught_by_its_segments_checksum() {
    let (shared, ledger) = walkthrough();
    let edited = shared.borrow().get(SEGMENT).unwrap().unwrap().replace(",50000\n", ",500000\n");
    shared.borrow_mut().set(SEGMENT, &edited).unwrap();
    let mut fresh = self::ledger(KvStore::new(shared.clone(), "ledger"));
    let damage = corrupt_key(fresh.account(&id("acc-001")));
    assert!(damage.starts_with(SEGMENT) && damage.contains("checksum"), "{damage}");
    assert_eq!(fresh.execute(&request(&id("acc-001"), &deposit("1.00"))).unwrap_err().code(), "StorageCorrupt");
    assert_eq!(shared.borrow().get(SEGMENT).unwrap().as_deref(), Some(edited.as_str()), "left as it is");
    let report = ledger.verify(&id("acc-001")).unwrap();
    assert_eq!((report.ok, report.checked, report.first_bad_version), (false, 0, Some(Version::new(1))));
}

#[test]
fn an_edit_that_forges_its_checksum_breaks_the_chain() {
    use ledger_core::testing::segment::{encode_segment, Segment};
    let (shared, _) = walkthrough();
    let text = shared.borrow().get(SEGMENT).unwrap().unwrap();
    let segment = Segment::parse(&text).unwrap();
    let forged = encode_segment(&segment.end, &segment.body.replace(",50000\n", ",500000\n"));
    shared.borrow_mut().set(SEGMENT, &forged).unwrap();
    let mut fresh = self::ledger(KvStore::new(shared, "ledger"));
    let damage = corrupt_key(fresh.account(&id("acc-001")));
    assert!(damage.starts_with(SEGMENT) && damage.contains("hash chain"), "{damage}");
    let report = fresh.verify(&id("acc-001")).unwrap();
    assert_eq!((report.ok, report.checked, report.first_bad_version), (false, 0, Some(Version::new(1))));
}

#[test]
fn an_event_moved_to_another_account_is_detected() {
    let (shared, _) = walkthrough();
    let moved = shared.borrow().get(SEGMENT).unwrap().unwrap();
    shared.borrow_mut().set("ledger/v2/seg/acc-002/0", &moved).unwrap();
    let mut fresh = self::ledger(KvStore::new(shared, "ledger"));
    assert!(corrupt_key(fresh.account(&id("acc-002"))).contains("hash chain"));
    assert_eq!(fresh.account(&id("acc-001")).unwrap().map(|s| s.version.get()), Some(3), "the other account is fine");
}

#[test]
fn a_sound_stream_verifies() {
    let (_, ledger) = walkthrough();
    let report = ledger.verify(&id("acc-001")).unwrap();
    assert_eq!((report.ok, report.checked, report.first_bad_version), (true, 3, None));
    assert_eq!(ledger.verify(&id("nobody")).unwrap().checked, 0);
}

#[test]
fn garbage_in_a_segment_is_reported_at_its_first_version() {
    let (shared, ledger) = walkthrough();
    shared.borrow_mut().set(SEGMENT, "{").unwrap();
    let report = ledger.verify(&id("acc-001")).unwrap();
    assert_eq!((report.ok, report.checked, report.first_bad_version), (false, 0, Some(Version::new(1))));
}

#[derive(Clone, Debug)]
enum Step {
    Open(u8, u32),
    Deposit(u8, u32),
    Withdraw(u8, u32),
}

fn any_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..3, 0u32..50_000).prop_map(|(a, c)| Step::Open(a, c)),
        (0u8..3, 0u32..50_000).prop_map(|(a, c)| Step::Deposit(a, c)),
        (0u8..3, 0u32..80_000).prop_map(|(a, c)| Step::Withdraw(a, c)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever commands arrive, no balance is ever negative, and the cached
    /// state always equals the fold of what is stored.
    #[test]
    fn random_commands_keep_balances_non_negative_and_the_cache_true(steps in prop::collection::vec(any_step(), 1..60)) {
        let mut ledger = ledger(KvStore::new(MemoryKv::new(), "ledger"));
        for step in steps {
            let (account, command) = match step {
                Step::Open(a, c) => (a, Command::open(owner("P"), Money::from_cents(c.into()).unwrap())),
                Step::Deposit(a, c) => (a, Command::deposit(Money::from_cents(c.into()).unwrap())),
                Step::Withdraw(a, c) => (a, Command::withdraw(Money::from_cents(c.into()).unwrap())),
            };
            let acc = id(&format!("acc-{account}"));
            let _ = ledger.execute(&request(&acc, &command));

            let stored = ledger.store().read(&acc, Version::EMPTY).unwrap();
            // Signed arithmetic: a negative balance would show, not saturate.
            let mut balance: i128 = 0;
            for envelope in &stored {
                balance = match &envelope.event {
                    bank_ledger::Event::AccountOpened { initial_balance, .. } => initial_balance.cents().into(),
                    bank_ledger::Event::MoneyDeposited { amount, .. } => balance + i128::from(amount.cents()),
                    bank_ledger::Event::MoneyWithdrawn { amount, .. } => balance - i128::from(amount.cents()),
                };
                prop_assert!(balance >= 0);
            }
            let events: Vec<_> = stored.into_iter().map(|e| e.event).collect();
            let folded = BankAccount::replay(acc.clone(), &events).state();
            prop_assert_eq!(ledger.account(&acc).unwrap(), folded.clone());
            prop_assert_eq!(folded.map(|s| i128::from(s.balance.cents())), (!events.is_empty()).then_some(balance));
            // The cached timeline and time travel agree with the pure folds.
            let timeline: Vec<Money> = balance_timeline(&acc, &events).into_iter().map(|(_, m)| m).collect();
            prop_assert_eq!(ledger.balances(&acc).unwrap(), timeline);
            for version in 0..=events.len() as u64 {
                prop_assert_eq!(ledger.account_at(&acc, Version::new(version)).unwrap(), state_at(&acc, &events, Version::new(version)));
            }
        }
    }
}

/// A store that counts the events its reads return: how a test sees where
/// a load started.
struct Counting<S> {
    inner: S,
    events_read: std::cell::Cell<usize>,
}

impl<S: EventStore> EventStore for Counting<S> {
    fn read(&self, stream: &AccountId, after: Version) -> Result<Vec<Envelope>, StoreError> {
        self.read_page(stream, after, usize::MAX)
    }
    fn read_page(&self, stream: &AccountId, after: Version, max: usize) -> Result<Vec<Envelope>, StoreError> {
        let events = self.inner.read_page(stream, after, max)?;
        self.events_read.set(self.events_read.get() + events.len());
        Ok(events)
    }
    fn append(
        &mut self,
        stream: &AccountId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Envelope>, StoreError> {
        self.inner.append(stream, expected, events)
    }
    fn streams(&self) -> Result<StreamList, StoreError> {
        self.inner.streams()
    }
    fn read_from(&self, stream: &AccountId, tip: &mut Tip, until: Option<Version>) -> Result<Vec<Envelope>, StoreError> {
        let events = self.inner.read_from(stream, tip, until)?;
        self.events_read.set(self.events_read.get() + events.len());
        Ok(events)
    }
    fn snapshot(&self, stream: &AccountId) -> Result<Option<bank_ledger::Snapshot>, StoreError> {
        self.inner.snapshot(stream)
    }
    fn snapshot_key(&self, stream: &AccountId) -> Option<String> {
        self.inner.snapshot_key(stream)
    }
    fn save_snapshot(&mut self, stream: &AccountId, snapshot: &bank_ledger::Snapshot) -> Result<(), StoreError> {
        self.inner.save_snapshot(stream, snapshot)
    }
}

/// 300 events on `acc` (snapshots every 100), with command ids on every
/// tenth, in a shared map.
fn snapshotted() -> SharedKv {
    let shared = Rc::new(RefCell::new(MemoryKv::new()));
    let mut ledger = ledger(KvStore::new(shared.clone(), "ledger")).with_snapshot_every(100);
    ledger.execute(&request(&id("acc"), &open("Ann", "0.00"))).unwrap();
    for n in 1..300u64 {
        let command_id = (n % 10 == 0).then(|| cid(&format!("c-{n}")));
        ledger.execute(&request_once(&id("acc"), &deposit("1.00"), command_id.as_ref())).unwrap();
    }
    shared
}

fn reopen(shared: &SharedKv) -> Ledger<Counting<KvStore<SharedKv>>, ManualClock, CountingIds> {
    let store = Counting { inner: KvStore::new(shared.clone(), "ledger"), events_read: Default::default() };
    ledger(store).with_snapshot_every(100)
}

#[test]
fn a_load_starts_from_the_latest_snapshot() {
    let shared = snapshotted();
    assert!(shared.borrow().get("ledger/v2/snap/acc").unwrap().unwrap().starts_with("3 "));
    let mut fresh = reopen(&shared);
    assert_eq!(fresh.account(&id("acc")).unwrap().unwrap().balance, money("299.00"));
    assert_eq!(fresh.store().events_read.get(), 0, "the snapshot is at version 300: nothing after it");
    // The first command is decided on events, not on the snapshot alone:
    // it reads what is behind the snapshot once (hashes and rules checked,
    // and they must make the snapshot), and later commands read nothing.
    fresh.execute(&request(&id("acc"), &deposit("1.00"))).unwrap();
    assert_eq!(fresh.store().events_read.get(), 300);
    fresh.execute(&request(&id("acc"), &deposit("1.00"))).unwrap();
    assert_eq!(fresh.store().events_read.get(), 300, "a command reads nothing more");
    // So time travel before the snapshot and the chart need no more reads.
    assert_eq!(fresh.account_at(&id("acc"), Version::new(150)).unwrap().unwrap().balance, money("149.00"));
    assert_eq!(fresh.balances(&id("acc")).unwrap().len(), 302);
    assert_eq!(fresh.store().events_read.get(), 300);
    // Another load: time travel reads what is behind it, once.
    let mut other = reopen(&shared);
    assert_eq!(other.account_at(&id("acc"), Version::new(150)).unwrap().unwrap().balance, money("149.00"));
    assert_eq!(other.balances(&id("acc")).unwrap().len(), 302);
    assert_eq!(other.store().events_read.get(), 302);
}

#[test]
fn an_old_command_id_is_recognised_after_a_load_from_a_snapshot() {
    let shared = snapshotted();
    let mut fresh = reopen(&shared);
    let again = fresh.execute(&request_once(&id("acc"), &deposit("1.00"), Some(&cid("c-10")))).unwrap();
    assert_eq!(again.version, Version::new(11));
    assert_eq!(fresh.account(&id("acc")).unwrap().unwrap().version, Version::new(300), "nothing stored");
}

#[test]
fn a_snapshot_never_hides_a_changed_event() {
    let shared = snapshotted();
    let key = "ledger/v2/seg/acc/1";
    let edited = shared.borrow().get(key).unwrap().unwrap().replace(",100\n", ",900\n");
    shared.borrow_mut().set(key, &edited).unwrap();
    let damage = corrupt_key(reopen(&shared).account(&id("acc")));
    assert!(damage.starts_with(key) && damage.contains("checksum"), "{damage}");
}

#[test]
fn a_snapshot_never_hides_missing_events() {
    let shared = snapshotted();
    shared.borrow_mut().remove("ledger/v2/seg/acc/4").unwrap();
    let damage = corrupt_key(reopen(&shared).account(&id("acc")));
    assert!(damage.starts_with("ledger/v2/seg/acc/4") && damage.contains("missing"), "{damage}");
}

#[test]
fn a_snapshot_that_disagrees_with_the_events_behind_it_is_replaced() {
    // A snapshot whose balance was changed (and its checksum redone): the
    // account loads from it, but the timeline behind it does not make it.
    let shared = snapshotted();
    let key = "ledger/v2/snap/acc";
    let snapshot = bank_ledger::Snapshot::decode(&shared.borrow().get(key).unwrap().unwrap()).unwrap();
    let forged = bank_ledger::Snapshot { payload: snapshot.payload.replacen("\n29900\n", "\n99900\n", 1), ..snapshot };
    shared.borrow_mut().set(key, &forged.encode()).unwrap();
    let mut fresh = reopen(&shared);
    assert_eq!(fresh.balances(&id("acc")).unwrap().last(), Some(&money("299.00")));
    let damaged = fresh.accounts().unwrap().damaged;
    assert_eq!(damaged.len(), 1);
    assert!(damaged[0].key == key && damaged[0].reason.contains("is not what account acc's events make"), "{damaged:?}");
    assert_eq!(bank_ledger::Snapshot::decode(&shared.borrow().get(key).unwrap().unwrap()), Some(snapshot));
}

#[test]
fn an_unreadable_or_stale_snapshot_falls_back_to_the_events_and_is_rewritten() {
    let key = "ledger/v2/snap/acc";
    for bad in ["garbage".to_owned(), {
        // A sound snapshot text whose head is not the events' hash.
        let text = snapshotted().borrow().get(key).unwrap().unwrap();
        let snapshot = bank_ledger::Snapshot::decode(&text).unwrap();
        bank_ledger::Snapshot { head: bank_ledger::ChainHash::GENESIS, ..snapshot }.encode()
    }] {
        let shared = snapshotted();
        shared.borrow_mut().set(key, &bad).unwrap();
        let mut fresh = reopen(&shared);
        assert_eq!(fresh.account(&id("acc")).unwrap().unwrap().balance, money("299.00"));
        assert_eq!(fresh.store().events_read.get(), 300, "a full replay");
        let rewritten = shared.borrow().get(key).unwrap().unwrap();
        assert_ne!(rewritten, bad);
        assert_eq!(bank_ledger::Snapshot::decode(&rewritten).map(|s| s.version), Some(Version::new(300)));
        assert_eq!(reopen(&shared).account(&id("acc")).unwrap().unwrap().balance, money("299.00"));
    }
}
