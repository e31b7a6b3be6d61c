//! Hostile input, with and without tokens: every request of a long list of
//! malformed, oversized and adversarial ones is answered with a 4xx and a
//! `{"code","message"}` body, never a 500, and the server still answers
//! `/health` afterwards. Run by scripts/test-server.sh.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use support::{answers, token, Reply, Server, TokensFile};

const OPEN: &str = r#"{"type":"OpenAccount","owner":"Alice","initial_balance":1000.0}"#;

/// A request: method, path, extra headers, body.
struct Hostile {
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

fn post(path: &str, body: impl Into<Vec<u8>>) -> Hostile {
    let headers = vec![("Content-Type".into(), "application/json".into())];
    Hostile { method: "POST", path: path.into(), headers, body: Some(body.into()) }
}

fn get(path: impl Into<String>) -> Hostile {
    Hostile { method: "GET", path: path.into(), headers: Vec::new(), body: None }
}

fn with(mut request: Hostile, name: &str, value: &str) -> Hostile {
    request.headers.push((name.into(), value.into()));
    request
}

/// Bodies, paths and headers that must each be refused with a 4xx.
fn hostile(account: &str) -> Vec<Hostile> {
    let at = format!("/accounts/{account}");
    let mut list = Vec::new();
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(5000), "}".repeat(5000));
    let bodies: Vec<Vec<u8>> = vec![
        "[".repeat(100_000).into(),
        deep_object.into(),
        b"".to_vec(),
        b"null".to_vec(),
        b"\"\\u0000\"".to_vec(),
        b"{\"type\":\"Deposit\",\"amount\":\xff}".to_vec(),
        b"\xef\xbb\xbf{\"type\":\"Deposit\",\"amount\":1}".to_vec(),
        b"{\"type\":\"Deposit\",\"amount\":1}\x00".to_vec(),
        br#"{"type":1,"amount":1}"#.to_vec(),
        br#"{"type":null}"#.to_vec(),
        br#"{"type":"Deposit"}"#.to_vec(),
        br#"{"type":"Deposit","amount":true}"#.to_vec(),
        br#"{"type":"Deposit","amount":null}"#.to_vec(),
        br#"{"type":"Deposit","amount":[1]}"#.to_vec(),
        br#"{"type":"Deposit","amount":{"cents":1}}"#.to_vec(),
        br#"{"type":"Deposit","amount":NaN}"#.to_vec(),
        br#"{"type":"Deposit","amount":Infinity}"#.to_vec(),
        br#"{"type":"Deposit","amount":-Infinity}"#.to_vec(),
        br#"{"type":"Deposit","amount":"NaN"}"#.to_vec(),
        br#"{"type":"Deposit","amount":"Infinity"}"#.to_vec(),
        br#"{"type":"Deposit","amount":1e999}"#.to_vec(),
        br#"{"type":"Deposit","amount":-1e999}"#.to_vec(),
        br#"{"type":"Deposit","amount":1e-999}"#.to_vec(),
        br#"{"type":"Deposit","amount":-0.01}"#.to_vec(),
        br#"{"type":"Deposit","amount":-0}"#.to_vec(),
        br#"{"type":"Deposit","amount":0.001}"#.to_vec(),
        br#"{"type":"Deposit","amount":"1.001"}"#.to_vec(),
        br#"{"type":"Deposit","amount":"1,00"}"#.to_vec(),
        br#"{"type":"Deposit","amount":"1 000"}"#.to_vec(),
        br#"{"type":"Deposit","amount":"0x10"}"#.to_vec(),
        br#"{"type":"Deposit","amount":18446744073709551616}"#.to_vec(),
        br#"{"type":"Deposit","amount":1,"amount":2}"#.to_vec(),
        br#"{"type":"Deposit","amount":1,"Type":"Withdraw"}"#.to_vec(),
        br#"{"type":"Deposit","amount":1,"command_id":""}"#.to_vec(),
        br#"{"type":"Deposit","amount":1,"command_id":7}"#.to_vec(),
        format!(r#"{{"type":"Deposit","amount":1,"command_id":"{}"}}"#, "c".repeat(10_000)).into(),
        br#"{"type":"Deposit","amount":1,"command_id":"a\u0000b"}"#.to_vec(),
        br#"{"type":"OpenAccount","owner":"\u0000","initial_balance":1}"#.to_vec(),
        br#"{"type":"OpenAccount","owner":"\u001b[31mred","initial_balance":1}"#.to_vec(),
        br#"{"type":"OpenAccount","owner":"\ud800","initial_balance":1}"#.to_vec(),
        br#"{"type":"OpenAccount","owner":"   ","initial_balance":1}"#.to_vec(),
        format!(r#"{{"type":"OpenAccount","owner":"{}","initial_balance":1}}"#, "A".repeat(60_000)).into(),
        format!(r#"{{"type":"Deposit","amount":1,"pad":"{}"}}"#, "x".repeat(100_000)).into(),
    ];
    for body in bodies {
        list.push(post(&at, body));
    }
    for path in [
        "/accounts/%00",
        "/accounts/..%2F",
        "/accounts/..%2f..%2fetc%2fpasswd",
        "/accounts/%2e%2e",
        "/accounts/.",
        "/accounts/a%20b",
        "/accounts/%",
        "/accounts/%zz",
        "/accounts/%c3%28",
        "/accounts/%e2%80%ae",
        "/accounts/a%0d%0aSet-Cookie:x",
        "/accounts//events",
        "/accounts/",
        "/accounts",
        "/accounts/x/events/more",
        "/sync/accounts/%00",
        "/sync/accounts/a%20b",
        "/sync/accounts/..%2F",
        "/sync/accounts/x?after=-1",
        "/sync/accounts/x?after=18446744073709551616",
        "/sync/accounts/x?limit=0",
        "/sync/accounts/x?limit=1001",
        "/sync/accounts/x?after=%00",
        "/sync/accounts/x?wait=1",
        "/sync/accounts/x?after",
        "/sync/accounts/x/events",
        "/sync/accounts?after=1",
        "/sync/accounts?%zz",
        "/sync/accounts//",
    ] {
        list.push(get(path));
    }
    list.push(get(format!("/accounts/{}", "x".repeat(65))));
    list.push(get(format!("/sync/accounts/{}", "x".repeat(65))));
    list.push(get(format!("/accounts/{}", "x".repeat(20_000))));
    list.push(get(format!("/health?{}", "q".repeat(20_000))));
    list.push(with(post(&at, OPEN), "Content-Type", "text/plain"));
    list.push(with(post(&at, OPEN), "Content-Type", "application/json"));
    list.push(Hostile { method: "POST", path: at.clone(), headers: Vec::new(), body: Some(OPEN.into()) });
    list.push(with(with(get("/health"), "Host", "127.0.0.1"), "Host", "127.0.0.1"));
    list.push(with(get(&at), "Origin", "https://evil.example"));
    list.push(with(with(get(&at), "Origin", "null"), "Origin", "null"));
    list.push(Hostile { method: "DELETE", path: at.clone(), headers: Vec::new(), body: None });
    list.push(Hostile { method: "PUT", path: at.clone(), headers: Vec::new(), body: Some(OPEN.into()) });
    list.push(Hostile { method: "BREW", path: at.clone(), headers: Vec::new(), body: None });
    list
}

/// Bad `Authorization` forms: each is 401 on a server with tokens.
fn bad_authorizations(good: &str) -> Vec<Vec<(String, String)>> {
    let one = |value: String| vec![("Authorization".to_owned(), value)];
    vec![
        Vec::new(),
        one("Bearer".into()),
        one("Bearer ".into()),
        one(format!("Bearer  {good}")),
        one(format!("Basic {good}")),
        one(good.to_owned()),
        one(format!("Bearer {good} extra")),
        one(format!("Bearer {}", &good[..31])),
        one(format!("Bearer {}", "\u{e9}".repeat(20))),
        vec![("Authorization".to_owned(), format!("Bearer {good}")), ("Authorization".to_owned(), format!("Bearer {good}"))],
    ]
}

fn send(server: &Server, request: &Hostile, auth: Option<&str>) -> Reply {
    let mut headers: Vec<(&str, &str)> = request.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let bearer = auth.map(|token| format!("Bearer {token}"));
    if let Some(bearer) = &bearer {
        headers.push(("Authorization", bearer));
    }
    server.send(request.method, &request.path, &headers, request.body.as_deref())
}

/// Whether `reply` is a 4xx with a `{"code","message"}` JSON body; if not,
/// why, for the list of failures.
fn impolite(reply: &Reply, what: &str) -> Option<String> {
    let json: Option<serde_json::Value> = serde_json::from_str(&reply.body).ok();
    let coded = json.as_ref().is_some_and(|json| {
        json.get("code").is_some_and(|c| c.as_str().is_some_and(|c| !c.is_empty()))
            && json.get("message").is_some_and(serde_json::Value::is_string)
    });
    let polite = (400..500).contains(&reply.status) && reply.header("content-type") == Some("application/json") && coded;
    (!polite).then(|| format!("{what}\n  -> {} {:.200}", reply.status, reply.body))
}

#[track_caller]
fn none_impolite(failures: &[String]) {
    assert!(failures.is_empty(), "{} answers were not a 4xx with {{code,message}}:\n{}", failures.len(), failures.join("\n"));
}

fn describe(request: &Hostile) -> String {
    let body = request.body.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
    format!("{} {:.80} {:?} {:.80}", request.method, request.path, request.headers, body)
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn hostile_requests_without_tokens_are_4xx_json_never_500() {
    let server = Server::start();
    answers(&server.post("/accounts/hostile-1", OPEN), 200, r#"{"id":"hostile-1","owner":"Alice","balance":1000.0,"version":1}"#);
    let failures: Vec<String> =
        hostile("hostile-1").iter().filter_map(|request| impolite(&send(&server, request, None), &describe(request))).collect();
    none_impolite(&failures);
    // What hyper refuses itself, before any of the server's code runs, has
    // no JSON body (hyper writes it): a 4xx, and the server goes on.
    for raw in [
        format!("GET /accounts/{} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "x".repeat(500_000)),
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX: \u{1}\r\n\r\n".to_owned(),
        "POST /accounts/hostile-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}".to_owned(),
        "GARBAGE\r\n\r\n".to_owned(),
    ] {
        let reply = server.raw(raw.as_bytes());
        assert!((400..500).contains(&reply.status), "{raw:.60}: {reply:?}");
    }
    assert_eq!(server.get("/health").status, 200);
    answers(&server.get("/accounts/hostile-1"), 200, r#"{"id":"hostile-1","owner":"Alice","balance":1000.0,"version":1}"#);
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn hostile_requests_with_tokens_are_4xx_json_never_500() {
    let good = token("hostile_phone");
    let file = TokensFile::new("hostile", &[(&good, "hostiletest", "phone")]);
    let server = Server::start_with(&[("TOKENS_FILE", file.path())]);
    let opened = r#"{"id":"hostile-2","owner":"Alice","balance":1000.0,"version":1}"#;
    answers(&server.post_as(&good, "/accounts/hostile-2", OPEN), 200, opened);
    let mut failures = Vec::new();
    for request in hostile("hostile-2") {
        let what = describe(&request);
        failures.extend(impolite(&send(&server, &request, Some(&good)), &what));
        failures.extend(impolite(&send(&server, &request, None), &format!("no token: {what}")));
    }
    none_impolite(&failures);
    for headers in bad_authorizations(&good) {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let reply = server.send("GET", "/accounts/hostile-2", &headers, None);
        assert_eq!((reply.status, reply.code().as_str()), (401, "Unauthorized"), "{headers:?}: {reply:?}");
    }
    assert_eq!(server.get("/health").status, 200);
    answers(&server.get_as(&good, "/accounts/hostile-2"), 200, opened);
}
