//! PostgreSQL restarted under a running server: the server reconnects by
//! itself (its pool and its LISTEN connection), answering 503 meanwhile,
//! never 500, never hanging, never exiting. Its own test binary, so no
//! other test runs while PostgreSQL is down. Run by scripts/test-server.sh,
//! which says where the cluster is (`LEDGER_TEST_PG_DIR`, `LEDGER_TEST_PG_BIN`,
//! and `LEDGER_TEST_PG_AS`, the user to run `pg_ctl` as when we are root).

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ledger_core::Pulled;
use support::{Reply, Server};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test-server.sh"))
}

/// `pg_ctl restart -m fast`: every connection of the server is cut.
fn restart_postgres() {
    let (dir, bin) = (var("LEDGER_TEST_PG_DIR"), var("LEDGER_TEST_PG_BIN"));
    let pg_ctl = format!("{bin}/pg_ctl");
    let mut command = match std::env::var("LEDGER_TEST_PG_AS") {
        Ok(user) if !user.is_empty() => {
            let mut runuser = Command::new("runuser");
            runuser.args(["-u", &user, "--", &pg_ctl]);
            runuser
        }
        _ => Command::new(&pg_ctl),
    };
    let log = format!("{dir}/postgres.log");
    let status =
        command.args(["-D", &dir, "-l", &log, "-m", "fast", "-w", "-s", "restart"]).stdout(Stdio::null()).status().unwrap();
    assert!(status.success(), "pg_ctl restart failed: {status}");
}

/// A deposit that must end in 200; 503 `StorageUnavailable` is allowed
/// while PostgreSQL comes back, and the command is then sent again with its
/// id. Answers how many 503s it took.
fn deposit(server: &Server, account: &str, command_id: &str, within: Duration) -> usize {
    let body = format!(r#"{{"type":"Deposit","amount":1,"command_id":"{command_id}"}}"#);
    let started = Instant::now();
    let mut unavailable = 0;
    loop {
        let sent = Instant::now();
        let reply = server.try_post(&format!("/accounts/{account}"), &body).unwrap();
        assert!(sent.elapsed() < Duration::from_secs(10), "an answer took {:?}: {reply:?}", sent.elapsed());
        if reply.status == 200 {
            return unavailable;
        }
        assert_eq!((reply.status, reply.code().as_str()), (503, "StorageUnavailable"), "{reply:?}");
        unavailable += 1;
        assert!(started.elapsed() < within, "still {reply:?} after {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn latest(server: &Server) -> u64 {
    let mut after = 0;
    loop {
        let reply = server.get(&format!("/sync/events?after={after}&limit=1000"));
        let page = Pulled::read(&reply.body).unwrap_or_else(|e| panic!("{e}: {reply:?}"));
        if page.events.is_empty() {
            return after;
        }
        after = page.next;
    }
}

/// A live pull started now, then a commit: answers whether the pull came
/// back with the commit before its first recheck (1 s) — woken by the
/// commit's notification, so the LISTEN connection is up.
fn live_pull_woken_by_a_commit(server: &Server, account: &str, command_id: &str) -> bool {
    let after = latest(server);
    let (reply, took): (Reply, Duration) = std::thread::scope(|scope| {
        let waiting = scope.spawn(|| {
            let started = Instant::now();
            (server.get(&format!("/sync/live?after={after}&wait=3")), started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(200));
        deposit(server, account, command_id, Duration::from_secs(5));
        waiting.join().unwrap()
    });
    assert_eq!(reply.status, 200, "{reply:?}");
    let woken = Pulled::read(&reply.body).unwrap();
    !woken.events.is_empty() && took < Duration::from_millis(950)
}

/// Tries [`live_pull_woken_by_a_commit`] until it is, within `within` of
/// `since` (a busy machine may make one try too slow); answers how many
/// tries (commits) it took.
fn live_pull_woken(server: &Server, account: &str, name: &str, since: Instant, within: Duration) -> usize {
    let mut tries = 1;
    while !live_pull_woken_by_a_commit(server, account, &format!("{name}-{tries}")) {
        assert!(since.elapsed() < within, "{name}: no live pull woken by a commit within {within:?}");
        tries += 1;
    }
    tries
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn the_server_reconnects_when_postgresql_restarts_under_it() {
    let server = Server::start();
    let account = format!("pgr{}", std::process::id());
    let open = server.post(&format!("/accounts/{account}"), r#"{"type":"OpenAccount","owner":"R","initial_balance":0}"#);
    assert_eq!(open.status, 200, "{open:?}");
    // Several connections in the pool, all cut by the restart.
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let (server, account) = (&server, &account);
            scope.spawn(move || deposit(server, account, &format!("before-{thread}"), Duration::ZERO));
        }
    });
    let before = live_pull_woken(&server, &account, "live-before", Instant::now(), Duration::from_secs(10));

    // Commands all along the restart: each answered 200 or 503, none lost.
    let stop = AtomicBool::new(false);
    let (during, during_503, restarted, back, first) = std::thread::scope(|scope| {
        let sending = scope.spawn(|| {
            let (mut sent, mut unavailable) = (0, 0);
            while !stop.load(Ordering::SeqCst) {
                unavailable += deposit(&server, &account, &format!("during-{sent}"), Duration::from_secs(15));
                sent += 1;
            }
            (sent, unavailable)
        });
        restart_postgres();
        let restarted = Instant::now();
        let first = deposit(&server, &account, "after-0", Duration::from_secs(10));
        let back = restarted.elapsed();
        stop.store(true, Ordering::SeqCst);
        let (during, during_503) = sending.join().unwrap();
        (during, during_503, restarted, back, first)
    });
    // Then every pooled connection must be a live one: no 503 at all.
    let later: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|thread| {
                let (server, account) = (&server, &account);
                scope.spawn(move || deposit(server, account, &format!("after-{}", thread + 1), Duration::from_secs(10)))
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    });
    let tries = live_pull_woken(&server, &account, "live-after", restarted, Duration::from_secs(10));
    eprintln!(
        "PostgreSQL restarted: {during} commands sent along the restart took {during_503} × 503 in all; \
         after pg_ctl returned a command answered 200 after {back:?} ({first} × 503 before), \
         then {later} × 503 among 8 commands at once; a live pull woken by a commit at try {tries} ({:?} after the restart)",
        restarted.elapsed()
    );
    assert!(server.running(), "the server never exited");
    assert_eq!(later, 0, "the pool hands out no dead connection once PostgreSQL is back");
    let state = server.get(&format!("/accounts/{account}"));
    assert_eq!(state.status, 200, "{state:?}");
    let version = serde_json::from_str::<serde_json::Value>(&state.body).unwrap()["version"].as_u64();
    let commands = 1 + 8 + before + during + 1 + 8 + tries;
    assert_eq!(version, Some(commands as u64), "every command stored once: {state:?}");
}
