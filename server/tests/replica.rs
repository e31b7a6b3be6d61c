//! Pulls from a PostgreSQL streaming replica (`READ_DATABASE_URL`), which
//! scripts/test-server.sh starts beside the primary with `pg_basebackup -R`:
//! a pull answers what the replica has replayed, a prefix, never a gap; a
//! live pull, woken by the primary's news, does not wait for the replica;
//! the heads and an account's events are the replica's too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use ledger_core::{Heads, Pulled};
use support::Server;
use tokio_postgres::NoTls;

fn replica_url() -> String {
    std::env::var("LEDGER_TEST_REPLICA_URL").expect("LEDGER_TEST_REPLICA_URL is not set: run scripts/test-server.sh")
}

/// Runs `sql` on the replica (pausing or resuming its replay).
fn on_replica(sql: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&replica_url(), NoTls).await.unwrap();
        let driver = tokio::spawn(connection);
        client.batch_execute(sql).await.unwrap();
        drop(client);
        let _ = driver.await;
    });
}

/// One test of this file at a time: each pauses the replica's replay.
fn alone() -> std::sync::MutexGuard<'static, ()> {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn pull(server: &Server, query: &str) -> Pulled {
    let reply = server.get(&format!("/sync/{query}"));
    assert_eq!(reply.status, 200, "{reply:?}");
    Pulled::read(&reply.body).unwrap()
}

fn versions_of(pulled: &Pulled, account: &str) -> Vec<u64> {
    pulled.events.iter().filter(|e| e.account.as_str() == account).map(|e| e.envelope.version.get()).collect()
}

/// Every event after `after`, page by page to the end, as one answer.
fn pull_to_end(server: &Server, after: u64) -> Pulled {
    let mut all = pull(server, &format!("events?after={after}"));
    loop {
        let page = pull(server, &format!("events?after={}", all.next));
        if page.events.is_empty() {
            return all;
        }
        all.next = page.next;
        all.events.extend(page.events);
    }
}

/// What `look` finds once `done` holds of it, looking again until the
/// replica catches up (10 s at most; `what` says what it found then).
#[track_caller]
fn until<T>(mut look: impl FnMut() -> T, done: impl Fn(&T) -> bool, what: impl Fn(&T) -> String) -> T {
    let started = Instant::now();
    loop {
        let found = look();
        if done(&found) {
            return found;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the replica did not catch up: {}", what(&found));
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Pulls after `after` until `account` has `count` events there, or 10 s.
#[track_caller]
fn pulled_until(server: &Server, after: u64, account: &str, count: usize) -> Pulled {
    until(
        || pull_to_end(server, after),
        |pulled| versions_of(pulled, account).len() >= count,
        |pulled| format!("{account} missing after {:?}", pulled.events.last().map(|e| e.position)),
    )
}

#[test]
#[ignore = "needs PostgreSQL with Message DB and a replica: scripts/test-server.sh runs these"]
fn pulls_come_from_the_replica_and_a_live_pull_does_not_wait_for_it() {
    let _alone = alone();
    let server = Server::start_with(&[("READ_DATABASE_URL", &replica_url())]);
    assert_eq!(server.post("/accounts/rep-1", r#"{"type":"OpenAccount","owner":"R","initial_balance":1}"#).status, 200);
    let caught_up = pulled_until(&server, 0, "rep-1", 1);
    let after = caught_up.next;

    // With the replica's replay paused, a commit on the primary is not in a
    // pull: the pull is the replica's.
    on_replica("SELECT pg_wal_replay_pause()");
    let resume = Resume;
    assert_eq!(server.post("/accounts/rep-1", r#"{"type":"Deposit","amount":2}"#).status, 200);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(versions_of(&pull_to_end(&server, after), "rep-1"), Vec::<u64>::new());

    // A live pull heard of it from the primary: it answers at once, from
    // the primary, rather than wait for the replica.
    let started = Instant::now();
    let live = pull(&server, &format!("live?after={after}&wait=10"));
    assert_eq!(versions_of(&live, "rep-1"), [2]);
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());

    // Replaying again, the replica catches up, in order, with nothing skipped.
    drop(resume);
    let caught_up = pulled_until(&server, after, "rep-1", 1);
    assert_eq!(versions_of(&caught_up, "rep-1"), [2]);
    let of_rep = |p: &Pulled| p.events.iter().filter(|e| e.account.as_str() == "rep-1").cloned().collect::<Vec<_>>();
    assert_eq!(of_rep(&caught_up), of_rep(&live));
}

/// The version and hash of `account`'s head, and its events' versions and
/// last hash, as the server answers them.
fn head_and_events(server: &Server, account: &str) -> (Option<(u64, String)>, Vec<u64>, Option<String>) {
    let reply = server.get("/sync/accounts");
    assert_eq!(reply.status, 200, "{reply:?}");
    let heads = Heads::read(&reply.body).unwrap();
    let head = heads.accounts.iter().find(|h| h.account.as_str() == account).map(|h| (h.version.get(), h.hash.to_string()));
    let events = pull(server, &format!("accounts/{account}"));
    let last = events.events.last().map(|e| e.envelope.hash.to_string());
    (head, versions_of(&events, account), last)
}

#[test]
#[ignore = "needs PostgreSQL with Message DB and a replica: scripts/test-server.sh runs these"]
fn heads_and_account_reads_come_from_the_replica() {
    let _alone = alone();
    let server = Server::start_with(&[("READ_DATABASE_URL", &replica_url())]);
    assert_eq!(server.post("/accounts/rep-h-1", r#"{"type":"OpenAccount","owner":"R","initial_balance":1}"#).status, 200);
    let caught_up = |version: u64| {
        let (head, _, last) = until(
            || head_and_events(&server, "rep-h-1"),
            |(head, versions, _)| head.as_ref().is_some_and(|(v, _)| *v == version) && versions.len() as u64 == version,
            |found| format!("{found:?}"),
        );
        assert_eq!(head.map(|(_, hash)| hash), last, "the head is the last event's hash");
    };
    caught_up(1);

    // With the replica's replay paused, a commit on the primary is in
    // neither: both are the replica's.
    on_replica("SELECT pg_wal_replay_pause()");
    let resume = Resume;
    assert_eq!(server.post("/accounts/rep-h-1", r#"{"type":"Deposit","amount":2}"#).status, 200);
    std::thread::sleep(Duration::from_millis(300));
    let (head, versions, _) = head_and_events(&server, "rep-h-1");
    assert_eq!((head.map(|(v, _)| v), versions), (Some(1), vec![1]));

    drop(resume);
    caught_up(2);
}

/// Resumes the replica's replay when dropped, even if the test fails.
struct Resume;

impl Drop for Resume {
    fn drop(&mut self) {
        on_replica("SELECT pg_wal_replay_resume()");
    }
}
