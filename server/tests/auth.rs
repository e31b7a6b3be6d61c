//! Who may see what, over HTTP against a real PostgreSQL: tokens (401
//! without one, revoked by removing its line), tenants (another tenant's
//! account is indistinguishable from none), devices (recorded on each
//! event), the rate limit (429), and where the server may listen. Run by
//! scripts/test-server.sh.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use support::{answers, devices, refused, token, Server, TokensFile, ALLOWED_ORIGIN};

const OPEN: &str = r#"{"type":"OpenAccount","owner":"Alice","initial_balance":1000.0}"#;
const DEPOSIT: &str = r#"{"type":"Deposit","amount":500.0}"#;

fn state(id: &str, owner: &str, balance: &str, version: u64) -> String {
    format!(r#"{{"id":"{id}","owner":"{owner}","balance":{balance},"version":{version}}}"#)
}

fn with_tokens(file: &TokensFile) -> Server {
    Server::start_with(&[("TOKENS_FILE", file.path())])
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn with_tokens_every_request_to_the_api_needs_a_known_bearer_token() {
    let phone = token("auth_phone");
    let file = TokensFile::new("bearer", &[(&phone, "authtest", "phone")]);
    let server = with_tokens(&file);
    assert_eq!(server.get("/health").status, 200, "a load balancer asks without a token");
    // Outside the API (the app's files, here none) no token is asked for.
    refused(&server.get("/nothing/here"), 404, "NotFound");
    for reply in [
        server.get("/accounts/bearer-1"),
        server.post("/accounts/bearer-1", OPEN),
        server.get("/accounts/bearer-1/events"),
        server.get("/metrics"),
        server.get("/sync/events?after=0"),
        server.post("/nothing/here", OPEN),
        server.send("DELETE", "/accounts/bearer-1", &[], None),
        server.get_as(&token("auth_unknown"), "/accounts/bearer-1"),
        server.post_as(&token("auth_unknown"), "/accounts/bearer-1", OPEN),
        server.get_as(&phone[..39], "/accounts/bearer-1"),
        server.get_as(&format!("{phone}x"), "/accounts/bearer-1"),
    ] {
        refused(&reply, 401, "Unauthorized");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{reply:?}");
    }
    answers(&server.post_as(&phone, "/accounts/bearer-1", OPEN), 200, &state("bearer-1", "Alice", "1000.0", 1));
    answers(&server.get_as(&phone, "/accounts/bearer-1"), 200, &state("bearer-1", "Alice", "1000.0", 1));
    let lower = [("Authorization", format!("bearer {phone}"))];
    let lower: Vec<(&str, &str)> = lower.iter().map(|(n, v)| (*n, v.as_str())).collect();
    assert_eq!(server.send("GET", "/accounts/bearer-1", &lower, None).status, 200, "the scheme in any case");

    // With tokens any Host is served (a proxy's name); origins are still checked.
    let auth = format!("Bearer {phone}");
    let named = [("Host", "ledger.example"), ("Authorization", auth.as_str())];
    assert_eq!(server.send("GET", "/accounts/bearer-1", &named, None).status, 200);
    let own = [("Host", "ledger.example"), ("Origin", "https://ledger.example"), ("Authorization", auth.as_str())];
    assert_eq!(server.send("GET", "/accounts/bearer-1", &own, None).status, 200);
    let evil = [("Origin", "https://evil.example"), ("Authorization", auth.as_str())];
    refused(&server.send("GET", "/accounts/bearer-1", &evil, None), 403, "ForbiddenOrigin");
    // A page of a listed origin asks first without its token, then sends it.
    let preflight = [
        ("Origin", ALLOWED_ORIGIN),
        ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "authorization"),
    ];
    let reply = server.send("OPTIONS", "/accounts/bearer-1", &preflight, None);
    assert_eq!((reply.status, reply.header("access-control-allow-origin")), (200, Some(ALLOWED_ORIGIN)), "{reply:?}");
    assert!(reply.header("access-control-allow-headers").is_some_and(|h| h.contains("authorization")), "{reply:?}");
    let denied = server.send("GET", "/accounts/bearer-1", &[("Origin", ALLOWED_ORIGIN)], None);
    refused(&denied, 401, "Unauthorized");
    assert_eq!(denied.header("access-control-allow-origin"), Some(ALLOWED_ORIGIN), "the page can read why");
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn a_tenant_sees_only_its_own_accounts_and_nothing_of_anothers() {
    let (phone, laptop, rival) = (token("iso_phone"), token("iso_laptop"), token("iso_rival"));
    let file = TokensFile::new(
        "tenants",
        &[(&phone, "isoacme", "phone"), (&laptop, "isoacme", "laptop"), (&rival, "isoglobex", "tablet")],
    );
    let server = with_tokens(&file);
    // What the rival hears of an account that exists nowhere…
    let before = [
        server.get_as(&rival, "/accounts/iso-1"),
        server.get_as(&rival, "/accounts/iso-1/events"),
        server.post_as(&rival, "/accounts/iso-1", DEPOSIT),
    ];
    for reply in &before {
        refused(reply, 404, "AccountNotFound");
    }
    let with_id = r#"{"type":"OpenAccount","owner":"Alice","initial_balance":1000.0,"command_id":"c-1"}"#;
    answers(&server.post_as(&phone, "/accounts/iso-1", with_id), 200, &state("iso-1", "Alice", "1000.0", 1));
    answers(&server.post_as(&laptop, "/accounts/iso-1", DEPOSIT), 200, &state("iso-1", "Alice", "1500.0", 2));
    // …is exactly what it hears once the account exists in another tenant.
    let after = [
        server.get_as(&rival, "/accounts/iso-1"),
        server.get_as(&rival, "/accounts/iso-1/events"),
        server.post_as(&rival, "/accounts/iso-1", DEPOSIT),
    ];
    for (before, after) in before.iter().zip(&after) {
        assert_eq!((before.status, &before.body), (after.status, &after.body));
    }
    // The same account id, and the same command id, in the rival's own space.
    let theirs = r#"{"type":"OpenAccount","owner":"Bob","initial_balance":7,"command_id":"c-1"}"#;
    answers(&server.post_as(&rival, "/accounts/iso-1", theirs), 200, &state("iso-1", "Bob", "7.0", 1));
    answers(&server.post_as(&rival, "/accounts/iso-1", theirs), 200, &state("iso-1", "Bob", "7.0", 1));
    answers(&server.get_as(&rival, "/accounts/iso-1"), 200, &state("iso-1", "Bob", "7.0", 1));
    answers(&server.get_as(&phone, "/accounts/iso-1"), 200, &state("iso-1", "Alice", "1500.0", 2));
    let events = server.get_as(&laptop, "/accounts/iso-1/events");
    assert_eq!(serde_json::from_str::<Vec<serde_json::Value>>(&events.body).unwrap().len(), 2, "{events:?}");
    // A server without tokens serves its own tenant, which saw none of this.
    drop(server);
    refused(&Server::start().get("/accounts/iso-1"), 404, "AccountNotFound");
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn each_event_records_the_device_that_made_it() {
    let (phone, laptop) = (token("dev_phone"), token("dev_laptop"));
    let file = TokensFile::new("devices", &[(&phone, "devtest", "Alice's phone"), (&laptop, "devtest", "laptop")]);
    let server = with_tokens(&file);
    answers(&server.post_as(&phone, "/accounts/dev-1", OPEN), 200, &state("dev-1", "Alice", "1000.0", 1));
    answers(&server.post_as(&laptop, "/accounts/dev-1", DEPOSIT), 200, &state("dev-1", "Alice", "1500.0", 2));
    assert_eq!(devices("devtest-dev-1"), ["Alice's phone", "laptop"]);
    drop(server);
    let open = Server::start();
    answers(&open.post("/accounts/dev-2", OPEN), 200, &state("dev-2", "Alice", "1000.0", 1));
    assert_eq!(devices("ledger-dev-2"), ["http"], "without tokens, a POST's device is http");
}

/// Polls `reply` until its status is `status`, for up to 5 s; answers how long.
fn within_seconds(status: u16, reply: impl Fn() -> support::Reply) -> Duration {
    let start = Instant::now();
    loop {
        let got = reply();
        if got.status == status {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(5), "still {got:?} after 5 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn a_removed_line_revokes_its_device_without_a_restart() {
    let (phone, stolen) = (token("rev_phone"), token("rev_stolen"));
    let file = TokensFile::new("revoke", &[(&phone, "revtest", "phone"), (&stolen, "revtest", "stolen")]);
    let server = with_tokens(&file);
    answers(&server.post_as(&stolen, "/accounts/rev-1", OPEN), 200, &state("rev-1", "Alice", "1000.0", 1));
    file.write(&[(&phone, "revtest", "phone")]);
    let took = within_seconds(401, || server.get_as(&stolen, "/accounts/rev-1"));
    eprintln!("revoked after {took:?}");
    assert!(took < Duration::from_secs(3), "revoked after {took:?}");
    refused(&server.get_as(&stolen, "/accounts/rev-1"), 401, "Unauthorized");
    assert_eq!(server.get_as(&phone, "/accounts/rev-1").status, 200);
    // A broken file is not taken: the devices stay as they were.
    file.write_text("# half written\nbroken\n");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(server.get_as(&phone, "/accounts/rev-1").status, 200);
    refused(&server.get_as(&stolen, "/accounts/rev-1"), 401, "Unauthorized");
    // A new line is taken as soon.
    let tablet = token("rev_tablet");
    file.write(&[(&phone, "revtest", "phone"), (&tablet, "revtest", "tablet")]);
    within_seconds(200, || server.get_as(&tablet, "/accounts/rev-1"));
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn over_the_rate_limit_is_429_with_retry_after_per_token() {
    let (busy, calm) = (token("rate_busy"), token("rate_calm"));
    let file = TokensFile::new("rate", &[(&busy, "ratetest", "busy"), (&calm, "ratetest", "calm")]);
    let server = Server::start_with(&[("TOKENS_FILE", file.path()), ("RATE_LIMIT", "1"), ("RATE_BURST", "3")]);
    for _ in 0..3 {
        refused(&server.get_as(&busy, "/accounts/rate-1"), 404, "AccountNotFound");
    }
    let limited = server.get_as(&busy, "/accounts/rate-1");
    refused(&limited, 429, "TooManyRequests");
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{limited:?}");
    refused(&server.get_as(&calm, "/accounts/rate-1"), 404, "AccountNotFound");
    assert_eq!(server.get("/health").status, 200, "health is not limited");
    std::thread::sleep(Duration::from_secs(wait));
    refused(&server.get_as(&busy, "/accounts/rate-1"), 404, "AccountNotFound");

    // Without tokens, one bucket for the one machine it serves.
    let open = Server::start_with(&[("RATE_LIMIT", "1"), ("RATE_BURST", "2")]);
    let statuses: Vec<u16> = (0..3).map(|_| open.get("/accounts/rate-1").status).collect();
    assert_eq!(statuses, [404, 404, 429]);
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn it_refuses_to_start_beyond_loopback_without_tokens_or_with_a_bad_tokens_file() {
    let said = Server::refuses_to_start(&[("HOST", "0.0.0.0")]);
    assert!(said.contains("TOKENS_FILE") && said.contains("loopback"), "{said}");
    let missing = Server::refuses_to_start(&[("TOKENS_FILE", "/nonexistent/tokens")]);
    assert!(missing.contains("/nonexistent/tokens"), "{missing}");
    let secret = token("start_secret");
    let file = TokensFile::new("start", &[(&secret, "starttest", "phone")]);
    file.write_text(&format!("# devices\n{secret} starttest phone\n{secret} start-test laptop\n"));
    let bad = Server::refuses_to_start(&[("TOKENS_FILE", file.path())]);
    assert!(bad.contains("line 3") && !bad.contains(&secret), "{bad}");
    file.write_text(&format!("{} starttest phone\n", &secret[..31]));
    let short = Server::refuses_to_start(&[("TOKENS_FILE", file.path())]);
    assert!(short.contains("line 1") && short.contains("32"), "{short}");
    let rate = Server::refuses_to_start(&[("RATE_LIMIT", "fast")]);
    assert!(rate.contains("RATE_LIMIT"), "{rate}");
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn with_tokens_the_apps_files_load_without_one() {
    let phone = token("auth_dist");
    let file = TokensFile::new("dist", &[(&phone, "authtest", "phone")]);
    let dist = std::env::temp_dir().join(format!("ledger-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>ledger</title>").unwrap();
    let server = Server::start_with(&[("TOKENS_FILE", file.path()), ("DIST", dist.to_str().unwrap())]);
    let page = server.get("/index.html");
    assert_eq!((page.status, page.body.as_str()), (200, "<!doctype html><title>ledger</title>"), "{page:?}");
    refused(&server.get("/accounts/dist-1"), 401, "Unauthorized");
    let _ = std::fs::remove_dir_all(&dist);
}
