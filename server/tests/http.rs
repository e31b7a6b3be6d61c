//! The server over HTTP against a real PostgreSQL with Message DB: the
//! original's walkthrough, every error's status and code, command ids, and
//! concurrent commands. Run by scripts/test-server.sh (the README's test
//! command runs it), which starts and stops PostgreSQL.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::process::Command;

use support::{answers, refused, Server, ALLOWED_ORIGIN};

const OPEN: &str = r#"{"type":"OpenAccount","owner":"Alice","initial_balance":1000.0}"#;
const DEPOSIT: &str = r#"{"type":"Deposit","amount":500.0}"#;
const WITHDRAW: &str = r#"{"type":"Withdraw","amount":200.0}"#;
const EVENTS: &str = r#"[{"type":"AccountOpened","owner":"Alice","initial_balance":1000.0},{"type":"MoneyDeposited","amount":500.0},{"type":"MoneyWithdrawn","amount":200.0}]"#;

fn state(id: &str, balance: &str, version: u64) -> String {
    format!(r#"{{"id":"{id}","owner":"Alice","balance":{balance},"version":{version}}}"#)
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn the_walkthrough_answers_what_the_original_printed() {
    let server = Server::start();
    answers(&server.post("/accounts/walk-1", OPEN), 200, &state("walk-1", "1000.0", 1));
    answers(&server.post("/accounts/walk-1", DEPOSIT), 200, &state("walk-1", "1500.0", 2));
    answers(&server.post("/accounts/walk-1", WITHDRAW), 200, &state("walk-1", "1300.0", 3));
    answers(&server.get("/accounts/walk-1"), 200, &state("walk-1", "1300.0", 3));
    answers(&server.get("/accounts/walk-1/events"), 200, EVENTS);
    assert_eq!(server.get("/health").status, 200);
}

/// The README's curl commands, word for word but for the port.
#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn the_walkthroughs_curl_commands_print_exactly_the_original_output() {
    // Never passes without checking: scripts/setup.sh installs curl.
    let found = Command::new("curl").arg("--version").output();
    assert!(found.is_ok_and(|o| o.status.success()), "this test runs curl: install it (scripts/setup.sh test does)");
    let server = Server::start();
    let url = format!("{}/accounts/acc-001", server.base());
    let curl = |args: &[&str]| {
        let output = Command::new("curl").arg("-s").args(args).output().unwrap();
        assert!(output.status.success(), "curl {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let post = |body: &str| curl(&["-X", "POST", &url, "-H", "Content-Type: application/json", "-d", body]);
    assert_eq!(post(OPEN), state("acc-001", "1000.0", 1));
    assert_eq!(post(DEPOSIT), state("acc-001", "1500.0", 2));
    assert_eq!(post(WITHDRAW), state("acc-001", "1300.0", 3));
    assert_eq!(curl(&[&url]), r#"{"id":"acc-001","owner":"Alice","balance":1300.0,"version":3}"#);
    assert_eq!(curl(&[&format!("{url}/events")]), EVENTS);
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn the_rules_refusals_are_400_and_an_unknown_account_404() {
    let server = Server::start();
    answers(&server.post("/accounts/rules-1", OPEN), 200, &state("rules-1", "1000.0", 1));
    refused(&server.post("/accounts/rules-1", r#"{"type":"Withdraw","amount":1000.01}"#), 400, "InsufficientFunds");
    refused(&server.post("/accounts/rules-1", OPEN), 400, "AccountAlreadyExists");
    refused(&server.post("/accounts/rules-1", r#"{"type":"Deposit","amount":0}"#), 400, "InvalidAmount");
    refused(&server.post("/accounts/rules-1", r#"{"type":"Deposit","amount":0.001}"#), 400, "InvalidAmount");
    refused(&server.post("/accounts/rules-1", r#"{"type":"Deposit","amount":-5}"#), 400, "InvalidAmount");
    refused(&server.post("/accounts/rules-1", r#"{"type":"Deposit","amount":"ten"}"#), 400, "InvalidAmount");
    refused(&server.post("/accounts/rules-1", r#"{"type":"OpenAccount","owner":"","initial_balance":1}"#), 400, "InvalidOwner");
    refused(&server.post("/accounts/nobody", DEPOSIT), 404, "AccountNotFound");
    refused(&server.get("/accounts/nobody"), 404, "AccountNotFound");
    refused(&server.get("/accounts/nobody/events"), 404, "AccountNotFound");
    answers(&server.get("/accounts/rules-1"), 200, &state("rules-1", "1000.0", 1));
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn malformed_requests_are_400_413_or_415_with_a_code_never_500() {
    let server = Server::start();
    answers(&server.post("/accounts/bad-1", OPEN), 200, &state("bad-1", "1000.0", 1));
    refused(&server.post("/accounts/bad-1", "{\"type\":\"Deposit\",\"amount\":"), 400, "InvalidCommand");
    refused(&server.post("/accounts/bad-1", r#"{"type":"Deposit","amount":1,"note":"x"}"#), 400, "InvalidCommand");
    refused(&server.post("/accounts/bad-1", r#"{"type":"Steal","amount":1}"#), 400, "InvalidCommand");
    refused(&server.post("/accounts/bad-1", "[]"), 400, "InvalidCommand");
    refused(&server.post("/accounts/bad%20id", DEPOSIT), 400, "InvalidAccountId");
    refused(&server.get(&format!("/accounts/{}", "x".repeat(65))), 400, "InvalidAccountId");
    refused(&server.get("/accounts/%ff"), 400, "InvalidCommand");
    let json = [("Content-Type", "application/json")];
    refused(
        &server.send("POST", "/accounts/bad-1", &json, Some(b"{\"type\":\"Deposit\",\"amount\":\xff}")),
        400,
        "InvalidCommand",
    );
    let text = [("Content-Type", "text/plain")];
    refused(&server.send("POST", "/accounts/bad-1", &text, Some(DEPOSIT.as_bytes())), 415, "UnsupportedMediaType");
    refused(&server.send("POST", "/accounts/bad-1", &[], Some(DEPOSIT.as_bytes())), 415, "UnsupportedMediaType");
    let large = format!("{{\"type\":\"Deposit\",\"amount\":1,\"pad\":\"{}\"}}", "x".repeat(70_000));
    refused(&server.post("/accounts/bad-1", &large), 413, "PayloadTooLarge");
    let mut chunked = format!(
        "POST /accounts/bad-1 HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.port
    );
    for _ in 0..20 {
        chunked.push_str(&format!("1000\r\n{}\r\n", " ".repeat(0x1000)));
    }
    chunked.push_str("0\r\n\r\n");
    refused(&server.raw(chunked.as_bytes()), 413, "PayloadTooLarge");
    refused(&server.get("/nothing/here"), 404, "NotFound");
    refused(&server.send("DELETE", "/accounts/bad-1", &[], None), 405, "MethodNotAllowed");
    // Nothing hostile reaches a 500 or a panic.
    let deep = "[".repeat(10_000);
    for body in [
        deep.as_str(),
        "",
        "null",
        "\"\u{0}\"",
        r#"{"type":"Deposit","amount":1e999999}"#,
        r#"{"type":"Deposit","amount":99999999999999999999999999}"#,
    ] {
        let reply = server.post("/accounts/bad-1", body);
        assert_eq!(reply.status, 400, "{body:.40}: {reply:?}");
        reply.code();
    }
    answers(&server.get("/accounts/bad-1"), 200, &state("bad-1", "1000.0", 1));
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn only_loopback_hosts_and_own_or_listed_origins_are_served() {
    let server = Server::start();
    let own = format!("http://127.0.0.1:{}", server.port);
    refused(&server.send("GET", "/health", &[("Host", "evil.example")], None), 403, "ForbiddenHost");
    refused(&server.send("GET", "/health", &[("Host", &format!("evil.example:{}", server.port))], None), 403, "ForbiddenHost");
    for host in ["localhost", "127.0.0.1:1", "[::1]:8080"] {
        assert_eq!(server.send("GET", "/health", &[("Host", host)], None).status, 200, "{host}");
    }
    let post = |origin: &str| {
        let headers = [("Content-Type", "application/json"), ("Origin", origin)];
        server.send("POST", "/accounts/origin-1", &headers, Some(OPEN.as_bytes()))
    };
    refused(&post("http://evil.example"), 403, "ForbiddenOrigin");
    refused(&post("null"), 403, "ForbiddenOrigin");
    refused(&server.get("/accounts/origin-1"), 404, "AccountNotFound");
    answers(&post(&own), 200, &state("origin-1", "1000.0", 1));
    let listed = post(ALLOWED_ORIGIN);
    refused(&listed, 400, "AccountAlreadyExists");
    assert_eq!(listed.header("access-control-allow-origin"), Some(ALLOWED_ORIGIN), "{listed:?}");
    let preflight = [
        ("Origin", ALLOWED_ORIGIN),
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "content-type"),
    ];
    let reply = server.send("OPTIONS", "/accounts/origin-1", &preflight, None);
    assert_eq!((reply.status, reply.header("access-control-allow-origin")), (200, Some(ALLOWED_ORIGIN)), "{reply:?}");
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn a_command_id_makes_a_resend_safe() {
    let server = Server::start();
    answers(&server.post("/accounts/resend-1", OPEN), 200, &state("resend-1", "1000.0", 1));
    let deposit = r#"{"type":"Deposit","amount":500.0,"command_id":"c-1"}"#;
    answers(&server.post("/accounts/resend-1", deposit), 200, &state("resend-1", "1500.0", 2));
    answers(&server.post("/accounts/resend-1", WITHDRAW), 200, &state("resend-1", "1300.0", 3));
    // Sent again: the state it made then, and nothing stored.
    answers(&server.post("/accounts/resend-1", deposit), 200, &state("resend-1", "1500.0", 2));
    refused(&server.post("/accounts/resend-1", r#"{"type":"Deposit","amount":5,"command_id":"c-1"}"#), 400, "InvalidCommand");
    answers(&server.get("/accounts/resend-1"), 200, &state("resend-1", "1300.0", 3));
    answers(&server.get("/accounts/resend-1/events"), 200, EVENTS);
    // A command id is per account.
    answers(
        &server.post("/accounts/resend-2", r#"{"type":"OpenAccount","owner":"Alice","initial_balance":1,"command_id":"c-1"}"#),
        200,
        &state("resend-2", "1.0", 1),
    );
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn concurrent_commands_on_one_account_are_each_applied_once() {
    let server = Server::start();
    answers(
        &server.post("/accounts/busy-1", r#"{"type":"OpenAccount","owner":"Alice","initial_balance":100}"#),
        200,
        &state("busy-1", "100.0", 1),
    );
    let replies: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=16)
            .map(|n| {
                let server = &server;
                scope.spawn(move || server.post("/accounts/busy-1", &format!(r#"{{"type":"Deposit","amount":"{n}.01"}}"#)))
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    let mut versions: Vec<u64> = replies
        .iter()
        .map(|reply| {
            assert_eq!(reply.status, 200, "{reply:?}");
            let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
            json["version"].as_u64().unwrap()
        })
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, (2..=17).collect::<Vec<u64>>(), "each command got its own version");
    // 100 + (1 + … + 16) + 16 × 0.01
    answers(&server.get("/accounts/busy-1"), 200, &state("busy-1", "236.16", 17));
    let events: Vec<serde_json::Value> = serde_json::from_str(&server.get("/accounts/busy-1/events").body).unwrap();
    assert_eq!(events.len(), 17);
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn the_apps_files_go_out_precompressed_to_a_client_that_accepts_it() {
    // The release build writes .br and .gz copies next to its hashed
    // assets (scripts/precompress.mjs); the server sends them as they are.
    let dist = std::env::temp_dir().join(format!("ledger-precompressed-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>ledger</title>").unwrap();
    for (name, body) in [("app-1.js", "the file"), ("app-1.js.br", "its brotli copy"), ("app-1.js.gz", "its gzip copy")] {
        std::fs::write(dist.join(name), body).unwrap();
    }
    let server = Server::start_with(&[("DIST", dist.to_str().unwrap())]);
    for (accept, encoding, body) in
        [("br, gzip", Some("br"), "its brotli copy"), ("gzip", Some("gzip"), "its gzip copy"), ("identity", None, "the file")]
    {
        let reply = server.send("GET", "/app-1.js", &[("Accept-Encoding", accept)], None);
        assert_eq!((reply.status, reply.header("content-encoding"), reply.body.as_str()), (200, encoding, body), "{reply:?}");
    }
    let _ = std::fs::remove_dir_all(&dist);
}
