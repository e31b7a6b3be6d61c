//! The sync API over HTTP against a real PostgreSQL with Message DB
//! (docs/sync-protocol.md): pushes stored whole or answered with what the
//! device lacks, idempotent; one winner per version when devices race; a
//! catch-up that never skips an event; a live pull woken by a commit; the
//! server's id; the accounts' heads and one account's events by version,
//! each tenant's own. Run by scripts/test-server.sh.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use ledger_core::{
    AccountId, Behind, ChainHash, CommandId, Envelope, Event, EventId, Head, Heads, Money, NewEvent, Owner, Pulled, Push, Pushed,
    Sequence, ServerEvent, Timestamp, Version,
};
use support::{refused, token, Server, TokensFile};

/// One test of this file at a time: a live pull hears every commit of the
/// ledger, so another test's writes must not land while it waits.
fn alone() -> std::sync::MutexGuard<'static, ()> {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn id(text: &str) -> AccountId {
    AccountId::parse(text).unwrap()
}

fn cents(c: u64) -> Money {
    Money::from_cents(c).unwrap()
}

fn opened() -> Event {
    Event::opened(Owner::parse("Dee").unwrap(), cents(1000))
}

fn deposit(c: u64) -> Event {
    Event::deposited(cents(c))
}

/// Events a device made after `before` (the account's events it holds).
fn made(account: &str, before: &[Envelope], events: &[(&str, Event)]) -> Vec<Envelope> {
    let mut version = Version::new(before.len() as u64);
    let mut hash = before.last().map_or(ChainHash::GENESIS, |e| e.hash);
    events
        .iter()
        .map(|(event_id, event)| {
            version = version.next();
            let new = NewEvent {
                event_id: EventId::parse(event_id).unwrap(),
                recorded_at: Timestamp(1_800_000_000_000 + version.get()),
                command_id: Some(CommandId::parse(&format!("cmd-{event_id}")).unwrap()),
                event: event.clone(),
            };
            let mut envelope = new.into_envelope(version, Sequence(0));
            envelope.hash = ChainHash::link(&hash, &id(account), &envelope);
            hash = envelope.hash;
            envelope
        })
        .collect()
}

fn push(server: &Server, account: &str, after: u64, events: &[Envelope]) -> support::Reply {
    let body = Push { after: Version::new(after), events: events.to_vec() }.write();
    server.post(&format!("/sync/accounts/{account}"), &body)
}

#[track_caller]
fn pushed(reply: &support::Reply) -> Pushed {
    assert_eq!(reply.status, 200, "{reply:?}");
    Pushed::read(&reply.body).unwrap()
}

#[track_caller]
fn behind(reply: &support::Reply) -> Behind {
    assert_eq!(reply.status, 409, "{reply:?}");
    Behind::read(&reply.body).unwrap()
}

#[track_caller]
fn pull(server: &Server, query: &str) -> Pulled {
    let reply = server.get(&format!("/sync/events?{query}"));
    assert_eq!(reply.status, 200, "{reply:?}");
    Pulled::read(&reply.body).unwrap()
}

/// Every event of the ledger, pulled `limit` at a time from the start.
fn pull_all(server: &Server, limit: usize) -> Vec<ServerEvent> {
    let mut after = 0;
    let mut all = Vec::new();
    loop {
        let page = pull(server, &format!("after={after}&limit={limit}"));
        if page.events.is_empty() {
            return all;
        }
        assert!(page.events.iter().all(|e| e.position > after), "positions rise");
        after = page.next;
        all.extend(page.events);
    }
}

