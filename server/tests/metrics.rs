//! `GET /metrics` against a real PostgreSQL with Message DB: the counters
//! move with commands, a concurrent burst's conflicts and errors, and the
//! route label is the route's template, never the path asked for. Run by
//! scripts/test-server.sh.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use support::{answers, refused, Server};

const OPEN: &str = r#"{"type":"OpenAccount","owner":"Alice","initial_balance":100}"#;

/// The value of one series (`name{labels}` exactly as printed), if shown.
fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn metrics(server: &Server) -> String {
    let reply = server.get("/metrics");
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    reply.body
}

/// 16 deposits at once on `id`; each applied once.
fn burst(server: &Server, id: &str) {
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|_| scope.spawn(|| server.post(&format!("/accounts/{id}"), r#"{"type":"Deposit","amount":1}"#).status))
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn the_counters_move_with_commands_conflicts_and_errors() {
    let server = Server::start();
    answers(&server.post("/accounts/metrics-1", OPEN), 200, r#"{"id":"metrics-1","owner":"Alice","balance":100.0,"version":1}"#);
    answers(
        &server.post("/accounts/metrics-1", r#"{"type":"Deposit","amount":5}"#),
        200,
        r#"{"id":"metrics-1","owner":"Alice","balance":105.0,"version":2}"#,
    );
    refused(&server.post("/accounts/metrics-1", r#"{"type":"Withdraw","amount":500}"#), 400, "InsufficientFunds");
    refused(&server.get("/no/such/thing"), 404, "NotFound");
    assert_eq!(server.get("/accounts/metrics-1").status, 200);

    // Concurrent commands on one account start from the same cached tip:
    // all but one of those that overlap conflict, read the newer events,
    // and are decided again. Overlap is all but certain with 16 at once;
    // a few bursts make it certain enough.
    answers(&server.post("/accounts/metrics-2", OPEN), 200, r#"{"id":"metrics-2","owner":"Alice","balance":100.0,"version":1}"#);
    let mut bursts = 0;
    let mut text = metrics(&server);
    while value(&text, "ledger_append_conflicts_total").unwrap() == 0.0 && bursts < 5 {
        burst(&server, "metrics-2");
        bursts += 1;
        text = metrics(&server);
    }
    assert!(value(&text, "ledger_append_conflicts_total").unwrap() >= 1.0, "no conflict in {bursts} bursts:\n{text}");
    let deposits = 16 * bursts;
    let expected = format!(r#"{{"id":"metrics-2","owner":"Alice","balance":{}.0,"version":{}}}"#, 100 + deposits, 1 + deposits);
    answers(&server.get("/accounts/metrics-2"), 200, &expected);

    let count = |series: &str| value(&text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
    assert_eq!(count("ledger_events_appended_total"), (3 + deposits) as f64);
    assert_eq!(count(r#"ledger_http_requests_total{route="/accounts/{id}",method="POST",status="200"}"#), (3 + deposits) as f64);
    assert_eq!(count(r#"ledger_http_requests_total{route="/accounts/{id}",method="POST",status="400"}"#), 1.0);
    assert_eq!(count(r#"ledger_http_requests_total{route="/accounts/{id}",method="GET",status="200"}"#), 1.0);
    assert_eq!(count(r#"ledger_http_requests_total{route="fallback",method="GET",status="404"}"#), 1.0);
    assert_eq!(count(r#"ledger_errors_total{code="InsufficientFunds"}"#), 1.0);
    assert_eq!(count(r#"ledger_errors_total{code="NotFound"}"#), 1.0);
    let posts = count(r#"ledger_http_request_duration_seconds_count{route="/accounts/{id}"}"#);
    assert_eq!(posts, (5 + deposits) as f64);
    assert_eq!(count(r#"ledger_http_request_duration_seconds_bucket{route="/accounts/{id}",le="+Inf"}"#), posts);
    assert!(count(r#"ledger_http_request_duration_seconds_bucket{route="/accounts/{id}",le="10"}"#) <= posts);
    assert!(!text.contains("metrics-1") && !text.contains("/no/such"), "a raw path is a label:\n{text}");
}

/// The benchmark's load generator, for one second at one level: it runs,
/// every command it sends is done, and the metrics count them.
#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn the_load_generator_runs_a_short_level() {
    let server = Server::start_with(&[("RATE_LIMIT", "0")]); // no limit: the generator goes flat out
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ledger-load"))
        .args([&format!("127.0.0.1:{}", server.port), "--accounts", "20", "--clients", "4", "--seconds", "1", "--readers", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    let level = stdout.lines().find(|line| line.starts_with("level clients=4 ")).unwrap_or_else(|| panic!("{stdout}"));
    let word = |line: &str, key: &str| -> f64 {
        line.split(' ')
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
            .unwrap_or_else(|| panic!("{key}: {line}"))
    };
    let done = word(level, "ok");
    assert!(done > 0.0 && word(level, "errors") == 0.0, "{stdout}");
    let catch_up = stdout.lines().find(|line| line.starts_with("catch_up ")).unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(word(catch_up, "events"), 20.0 + done, "{stdout}");
    let text = metrics(&server);
    assert_eq!(value(&text, "ledger_events_appended_total"), Some(20.0 + done), "{text}");
}
