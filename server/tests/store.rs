//! The Message DB store and the service against a real PostgreSQL: appends
//! all or nothing at an expected version, and a damaged stream refused,
//! never served (nor its head, when its last message is damaged). Run by scripts/test-server.sh.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use ledger_core::{
    AccountId, ChainHash, Command, CommandRequest, Envelope, EventId, ExpectedVersion, Facts, LedgerError, Money, NewEvent,
    Owner, StoreError, Timestamp, Tip, Version,
};
use ledger_server::store::{Device, EventStore, MessageDb, Tenant, SEQUENCE};
use ledger_server::Ledger;
use std::time::Duration;

async fn store() -> MessageDb {
    MessageDb::open(&support::database_url(), 4, Duration::from_secs(10)).await.unwrap()
}

fn cents(c: u64) -> Money {
    Money::from_cents(c).unwrap()
}

/// `commands`' events after `tip`, linked, with event ids `{prefix}-{n}`.
fn linked(tip: &Tip, prefix: &str, commands: &[Command]) -> Vec<Envelope> {
    let mut account = tip.account.clone();
    let mut hash = tip.hash;
    let mut out = Vec::new();
    for (n, command) in commands.iter().enumerate() {
        for event in account.decide(command, &Facts::NONE).unwrap() {
            let new = NewEvent {
                event_id: EventId::parse(&format!("{prefix}-{n}")).unwrap(),
                recorded_at: Timestamp(1),
                command_id: None,
                event,
            };
            let mut envelope = new.into_envelope(account.version().next(), SEQUENCE);
            envelope.hash = ChainHash::link(&hash, account.id(), &envelope);
            hash = envelope.hash;
            account.apply(&envelope.event);
            out.push(envelope);
        }
    }
    out
}

fn open() -> Command {
    Command::open(Owner::parse("Ann").unwrap(), cents(1000))
}

#[tokio::test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
async fn appends_are_all_or_nothing_at_the_expected_version() {
    let store = store().await;
    let (tenant, device) = (Tenant::parse("storetest").unwrap(), Device::http());
    let id = AccountId::parse("all-or-nothing").unwrap();
    let tip = Tip::new(&id);
    let first = linked(&tip, "a", &[open(), Command::deposit(cents(5))]);
    store.append(&tenant, &id, ExpectedVersion(Version::EMPTY), &first, &device).await.unwrap();

    // At a stale version: a conflict that names where the stream is.
    let late = linked(&tip, "b", &[open()]);
    let conflict = store.append(&tenant, &id, ExpectedVersion(Version::EMPTY), &late, &device).await;
    assert!(matches!(conflict, Err(StoreError::Conflict { actual, .. }) if actual == Version::new(2)), "{conflict:?}");

    // The second event's id is the first's: its write fails, and the first
    // is undone with it.
    let mut read = Tip::new(&id);
    let stored = store.read_from(&tenant, &id, &mut read).await.unwrap();
    // Read back, an envelope's sequence is its global position.
    assert!(stored[0].sequence < stored[1].sequence);
    assert_eq!(positions_aside(stored), first);
    let mut twice = linked(&read, "c", &[Command::deposit(cents(1)), Command::deposit(cents(2))]);
    twice[1].event_id = twice[0].event_id.clone();
    twice[1].hash = ChainHash::link(&twice[0].hash, &id, &twice[1]);
    assert!(store.append(&tenant, &id, ExpectedVersion(read.version()), &twice, &device).await.is_err());
    let mut again = Tip::new(&id);
    assert_eq!(store.read_from(&tenant, &id, &mut again).await.unwrap().len(), 2, "nothing of the failed append stays");

    // The same account in another tenant is another stream.
    let other = Tenant::parse("storetest2").unwrap();
    store.append(&other, &id, ExpectedVersion(Version::EMPTY), &first, &device).await.unwrap();
    let mut theirs = Tip::new(&id);
    assert_eq!(positions_aside(store.read_from(&other, &id, &mut theirs).await.unwrap()), first);
}

/// Envelopes as written: read back, each has its global position as its
/// sequence.
fn positions_aside(read: Vec<Envelope>) -> Vec<Envelope> {
    read.into_iter().map(|e| Envelope { sequence: SEQUENCE, ..e }).collect()
}

#[tokio::test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
async fn a_damaged_stream_is_an_error_never_served() {
    let store = store().await;
    let ledger = Ledger::new(store.clone());
    let tenant = Tenant::parse("damaged").unwrap();
    let id = AccountId::parse("edited").unwrap();
    for command in [open(), Command::deposit(cents(500)), Command::withdraw(cents(200))] {
        ledger.execute(&tenant, &Device::http(), &CommandRequest::new(id.clone(), command)).await.unwrap();
    }
    assert_eq!(ledger.account(&tenant, &id).await.unwrap().balance, cents(1300));

    // Someone with the database's password makes the deposit larger.
    let (client, connection) = tokio_postgres::connect(&support::database_url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let edited = client
        .execute(
            r#"UPDATE message_store.messages SET data = '{"type":"MoneyDeposited","amount":50000.0}' WHERE stream_name = 'damaged-edited' AND position = 1"#,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(edited, 1);
    for read in [ledger.account(&tenant, &id).await.map(|_| ()), ledger.events(&tenant, &id).await.map(|_| ())] {
        match read {
            Err(LedgerError::Store(StoreError::Corrupt { key, reason })) => {
                assert_eq!(key, "damaged-edited position 1");
                assert!(reason.contains("hash chain"), "{reason}");
            }
            other => panic!("a damaged stream was read: {other:?}"),
        }
    }
    let deposit = CommandRequest::new(id.clone(), Command::deposit(cents(1)));
    assert!(matches!(
        ledger.execute(&tenant, &Device::http(), &deposit).await,
        Err(LedgerError::Store(StoreError::Corrupt { .. }))
    ));
    // The sync's account read checks from the stream's start, whatever page
    // it is asked for.
    for after in [0, 2] {
        let read = ledger.account_events(&tenant, &id, Version::new(after), 10).await;
        assert!(
            matches!(&read, Err(LedgerError::Store(StoreError::Corrupt { key, .. })) if key == "damaged-edited position 1"),
            "{read:?}"
        );
    }
    // The heads read each stream's last message alone (its chain is the
    // stream's reads' to check): answered while it is whole, refused once
    // its metadata lost the hash.
    let heads = ledger.heads(&tenant).await.unwrap();
    assert_eq!(heads.accounts.iter().map(|h| (h.account.as_str(), h.version.get())).collect::<Vec<_>>(), [("edited", 3)]);
    let edited = client
        .execute("UPDATE message_store.messages SET metadata = metadata - 'hash' WHERE stream_name = 'damaged-edited' AND position = 2", &[])
        .await
        .unwrap();
    assert_eq!(edited, 1);
    match ledger.heads(&tenant).await {
        Err(LedgerError::Store(StoreError::Corrupt { key, reason })) => {
            assert!(key.starts_with("damaged-edited position "), "{key}");
            assert!(reason.contains("metadata") && reason.contains("hash"), "{reason}");
        }
        other => panic!("a damaged head was answered: {other:?}"),
    }
}