fn of(events: &[ServerEvent], account: &str) -> Vec<ServerEvent> {
    events.iter().filter(|e| e.account.as_str() == account).cloned().collect()
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn a_push_is_stored_whole_answered_again_the_same_and_pulled_in_order() {
    let _alone = alone();
    let server = Server::start();
    let events = made("sync-1", &[], &[("s1-1", opened()), ("s1-2", deposit(250)), ("s1-3", deposit(5))]);
    let first = push(&server, "sync-1", 0, &events);
    let answer = pushed(&first);
    assert_eq!((answer.account.as_str(), answer.version), ("sync-1", Version::new(3)));
    assert_eq!(answer.server.len(), 36, "a UUID: {answer:?}");
    // The original's API sees the pushed events.
    assert_eq!(server.get("/accounts/sync-1").body, r#"{"id":"sync-1","owner":"Dee","balance":12.55,"version":3}"#);
    // The same push again, or its tail, answers the same and stores nothing.
    assert_eq!(push(&server, "sync-1", 0, &events).body, first.body);
    assert_eq!(push(&server, "sync-1", 1, &events[1..]).body, first.body);
    let mine = of(&pull_all(&server, 1000), "sync-1");
    assert_eq!(mine.iter().map(|e| e.envelope.hash).collect::<Vec<_>>(), events.iter().map(|e| e.hash).collect::<Vec<_>>());
    assert!(mine.iter().all(|e| e.device == "http"));
    assert_eq!(mine.last().map(|e| e.position), Some(answer.position));
    // A command through the original's API, then a push that did not see it.
    assert_eq!(server.post("/accounts/sync-1", r#"{"type":"Deposit","amount":1}"#).status, 200);
    let late = made("sync-1", &events, &[("s1-4", deposit(7))]);
    let conflict = behind(&push(&server, "sync-1", 3, &late));
    assert_eq!(conflict.version, Version::new(4));
    assert_eq!(conflict.missing.len(), 1);
    assert_eq!(conflict.missing[0].envelope.event, deposit(100));
    // On top of what it lacked, the device's event goes in.
    let rebased = made("sync-1", &[events.clone(), vec![conflict.missing[0].envelope.clone()]].concat(), &[("s1-4", deposit(7))]);
    assert_eq!(pushed(&push(&server, "sync-1", 4, &rebased)).version, Version::new(5));
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn devices_racing_for_one_version_get_one_winner_and_the_rest_what_they_lack() {
    let _alone = alone();
    let server = Server::start();
    let start = made("race-1", &[], &[("r-0", opened())]);
    pushed(&push(&server, "race-1", 0, &start));
    let replies: Vec<(Vec<Envelope>, support::Reply)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=8u64)
            .map(|n| {
                let (server, start) = (&server, &start);
                scope.spawn(move || {
                    let mine = made("race-1", start, &[(&format!("r-{n}"), deposit(n))]);
                    let reply = push(server, "race-1", 1, &mine);
                    (mine, reply)
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    let winners: Vec<&Vec<Envelope>> = replies.iter().filter(|(_, r)| r.status == 200).map(|(mine, _)| mine).collect();
    assert_eq!(winners.len(), 1, "{replies:?}");
    for (_, reply) in replies.iter().filter(|(_, r)| r.status != 200) {
        let lacks = behind(reply);
        assert_eq!(lacks.version, Version::new(2));
        assert_eq!(lacks.missing.iter().map(|e| e.envelope.hash).collect::<Vec<_>>(), [winners[0][0].hash]);
    }
    assert_eq!(of(&pull_all(&server, 1000), "race-1").len(), 2);
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn a_catch_up_during_writes_never_skips_an_event() {
    let _alone = alone();
    let server = Server::start();
    let accounts = ["skip-1", "skip-2", "skip-3", "skip-4"];
    for account in accounts {
        assert_eq!(
            server.post(&format!("/accounts/{account}"), r#"{"type":"OpenAccount","owner":"S","initial_balance":0}"#).status,
            200
        );
    }
    let mut seen: Vec<ServerEvent> = Vec::new();
    std::thread::scope(|scope| {
        let writers: Vec<_> = accounts
            .iter()
            .map(|account| {
                let server = &server;
                scope.spawn(move || {
                    for _ in 0..25 {
                        assert_eq!(server.post(&format!("/accounts/{account}"), r#"{"type":"Deposit","amount":1}"#).status, 200);
                    }
                })
            })
            .collect();
        // Small pages, as fast as it can, while the writers write.
        let mut after = 0;
        let mut finished = false;
        loop {
            let page = pull(&server, &format!("after={after}&limit=7"));
            if page.events.is_empty() && finished {
                break;
            }
            assert!(page.events.iter().all(|e| e.position > after));
            after = page.next;
            seen.extend(page.events);
            finished = writers.iter().all(|w| w.is_finished());
        }
    });
    for account in accounts {
        let versions: Vec<u64> = of(&seen, account).iter().map(|e| e.envelope.version.get()).collect();
        assert_eq!(versions, (1..=26).collect::<Vec<u64>>(), "{account}: every version, once, in order");
    }
    assert!(seen.windows(2).all(|w| w[0].position < w[1].position));
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn a_live_pull_waits_for_the_next_commit_and_answers_it() {
    let _alone = alone();
    let server = Server::start();
    let latest = pull_all(&server, 1000).last().map_or(0, |e| e.position);
    // Nothing new: it waits as long as asked, then answers nothing.
    let started = Instant::now();
    let quiet = server.get(&format!("/sync/live?after={latest}&wait=1"));
    assert_eq!((quiet.status, Pulled::read(&quiet.body).unwrap().events.len()), (200, 0));
    assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());
    // A commit while it waits wakes it.
    let (reply, waited) = std::thread::scope(|scope| {
        let waiting = scope.spawn(|| {
            let started = Instant::now();
            (server.get(&format!("/sync/live?after={latest}&wait=20")), started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(server.post("/accounts/live-1", r#"{"type":"OpenAccount","owner":"L","initial_balance":3}"#).status, 200);
        waiting.join().unwrap()
    });
    let woken = Pulled::read(&reply.body).unwrap();
    assert_eq!(woken.events.iter().map(|e| e.account.as_str()).collect::<Vec<_>>(), ["live-1"]);
    // Sent 300 ms in; without news it would look again only after 1 s.
    assert!(waited < Duration::from_millis(900), "woken by the commit's news: {waited:?}");
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn bad_pushes_and_queries_are_refused_whole_with_a_code() {
    let _alone = alone();
    let server = Server::start();
    let events = made("badpush-1", &[], &[("b-1", opened()), ("b-2", Event::withdrawn(cents(1001)))]);
    refused(&push(&server, "badpush-1", 0, &events), 400, "InvalidEvent");
    let mut forged = made("badpush-1", &[], &[("b-1", opened())]);
    forged[0].event = Event::opened(Owner::parse("Dee").unwrap(), cents(9999));
    refused(&push(&server, "badpush-1", 0, &forged), 400, "InvalidEvent");
    assert_eq!(server.get("/accounts/badpush-1").status, 404, "nothing of them was stored");
    refused(&server.post("/sync/accounts/badpush-1", r#"{"after":0}"#), 400, "InvalidPush");
    refused(&server.post("/sync/accounts/badpush-1", "[1,2"), 400, "InvalidPush");
    refused(&server.post("/sync/accounts/bad%20id", r#"{"after":0,"events":[]}"#), 400, "InvalidAccountId");
    for query in ["after=-1", "after=x", "limit=0", "limit=1001", "after=1&since=2", "after=01"] {
        refused(&server.get(&format!("/sync/events?{query}")), 400, "InvalidQuery");
    }
    refused(&server.get("/sync/live?wait=31"), 400, "InvalidQuery");
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn the_server_id_stays_across_restarts() {
    let _alone = alone();
    let first = pull(&Server::start(), "limit=1").server;
    let again = pull(&Server::start(), "limit=1").server;
    assert_eq!(first, again);
    assert_eq!(first.len(), 36);
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn with_tokens_a_device_syncs_only_its_tenants_ledger_and_is_named_on_its_events() {
    let _alone = alone();
    let (laptop, phone, stranger) = (token("sync_laptop"), token("sync_phone"), token("sync_stranger"));
    let file =
        TokensFile::new("sync", &[(&laptop, "synctenant", "laptop"), (&phone, "synctenant", "phone"), (&stranger, "other", "x")]);
    let server = Server::start_with(&[("TOKENS_FILE", file.path())]);
    let events = made("tsync-1", &[], &[("t-1", opened()), ("t-2", deposit(1))]);
    let body = Push { after: Version::EMPTY, events: events.clone() }.write();
    assert_eq!(server.post("/sync/accounts/tsync-1", &body).status, 401, "no token, no push");
    let pushed = server.post_as(&laptop, "/sync/accounts/tsync-1", &body);
    assert_eq!(pushed.status, 200, "{pushed:?}");
    // The phone, of the same tenant, pulls them, named as the laptop's.
    let theirs = Pulled::read(&server.get_as(&phone, "/sync/events?after=0").body).unwrap();
    assert_eq!(
        theirs.events.iter().map(|e| (e.account.as_str(), e.device.as_str())).collect::<Vec<_>>(),
        [("tsync-1", "laptop"); 2]
    );
    // Another tenant sees nothing of them, and its push of the same events
    // is its own account's (no collision, nothing revealed).
    let other = Pulled::read(&server.get_as(&stranger, "/sync/events?after=0").body).unwrap();
    assert_eq!(other.events, vec![]);
    assert_eq!(server.post_as(&stranger, "/sync/accounts/tsync-1", &body).status, 200);
    assert_eq!(Pulled::read(&server.get_as(&stranger, "/sync/events?after=0").body).unwrap().events.len(), 2);
    assert_eq!(server.get("/sync/live?after=0&wait=0").status, 401, "the live feed needs a token too");
}

#[track_caller]
fn pull_as(server: &Server, token: &str, query: &str) -> Pulled {
    let reply = server.get_as(token, &format!("/sync/events?{query}"));
    assert_eq!(reply.status, 200, "{reply:?}");
    Pulled::read(&reply.body).unwrap()
}

#[track_caller]
fn heads_as(server: &Server, token: &str) -> Heads {
    let reply = server.get_as(token, "/sync/accounts");
    assert_eq!(reply.status, 200, "{reply:?}");
    Heads::read(&reply.body).unwrap()
}

#[track_caller]
fn account_read(reply: support::Reply) -> Pulled {
    assert_eq!(reply.status, 200, "{reply:?}");
    Pulled::read(&reply.body).unwrap()
}

/// The head each account's last pulled event makes, in the order of the ids.
fn heads_of(events: &[ServerEvent]) -> Vec<Head> {
    let mut heads: Vec<Head> = Vec::new();
    for e in events {
        heads.retain(|h| h.account != e.account);
        heads.push(Head { account: e.account.clone(), version: e.envelope.version, hash: e.envelope.hash, position: e.position });
    }
    heads.sort_by(|a, b| a.account.cmp(&b.account));
    heads
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn the_heads_are_each_accounts_last_event_and_each_tenants_own() {
    let _alone = alone();
    let (mine, theirs, empty) = (token("heads_mine"), token("heads_theirs"), token("heads_empty"));
    let file = TokensFile::new(
        "heads",
        &[(&mine, "headsmine", "laptop"), (&theirs, "headstheirs", "phone"), (&empty, "headsempty", "tablet")],
    );
    let server = Server::start_with(&[("TOKENS_FILE", file.path())]);
    let nothing = server.get_as(&empty, "/sync/accounts");
    let server_id = pull_as(&server, &empty, "after=0").server;
    assert_eq!((nothing.status, nothing.body), (200, format!(r#"{{"server":"{server_id}","accounts":[]}}"#)));

    // Three accounts, by commands and by pushes, interleaved. Ids whose
    // byte order is not a collation's: the heads come in the ids' order.
    let open = r#"{"type":"OpenAccount","owner":"H","initial_balance":5}"#;
    assert_eq!(server.post_as(&mine, "/accounts/h-b", open).status, 200);
    let pushed = made("H-c", &[], &[("hc-1", opened()), ("hc-2", deposit(1)), ("hc-3", deposit(2))]);
    let body = Push { after: Version::EMPTY, events: pushed.clone() }.write();
    assert_eq!(server.post_as(&mine, "/sync/accounts/H-c", &body).status, 200);
    assert_eq!(server.post_as(&mine, "/accounts/h-a", open).status, 200);
    assert_eq!(server.post_as(&mine, "/accounts/h-b", r#"{"type":"Deposit","amount":1}"#).status, 200);
    assert_eq!(server.post_as(&mine, "/accounts/h-a", r#"{"type":"Withdraw","amount":1}"#).status, 200);
    // The other tenant has an account of the same id, and one of its own.
    assert_eq!(server.post_as(&theirs, "/accounts/h-a", open).status, 200);
    assert_eq!(server.post_as(&theirs, "/accounts/h-secret", open).status, 200);

    let heads = heads_as(&server, &mine);
    assert_eq!(heads.server, server_id);
    let ids: Vec<&str> = heads.accounts.iter().map(|h| h.account.as_str()).collect();
    assert_eq!(ids, ["H-c", "h-a", "h-b"]);
    assert_eq!(heads.accounts.iter().map(|h| h.version.get()).collect::<Vec<_>>(), [3, 2, 2]);
    // Exactly the last event of each, as a pull shows it.
    let events = pull_as(&server, &mine, "after=0").events;
    assert_eq!(heads.accounts, heads_of(&events));
    assert_eq!(heads.accounts[0].hash, pushed[2].hash);

    // Each tenant its own: the other's heads list only its accounts, and
    // its account is empty when read as mine.
    let other = heads_as(&server, &theirs);
    assert_eq!(
        other.accounts.iter().map(|h| (h.account.as_str(), h.version.get())).collect::<Vec<_>>(),
        [("h-a", 1), ("h-secret", 1)]
    );
    assert_ne!(other.accounts[0].hash, heads.accounts[1].hash);
    let hidden = account_read(server.get_as(&mine, "/sync/accounts/h-secret"));
    assert_eq!((hidden.events.len(), hidden.next), (0, 0));
    let own = account_read(server.get_as(&mine, "/sync/accounts/h-a"));
    assert_eq!(own.events.iter().map(|e| e.device.as_str()).collect::<Vec<_>>(), ["laptop", "laptop"]);

    // Both need a token.
    refused(&server.get("/sync/accounts"), 401, "Unauthorized");
    refused(&server.get("/sync/accounts/h-a"), 401, "Unauthorized");
    refused(&server.get_as(&token("heads_unknown"), "/sync/accounts"), 401, "Unauthorized");
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn an_accounts_events_are_read_by_version_page_by_page() {
    let _alone = alone();
    let server = Server::start();
    let open = r#"{"type":"OpenAccount","owner":"P","initial_balance":0}"#;
    assert_eq!(server.post("/accounts/paged-1", open).status, 200);
    assert_eq!(server.post("/accounts/paged-2", open).status, 200);
    for n in 1..=6 {
        for account in ["paged-1", "paged-2"] {
            let deposit = format!(r#"{{"type":"Deposit","amount":{n}}}"#);
            assert_eq!(server.post(&format!("/accounts/{account}"), &deposit).status, 200);
        }
    }
    let versions = |pulled: &Pulled| pulled.events.iter().map(|e| e.envelope.version.get()).collect::<Vec<u64>>();

    // The whole account: exactly its events as a pull shows them.
    let all = account_read(server.get("/sync/accounts/paged-1"));
    assert_eq!((versions(&all), all.next), ((1..=7).collect(), 7));
    assert_eq!(all.events, of(&pull_all(&server, 1000), "paged-1"));
    assert_eq!(all.server, pull(&server, "limit=1").server);

    // Page by page: `next` is the last version, what to ask after next.
    let mut after = 0;
    let mut pages = Vec::new();
    loop {
        let page = account_read(server.get(&format!("/sync/accounts/paged-1?after={after}&limit=3")));
        if page.events.is_empty() {
            assert_eq!(page.next, after);
            break;
        }
        after = page.next;
        pages.push(versions(&page));
    }
    assert_eq!(pages, [vec![1, 2, 3], vec![4, 5, 6], vec![7]]);
    let tail = account_read(server.get("/sync/accounts/paged-1?limit=2&after=5"));
    assert_eq!((versions(&tail), tail.next), (vec![6, 7], 7));
    let past = account_read(server.get("/sync/accounts/paged-1?after=100"));
    assert_eq!((past.events.len(), past.next), (0, 100));
    // Past a thousand events: read from the start a page at a time, the page asked for answered.
    let ids: Vec<String> = (1..=1100).map(|n| format!("l-{n}")).collect();
    let events: Vec<(&str, Event)> =
        ids.iter().enumerate().map(|(n, id)| (id.as_str(), if n == 0 { opened() } else { deposit(1) })).collect();
    let long = made("paged-long", &[], &events);
    for (n, chunk) in long.chunks(256).enumerate() {
        pushed(&push(&server, "paged-long", n as u64 * 256, chunk));
    }
    let deep = account_read(server.get("/sync/accounts/paged-long?after=1050&limit=10"));
    assert_eq!((versions(&deep), deep.next), ((1051..=1060).collect(), 1060));
    assert_eq!(
        deep.events.iter().map(|e| e.envelope.hash).collect::<Vec<_>>(),
        long[1050..1060].iter().map(|e| e.hash).collect::<Vec<_>>()
    );
    let beyond = account_read(server.get("/sync/accounts/paged-long?after=2500"));
    assert_eq!((beyond.events.len(), beyond.next), (0, 2500));
    let unknown = account_read(server.get("/sync/accounts/paged-none?after=0"));
    assert_eq!((unknown.events.len(), unknown.next), (0, 0));

    // Queries read as a pull's; an id as everywhere.
    for query in ["after=-1", "after=x", "limit=0", "limit=1001", "after=1&since=2", "after=01", "wait=1"] {
        refused(&server.get(&format!("/sync/accounts/paged-1?{query}")), 400, "InvalidQuery");
    }
    refused(&server.get("/sync/accounts?after=0"), 400, "InvalidQuery");
    refused(&server.get("/sync/accounts/bad%20id"), 400, "InvalidAccountId");
    refused(&server.get(&format!("/sync/accounts/{}", "x".repeat(65))), 400, "InvalidAccountId");

    // Counted under their routes' templates.
    let metrics = server.get("/metrics").body;
    for series in [
        r#"ledger_http_requests_total{route="/sync/accounts/{id}",method="GET",status="200"} 10"#,
        r#"ledger_http_requests_total{route="/sync/accounts/{id}",method="GET",status="400"} 9"#,
        r#"ledger_http_requests_total{route="/sync/accounts",method="GET",status="400"} 1"#,
    ] {
        assert!(metrics.lines().any(|line| line == series), "no {series} in\n{metrics}");
    }
}
