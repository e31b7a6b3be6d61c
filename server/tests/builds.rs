//! Builds of different ages (docs/sync-protocol.md, version 3): a device of
//! protocol 2 (recorded from 48395b1: tests/fixtures/sync-v2/) reads every
//! answer of this server in the form it knows, and every answer announces
//! the schema this server takes, readable and sendable across origins.
//! Run by scripts/test-server.sh.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::collections::BTreeSet;

use ledger_core::{Behind, Heads, Pulled, Pushed, SCHEMA, SCHEMA_HEADER};
use support::{Server, ALLOWED_ORIGIN};

const V2_PUSH: &str = include_str!("fixtures/sync-v2/push.json");
const V2_MEMBERS: &str = include_str!("fixtures/sync-v2/members.txt");

/// The members a protocol-2 device reads in an answer of `kind`: those it
/// must have, and those it may.
fn v2_members(kind: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let line = V2_MEMBERS
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(kind).and_then(|rest| rest.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no members for {kind}"));
    let mut required = BTreeSet::new();
    let mut all = BTreeSet::new();
    for name in line.split_whitespace() {
        let bare = name.trim_end_matches('?');
        if bare == name {
            required.insert(bare.to_owned());
        }
        all.insert(bare.to_owned());
    }
    (required, all)
}

/// `value` is an object with the members a protocol-2 device reads as `kind`.
#[track_caller]
fn read_by_v2(kind: &str, value: &serde_json::Value) {
    let names: BTreeSet<String> =
        value.as_object().unwrap_or_else(|| panic!("{kind} is not an object: {value}")).keys().cloned().collect();
    let (required, all) = v2_members(kind);
    assert!(required.is_subset(&names) && names.is_subset(&all), "{kind}: {names:?}, a protocol-2 device reads {all:?}");
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Every answer to a request without the schema header, as a device of
/// protocol 2 sends it: the pushed form, a conflict, a pull with its
/// events, the heads, an account's events.
#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn a_device_of_protocol_2_reads_every_answer_in_the_form_it_knows() {
    let server = Server::start();
    let reply = server.post("/sync/accounts/v2-device", V2_PUSH.trim());
    assert_eq!(reply.status, 200, "{reply:?}");
    read_by_v2("pushed", &json(&reply.body));
    assert_eq!(Pushed::read(&reply.body).unwrap().version.get(), 3);
    // Again: stored already, the same answer.
    assert_eq!(server.post("/sync/accounts/v2-device", V2_PUSH.trim()).body, reply.body);

    // A command through the original's API moves the stream: the device's
    // push of a fourth event of its own is answered with what it lacks
    // (decided before the event's hash is looked at).
    assert_eq!(server.post("/accounts/v2-device", r#"{"type":"Deposit","amount":1}"#).status, 200);
    let events = json(V2_PUSH);
    let mut stale = events.clone();
    stale["after"] = 3.into();
    stale["events"] = serde_json::Value::Array(vec![events["events"][2].clone()]);
    stale["events"][0]["version"] = 4.into();
    let conflict = server.post("/sync/accounts/v2-device", &stale.to_string());
    assert_eq!(conflict.status, 409, "{conflict:?}");
    let behind = json(&conflict.body);
    read_by_v2("behind", &behind);
    for event in behind["missing"].as_array().unwrap() {
        read_by_v2("event", event);
    }
    Behind::read(&conflict.body).unwrap();

    let pulled = server.get("/sync/events?after=0");
    let page = json(&pulled.body);
    read_by_v2("pulled", &page);
    // Other tests' events share the ledger: every one is read, four are this one's.
    for event in page["events"].as_array().unwrap() {
        read_by_v2("event", event);
    }
    let read = Pulled::read(&pulled.body).unwrap();
    assert_eq!(read.events.iter().filter(|e| e.account.as_str() == "v2-device").count(), 4);

    let heads = server.get("/sync/accounts");
    read_by_v2("heads", &json(&heads.body));
    for head in json(&heads.body)["accounts"].as_array().unwrap() {
        read_by_v2("head", head);
    }
    Heads::read(&heads.body).unwrap();

    let account = server.get("/sync/accounts/v2-device?after=2");
    read_by_v2("pulled", &json(&account.body));
    assert_eq!(Pulled::read(&account.body).unwrap().events.len(), 2);
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn every_answer_announces_the_schema_and_a_page_of_another_origin_may_read_and_send_it() {
    let server = Server::start();
    let schema = SCHEMA.number.to_string();
    let header = SCHEMA_HEADER.to_ascii_lowercase();
    for (method, path, body) in [
        ("GET", "/sync/accounts", None),
        ("GET", "/sync/events?after=0", None),
        ("GET", "/sync/accounts/none-here", None),
        ("GET", "/sync/events?after=x", None),
        ("POST", "/sync/accounts/s", Some("{}")),
        ("GET", "/accounts/none-here", None),
    ] {
        let headers = [("Content-Type", "application/json"), (SCHEMA_HEADER, schema.as_str())];
        let reply = server.send(method, path, &headers, body.map(str::as_bytes));
        assert_eq!(reply.header(&header), Some(schema.as_str()), "{method} {path}: {reply:?}");
    }
    // A page of a listed origin: the preflight allows the header, and the
    // answer lets the page read it.
    let preflight = [
        ("Origin", ALLOWED_ORIGIN),
        ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "authorization,ledger-schema"),
    ];
    let reply = server.send("OPTIONS", "/sync/accounts", &preflight, None);
    assert_eq!(reply.status, 200, "{reply:?}");
    let allowed = reply.header("access-control-allow-headers").unwrap_or_default().to_ascii_lowercase();
    assert!(allowed.contains(&header), "{reply:?}");
    let reply = server.send("GET", "/sync/accounts", &[("Origin", ALLOWED_ORIGIN), (SCHEMA_HEADER, &schema)], None);
    let exposed = reply.header("access-control-expose-headers").unwrap_or_default().to_ascii_lowercase();
    assert!(exposed.contains(&header), "{reply:?}");
}
