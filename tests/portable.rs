//! Export and import (merging by event id, all or nothing), the original
//! server's event arrays, and the `verify` tool, natively.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use bank_ledger::{AccountState, Envelope, ImportReport, KvStore, Ledger, LedgerError, MemoryKv};
use ledger_core::testing::{CountingIds, ManualClock};
use support::*;

fn cid(text: &str) -> bank_ledger::CommandId {
    bank_ledger::CommandId::parse(text).unwrap()
}

type TestLedger = Ledger<KvStore<MemoryKv>, ManualClock, CountingIds>;

fn ledger(ids: &str) -> TestLedger {
    Ledger::new(KvStore::new(MemoryKv::new(), "ledger"), ManualClock::new(1_700_000_000_000), CountingIds::new(ids))
}

/// Two accounts, one with a command id on an event.
fn filled() -> TestLedger {
    let mut l = ledger("a");
    l.execute(&request(&id("acc-001"), &open("Alice \"A\" \\ Zoë", "1000.00"))).unwrap();
    l.execute(&request(&id("acc-001"), &deposit("500.00"))).unwrap();
    l.execute(&request_once(&id("acc-001"), &withdraw("0.05"), Some(&cid("w-1")))).unwrap();
    l.execute(&request(&id("acc-002"), &open("Bob", "0"))).unwrap();
    l
}

fn everything(l: &mut TestLedger) -> (Vec<AccountState>, Vec<Vec<Envelope>>) {
    let states = l.accounts().unwrap().accounts.accounts;
    let histories = states.iter().map(|s| l.history(&s.id).unwrap()).collect();
    (states, histories)
}

fn invalid_line(result: Result<ImportReport, LedgerError>) -> (usize, String) {
    match result {
        Err(LedgerError::InvalidImport { line, reason }) => (line, reason),
        other => panic!("expected InvalidImport, got {other:?}"),
    }
}

#[test]
fn export_then_import_into_an_empty_ledger_gives_the_same_ledger() {
    let mut original = filled();
    let file = original.export().unwrap();
    assert_eq!(file.lines().count(), 1 + 4);
    assert!(file.starts_with(
        r#"{"format":"bank-ledger-export","version":2,"exported_at":1700000000000,"accounts":2,"events":4,"heads":{"acc-001":""#
    ));
    let mut copy = ledger("b");
    let report = copy.import(&file, None).unwrap();
    assert_eq!(report, ImportReport { accounts: 2, events_added: 4, events_skipped: 0 });
    assert_eq!(everything(&mut copy), everything(&mut original));
    // A second import adds nothing, and the export is the same text.
    assert_eq!(copy.import(&file, None).unwrap(), ImportReport { accounts: 2, events_added: 0, events_skipped: 4 });
    assert_eq!(copy.export().unwrap(), file);
    // The copy goes on: new events get new sequence numbers after the old.
    let next = copy.execute(&request(&id("acc-002"), &deposit("1.00"))).unwrap();
    assert_eq!(next.version.get(), 2);
    assert!(copy.history(&id("acc-002")).unwrap()[1].sequence.0 > 4);
}

#[test]
fn an_import_merges_what_is_new() {
    let mut original = filled();
    let early = original.export().unwrap();
    original.execute(&request(&id("acc-002"), &deposit("3.00"))).unwrap();
    original.execute(&request(&id("acc-003"), &open("Cy", "1.00"))).unwrap();
    let later = original.export().unwrap();
    let mut copy = ledger("b");
    copy.import(&early, None).unwrap();
    assert_eq!(copy.import(&later, None).unwrap(), ImportReport { accounts: 3, events_added: 2, events_skipped: 4 });
    assert_eq!(everything(&mut copy), everything(&mut original));
    // An older file into a newer ledger: nothing to add.
    assert_eq!(copy.import(&early, None).unwrap().events_added, 0);
}

#[test]
fn a_tampered_or_malformed_file_is_refused_whole_naming_the_line() {
    let original = &mut filled();
    let file = original.export().unwrap();
    let cases = [
        (file.replace(r#""amount":500.0"#, r#""amount":5000.0"#), 3, "hash"),
        (file.replacen("\"version\":2,\"recorded_at\"", "\"version\":3,\"recorded_at\"", 1), 3, "version 3 where 2 was due"),
        (file.replace(r#""events":4"#, r#""events":5"#), 1, "header"),
        (file.lines().take(3).collect::<Vec<_>>().join("\n"), 1, "header"),
        (file.replace("\"w-1\"", "\"w 1\""), 4, "command"),
        (format!("{file}not json\n"), 6, "not JSON"),
        ("{\"format\":\"something else\"}".to_owned(), 1, "not a ledger export"),
        (
            file.replacen(
                &format!("\"version\":{}", bank_ledger::EXPORT_VERSION),
                &format!("\"version\":{}", bank_ledger::EXPORT_VERSION + 1),
                1,
            ),
            1,
            "newer version of this app",
        ),
        (String::new(), 1, "empty"),
    ];
    for (bad, line, words) in cases {
        let mut target = ledger("b");
        let before = target.store().kv().entries();
        let (at, reason) = invalid_line(target.import(&bad, None));
        assert_eq!(at, line, "{reason}");
        assert!(reason.contains(words), "{reason}");
        assert_eq!(target.store().kv().entries(), before, "nothing imported");
    }
}

/// An export whose events have the given sequence numbers, every hash
/// recomputed, so only the numbers can be wrong.
fn with_sequences(sequences: &[u64]) -> String {
    use bank_ledger::{ChainHash, EventId, Sequence, Timestamp};
    let acc = id("acc-001");
    let mut previous = ChainHash::GENESIS;
    let mut envelopes = Vec::new();
    for (n, &sequence) in sequences.iter().enumerate() {
        let event = if n == 0 { opened("Ann", "1.00") } else { deposited("1.00") };
        let mut envelope = Envelope {
            version: bank_ledger::Version::new(n as u64 + 1),
            sequence: Sequence(sequence),
            recorded_at: Timestamp(1_700_000_000_000),
            event_id: EventId::parse(&format!("e-{n}")).unwrap(),
            command_id: None,
            schema: 2,
            event,
            hash: ChainHash::GENESIS,
        };
        envelope.hash = ChainHash::link(&previous, &acc, &envelope);
        previous = envelope.hash;
        envelopes.push(envelope);
    }
    bank_ledger::write_export(Timestamp(1), &[(acc, envelopes)])
}

#[test]
fn sequences_must_start_at_1_rise_within_an_account_and_stay_below_2_pow_53() {
    const MAX: u64 = 1 << 53;
    let cases: [(&[u64], usize, &str); 5] = [
        (&[0, 1], 2, "sequence"),
        (&[5, 3], 3, "does not rise"),
        (&[5, 5], 3, "does not rise"),
        (&[1, MAX + 1], 3, "2^53"),
        (&[1, u64::MAX], 3, "2^53"),
    ];
    for (sequences, line, words) in cases {
        let file = with_sequences(sequences);
        let mut target = ledger("b");
        target.execute(&request(&id("other"), &open("Ot", "1.00"))).unwrap();
        let before = target.store().kv().entries();
        let (at, reason) = invalid_line(target.import(&file, None));
        assert_eq!((at, words), (line, words), "{sequences:?}: {reason}");
        assert!(reason.contains(words), "{sequences:?}: {reason}");
        assert_eq!(target.store().kv().entries(), before, "nothing imported");
        assert!(bank_ledger::read_export(&file).is_err(), "the verify tool refuses it too");
    }
    // The largest allowed number imports, and commands still run after it.
    let mut target = ledger("b");
    target.import(&with_sequences(&[7, MAX]), None).unwrap();
    target.execute(&request(&id("acc-001"), &deposit("1.00"))).unwrap();
    target.execute(&request(&id("other"), &open("Ot", "1.00"))).unwrap();
    assert!(target.history(&id("acc-001")).unwrap()[2].sequence.0 > MAX);
}

#[test]
fn a_store_import_that_would_not_read_back_is_undone() {
    use bank_ledger::Version;
    use bank_ledger::{EventStore, Sequence};
    let mut source = ledger("a");
    source.execute(&request(&id("acc-001"), &open("Ann", "1.00"))).unwrap();
    source.execute(&request(&id("acc-001"), &deposit("1.00"))).unwrap();
    let mut events = source.history(&id("acc-001")).unwrap();
    // Numbers that do not rise: the codec would write a segment that can't
    // be read. The store checks what it wrote and puts everything back.
    events[1].sequence = Sequence(events[0].sequence.0);
    events[1].hash = bank_ledger::ChainHash::link(&events[0].hash, &id("acc-001"), &events[1]);
    let mut target = KvStore::new(MemoryKv::new(), "ledger");
    let before = target.kv().entries();
    assert!(target.import(vec![(id("acc-001"), Version::EMPTY, events)]).is_err());
    assert_eq!(target.kv().entries(), before);
}

#[test]
fn a_file_that_conflicts_with_local_history_is_refused_whole() {
    let file = filled().export().unwrap();
    let mut other = ledger("z");
    other.execute(&request(&id("acc-002"), &open("Bob", "0"))).unwrap(); // same account, another event
    let before = other.store().kv().entries();
    let (line, reason) = invalid_line(other.import(&file, None));
    assert_eq!(line, 5);
    assert!(reason.contains("acc-002 version 1 conflicts"), "{reason}");
    assert_eq!(other.store().kv().entries(), before, "acc-001 was not imported either");
}

#[test]
fn the_original_servers_event_array_starts_a_new_account() {
    let text = r#"[{"type":"AccountOpened","owner":"Alice","initial_balance":1000.0},
                   {"type":"MoneyDeposited","amount":500.0},{"type":"MoneyWithdrawn","amount":200.0}]"#;
    let mut l = ledger("s");
    assert_eq!(invalid_line(l.import(text, None)).0, 1);
    let report = l.import(text, Some(&id("acc-001"))).unwrap();
    assert_eq!(report, ImportReport { accounts: 1, events_added: 3, events_skipped: 0 });
    assert_eq!(l.account(&id("acc-001")).unwrap().unwrap().balance, money("1300.00"));
    assert!(l.verify(&id("acc-001")).unwrap().ok);
    // Not onto an existing account, and not a history the rules refuse.
    assert!(invalid_line(l.import(text, Some(&id("acc-001")))).1.contains("already exists"));
    let overdrawn = r#"[{"type":"AccountOpened","owner":"B","initial_balance":1.0},{"type":"MoneyWithdrawn","amount":2.0}]"#;
    assert!(invalid_line(l.import(overdrawn, Some(&id("acc-002")))).1.contains("event 2"));
    assert_eq!(l.account(&id("acc-002")).unwrap(), None);
}

#[test]
fn the_verify_tool_passes_a_sound_export_and_fails_a_tampered_one() {
    let dir = std::env::temp_dir().join(format!("ledger-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = filled().export().unwrap();
    let good = dir.join("good.ndjson");
    let bad = dir.join("bad.ndjson");
    std::fs::write(&good, &file).unwrap();
    std::fs::write(&bad, file.replace(r#""amount":500.0"#, r#""amount":5000.0"#)).unwrap();
    let run = |path: &std::path::Path| std::process::Command::new(env!("CARGO_BIN_EXE_verify")).arg(path).output().unwrap();
    let ok = run(&good);
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{out}");
    assert!(out.contains("ok  acc-001: 3 events, balance 1,499.95"), "{out}");
    assert!(out.contains("2 accounts, 4 events, all sound"), "{out}");
    let failed = run(&bad);
    let out = String::from_utf8_lossy(&failed.stdout);
    assert!(!failed.status.success());
    assert!(out.contains("line 3") && out.contains("hash"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_statement_has_a_row_per_event_with_the_balance_after() {
    let l = filled();
    let history = l.history(&id("acc-001")).unwrap();
    let csv = bank_ledger::statement_csv(&id("acc-001"), &history);
    assert_eq!(
        csv,
        "date,type,amount,balance_after\n\
         2023-11-14T22:13:20Z,AccountOpened,1000.00,1000.00\n\
         2023-11-14T22:13:20Z,MoneyDeposited,500.00,1500.00\n\
         2023-11-14T22:13:20Z,MoneyWithdrawn,0.05,1499.95\n"
    );
}

/// Files of about 5 MB built to be slow to read: one object of ~400,000
/// members (a duplicate at its end), the same as an event line, nesting
/// 2,500,000 deep, a 5 MB string. Each is refused, naming its line, and
/// storage is untouched. (The duplicate-name check was quadratic: the first
/// of these took hours.)
#[test]
fn hostile_files_are_refused_in_linear_time() {
    const SIZE: usize = 5 * 1024 * 1024;
    let members = |prefix: &str| {
        let mut text = String::with_capacity(SIZE + 64);
        let mut n = 0;
        while text.len() < SIZE {
            text.push_str(&format!("\"{prefix}{n}\":\"x\","));
            n += 1;
        }
        text.push_str(&format!("\"{prefix}0\":\"x\""));
        text
    };
    let header = format!(
        r#"{{"format":"bank-ledger-export","version":1,"exported_at":1,"accounts":1,"events":1,"heads":{{"a":"{}"}}}}"#,
        "0".repeat(64)
    );
    let cases = [
        (format!("{{\"format\":\"bank-ledger-export\",\"heads\":{{{}}}}}", members("acc-")), 1, "duplicate"),
        (format!("{header}\n{{{}}}", members("f")), 2, "duplicate"),
        (format!("{header}\n{}{}", "[".repeat(SIZE / 2), "]".repeat(SIZE / 2)), 2, "nested"),
        (format!("{header}\n{{\"account\":\"{}\"}}", "a".repeat(SIZE)), 2, "account"),
    ];
    for (file, line, words) in cases {
        assert!(file.len() >= SIZE);
        let mut target = filled();
        let before = target.store().kv().entries();
        let (at, reason) = invalid_line(target.import(&file, None));
        assert_eq!(at, line, "{reason}");
        assert!(reason.contains(words), "{reason}");
        assert_eq!(target.store().kv().entries(), before);
    }
}

/// An owner an earlier version accepted (here one ending in U+202E, which
/// new names may no longer hold) still reads, takes commands, exports and
/// imports: a stricter rule never makes stored data unreadable.
#[test]
fn a_stored_owner_that_new_names_may_not_have_still_reads() {
    use bank_ledger::EventStore;
    use bank_ledger::{Event, ExpectedVersion, Owner, Version};
    let name = "Eve\u{202e}";
    assert!(Owner::parse(name).is_err(), "new names refuse it");
    let event = Event::opened(Owner::from_stored(name).unwrap(), money("10.00"));
    let mut l = ledger("a");
    l.store_mut().append(&id("acc-001"), ExpectedVersion(Version::EMPTY), vec![new_event("e-1", 1, event)]).unwrap();
    assert_eq!(l.execute(&request(&id("acc-001"), &deposit("1.00"))).unwrap().owner.as_str(), name);
    assert!(l.verify(&id("acc-001")).unwrap().ok);
    let mut copy = ledger("b");
    copy.import(&l.export().unwrap(), None).unwrap();
    assert_eq!(everything(&mut copy), everything(&mut l));
}

#[test]
fn an_export_of_version_1_from_a_real_browser_imports_checked_against_its_old_hashes() {
    // Written by the app before hash v2 (tests/fixtures/README.md): hash v1
    // on every line and in the header's heads.
    let file = include_str!("fixtures/export-version-1.ndjson");
    assert!(file.starts_with(r#"{"format":"bank-ledger-export","version":1,"#));
    let mut copy = ledger("b");
    let report = copy.import(file, None).unwrap();
    assert_eq!(report, ImportReport { accounts: 2, events_added: 4, events_skipped: 0 });
    let (states, histories) = everything(&mut copy);
    assert_eq!(states[0].balance, money("1300.00"));
    assert_eq!(states[1].owner, owner("Zoë 💶"));
    let acc_001 = &histories[0];
    assert_eq!(acc_001.iter().map(|e| e.sequence.0).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(acc_001[1].command_id, Some(cid("dep-1")));
    assert_eq!(acc_001[0].event_id.as_str(), "05d7e624-66bf-46e6-a019-1f3a3fdf3956");
    assert!(copy.verify(&id("acc-001")).unwrap().ok);
    // Its own export is of version 2, with other (v2) hashes.
    let again = copy.export().unwrap();
    assert!(again.starts_with(r#"{"format":"bank-ledger-export","version":2,"#));
    assert!(!again.contains("5053f98fe73fb2aab40a8b33b1dc4b8acbccda2350a140711ad77da7b653c9a9"));
    // Importing the old file again adds nothing: the events are known by id.
    assert_eq!(copy.import(file, None).unwrap().events_skipped, 4);
    // An edit to the old file is caught by its old hashes.
    let (at, reason) = invalid_line(ledger("c").import(&file.replace(r#""amount":500.0"#, r#""amount":5000.0"#), None));
    assert_eq!(at, 3);
    assert!(reason.contains("hash"), "{reason}");
    // And a version 1 file is not taken for a version 2 one.
    let (at, reason) =
        invalid_line(ledger("c").import(&file.replacen(r#""version":1,"exported_at""#, r#""version":2,"exported_at""#, 1), None));
    assert_eq!((at, reason.contains("hash")), (2, true), "{reason}");
}
