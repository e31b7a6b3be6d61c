//! In a real browser (Chromium and Firefox, headless): the localStorage store
//! passes the same contract as the native stores, keeps data across
//! instances, reports damage without touching it, stores nothing when full;
//! and the JS API runs the original walkthrough and types every rejection.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::sync::atomic::{AtomicU32, Ordering};

use bank_ledger::{js_api, EventStore, ExpectedVersion, KvStore, StoreError, Version};
use bank_ledger::{open_ledger, LocalStorageKv, NAMESPACE};
use ledger_core::testing::FailingKv;
use support::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Clears the page's localStorage: every test starts from nothing.
fn storage() -> web_sys::Storage {
    let kv = LocalStorageKv::open().unwrap();
    kv.raw().clone()
}

fn cleared() -> web_sys::Storage {
    let storage = storage();
    storage.clear().unwrap();
    storage
}

/// A store over a cleared localStorage, in a namespace of its own.
fn fresh_store() -> KvStore<LocalStorageKv> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    cleared();
    let namespace = format!("test-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    KvStore::new(LocalStorageKv::open().unwrap(), &namespace)
}

mod local_storage_contract {
    use super::*;
    store_contract!(wasm_bindgen_test, fresh_store());
}

/// The store of a device linked to a server: appends go to pending logs.
fn linked_store() -> bank_ledger::SyncedStore<LocalStorageKv> {
    let mut store = bank_ledger::SyncedStore::new(fresh_store());
    store.save_link(&bank_ledger::Link { url: "http://127.0.0.1:1".into(), token: None }).unwrap();
    store
}

mod linked_local_storage_contract {
    use super::*;
    store_contract!(wasm_bindgen_test, linked_store());
}

#[wasm_bindgen_test]
fn pending_events_live_apart_from_the_stream_and_read_back_in_a_new_instance() {
    cleared();
    let open = || bank_ledger::SyncedStore::new(KvStore::new(LocalStorageKv::open().unwrap(), "test-pending"));
    let mut store = open();
    store.save_link(&bank_ledger::Link { url: "http://127.0.0.1:1".into(), token: None }).unwrap();
    let id = id("acc-p");
    let stored = store
        .append(
            &id,
            ExpectedVersion(Version::EMPTY),
            vec![new_event("e-1", 1, opened("Ann", "1.00")), new_event("e-2", 2, deposited("2.00"))],
        )
        .unwrap();
    assert_eq!(store.inner().read(&id, Version::EMPTY).unwrap(), vec![], "the confirmed stream is untouched");
    let again = open();
    assert_eq!(again.read(&id, Version::EMPTY).unwrap(), stored);
    assert_eq!(again.pending_count(&id).unwrap(), 2);
}

fn at(version: u64) -> ExpectedVersion {
    ExpectedVersion(Version::new(version))
}

/// Everything in localStorage, sorted: to prove nothing changed.
fn snapshot(storage: &web_sys::Storage) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = (0..storage.length().unwrap())
        .filter_map(|i| storage.key(i).unwrap())
        .map(|key| {
            let value = storage.get_item(&key).unwrap().unwrap_or_default();
            (key, value)
        })
        .collect();
    entries.sort();
    entries
}

/// Fills localStorage until it refuses one more character; returns the
/// filler keys. Each test that fills clears storage again at its end.
fn fill(storage: &web_sys::Storage) -> usize {
    let mut chunk = 1 << 20;
    let mut count = 0;
    while chunk > 0 {
        if storage.set_item(&format!("filler-{count}"), &"x".repeat(chunk)).is_ok() {
            count += 1;
        } else {
            chunk /= 2;
        }
    }
    count
}

#[wasm_bindgen_test]
fn data_survives_a_new_store_instance() {
    cleared();
    let acc = id("acc-001");
    let mut first = KvStore::new(LocalStorageKv::open().unwrap(), "test-survival");
    let stored = first.append(&acc, at(0), vec![new_event("e-1", 1, opened("Alice", "1000.00"))]).unwrap();
    drop(first);
    let second = KvStore::new(LocalStorageKv::open().unwrap(), "test-survival");
    assert_eq!(second.read(&acc, Version::EMPTY).unwrap(), stored);
    let elsewhere = KvStore::new(LocalStorageKv::open().unwrap(), "test-elsewhere");
    assert_eq!(elsewhere.read(&acc, Version::EMPTY).unwrap(), vec![], "another namespace sees nothing");
}

#[wasm_bindgen_test]
fn damaged_keys_give_storage_corrupt_and_stay_byte_identical() {
    let mut store = fresh_store();
    let (a, b) = (id("acc-001"), id("acc-002"));
    store.append(&a, at(0), vec![new_event("a-1", 1, opened("Alice", "1.00"))]).unwrap();
    store.append(&a, at(1), vec![new_event("a-2", 2, deposited("1.00"))]).unwrap();
    store.append(&b, at(0), vec![new_event("b-1", 3, opened("Bob", "1.00"))]).unwrap();
    let key = store.keys().segment(&a, 0);
    let garbage = "{\"schema\":1,\"version\":2,\u{0}\u{fffd} not json";
    storage().set_item(&key, garbage).unwrap();

    match store.read(&a, Version::EMPTY) {
        Err(StoreError::Corrupt { key: named, .. }) => assert_eq!(named, key),
        other => panic!("{other:?}"),
    }
    assert_eq!(storage().get_item(&key).unwrap().as_deref(), Some(garbage));
    assert_eq!(store.read(&b, Version::EMPTY).unwrap().len(), 1, "the other account still reads");
    store.append(&b, at(1), vec![new_event("b-2", 4, deposited("1.00"))]).unwrap();
}

#[wasm_bindgen_test]
fn quota_exhaustion_gives_storage_full_with_nothing_partial() {
    let mut store = fresh_store();
    let acc = id("acc-001");
    store.append(&acc, at(0), vec![new_event("a-1", 1, opened("Alice", "1.00"))]).unwrap();
    let storage = storage();
    assert!(fill(&storage) > 0);
    let before = snapshot(&storage);
    let result = store.append(&acc, at(1), vec![new_event("a-2", 2, deposited("1.00")), new_event("a-3", 3, deposited("2.00"))]);
    let after = snapshot(&storage);
    storage.clear().unwrap();
    assert_eq!(result, Err(StoreError::Full));
    assert!(before == after, "nothing partial stays");
}

fn js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn json(value: &JsValue) -> String {
    js_sys::JSON::stringify(value).unwrap().into()
}

fn code(result: Result<JsValue, JsValue>) -> String {
    let error = result.expect_err("the call should have been rejected");
    assert!(error.is_instance_of::<js_sys::Error>(), "a JS Error is thrown: {error:?}");
    js_sys::Reflect::get(&error, &"code".into()).unwrap().as_string().unwrap_or_default()
}

fn acc(name: &str) -> JsValue {
    JsValue::from_str(name)
}

#[wasm_bindgen_test]
async fn the_original_walkthrough_through_the_js_api() {
    cleared();
    let id = acc("acc-001");
    js_api::execute(id.clone(), js(r#"{"type":"OpenAccount","owner":"Alice","initial_balance":1000.0}"#)).await.unwrap();
    js_api::execute(id.clone(), js(r#"{"type":"Deposit","amount":500.0}"#)).await.unwrap();
    let state = js_api::execute(id.clone(), js(r#"{"type":"Withdraw","amount":200.0}"#)).await.unwrap();
    let expected = r#"{"id":"acc-001","owner":"Alice","balance":1300,"version":3}"#;
    assert_eq!(json(&state), expected);
    assert_eq!(json(&js_api::account(id.clone()).unwrap()), expected);
    assert_eq!(
        json(&js_api::events(id.clone()).unwrap()),
        r#"[{"type":"AccountOpened","owner":"Alice","initial_balance":1000},{"type":"MoneyDeposited","amount":500},{"type":"MoneyWithdrawn","amount":200}]"#
    );
    let history = js_api::history(id.clone()).unwrap();
    let first = js_sys::Array::from(&history).get(0);
    for field in ["version", "sequence", "recorded_at", "event_id", "event"] {
        assert!(js_sys::Reflect::has(&first, &field.into()).unwrap(), "history has {field}");
    }
    assert_eq!(
        json(&js_api::account_at(id.clone(), JsValue::from(1)).unwrap()),
        r#"{"id":"acc-001","owner":"Alice","balance":1000,"version":1}"#
    );
    assert_eq!(json(&js_api::accounts().unwrap()), format!("[{expected}]"));
    assert!(js_api::account(acc("nobody")).unwrap().is_null());
    assert_eq!(json(&js_api::events(acc("nobody")).unwrap()), "[]");

    // A new ledger over the same storage, as after a reload, sees the same.
    let mut reloaded = open_ledger(NAMESPACE).unwrap();
    let state = reloaded.account(&support::id("acc-001")).unwrap().unwrap();
    assert_eq!((state.balance.to_string(), state.version.get()), ("1300.00".to_owned(), 3));
}

#[wasm_bindgen_test]
async fn point_one_plus_point_two_is_exactly_point_three() {
    cleared();
    js_api::execute(acc("cents"), js(r#"{"type":"OpenAccount","owner":"C","initial_balance":0}"#)).await.unwrap();
    js_api::execute(acc("cents"), js(r#"{"type":"Deposit","amount":0.1}"#)).await.unwrap();
    let state = js_api::execute(acc("cents"), js(r#"{"type":"Deposit","amount":0.2}"#)).await.unwrap();
    assert_eq!(js_sys::Reflect::get(&state, &"balance".into()).unwrap().as_f64(), Some(0.3));
}

#[wasm_bindgen_test]
async fn every_rejection_has_its_code() {
    cleared();
    let open = r#"{"type":"OpenAccount","owner":"Alice","initial_balance":10}"#;
    js_api::execute(acc("acc-1"), js(open)).await.unwrap();
    let cases: [(&str, Result<JsValue, JsValue>); 14] = [
        ("InvalidCommand", js_api::execute(acc("acc-1"), js(r#"{"type":"Steal","amount":1}"#)).await),
        ("InvalidCommand", js_api::execute(acc("acc-1"), js(r#"{"type":"Deposit","amount":1,"amonut":1}"#)).await),
        ("InvalidCommand", js_api::execute(acc("acc-1"), js(r#"{"type":"Deposit"}"#)).await),
        ("InvalidCommand", js_api::execute(acc("acc-1"), JsValue::from(5)).await),
        ("InvalidAmount", js_api::execute(acc("acc-1"), js(r#"{"type":"Deposit","amount":0.001}"#)).await),
        ("InvalidAmount", js_api::execute(acc("acc-1"), js(r#"{"type":"Deposit","amount":0}"#)).await),
        ("InvalidAmount", js_api::execute(acc("acc-1"), js(r#"{"type":"Deposit","amount":1e13}"#)).await),
        ("InvalidAccountId", js_api::execute(acc("bad id"), js(open)).await),
        ("InvalidAccountId", js_api::account(JsValue::from(7))),
        ("InvalidOwner", js_api::execute(acc("acc-2"), js(r#"{"type":"OpenAccount","owner":"  ","initial_balance":1}"#)).await),
        ("AccountNotFound", js_api::execute(acc("acc-9"), js(r#"{"type":"Deposit","amount":1}"#)).await),
        ("AccountAlreadyExists", js_api::execute(acc("acc-1"), js(open)).await),
        ("InsufficientFunds", js_api::execute(acc("acc-1"), js(r#"{"type":"Withdraw","amount":10.01}"#)).await),
        ("InvalidVersion", js_api::account_at(acc("acc-1"), JsValue::from(2))),
    ];
    for (index, (expected, result)) in cases.into_iter().enumerate() {
        assert_eq!(code(result), expected, "case {index}");
    }
    let error = js_api::execute(acc("acc-1"), js(r#"{"type":"Withdraw","amount":11}"#)).await.unwrap_err();
    let message: String = error.unchecked_ref::<js_sys::Error>().message().into();
    assert!(message.contains("Insufficient funds"), "{message}");
    assert_eq!(json(&js_api::account(acc("acc-1")).unwrap()), r#"{"id":"acc-1","owner":"Alice","balance":10,"version":1}"#);
}

#[wasm_bindgen_test]
async fn damage_through_the_js_api_is_storage_corrupt_naming_the_key() {
    let storage = cleared();
    js_api::execute(acc("healthy"), js(r#"{"type":"OpenAccount","owner":"H","initial_balance":1}"#)).await.unwrap();
    // Written by another store instance, so the API's ledger has not cached it.
    let mut other = KvStore::new(LocalStorageKv::open().unwrap(), NAMESPACE);
    other.append(&id("hurt"), at(0), vec![new_event("h-1", 1, opened("Hurt", "1.00"))]).unwrap();
    let key = "ledger/v2/seg/hurt/0";
    storage.set_item(key, "tampered").unwrap();

    let error = js_api::account(acc("hurt")).unwrap_err();
    assert_eq!(js_sys::Reflect::get(&error, &"code".into()).unwrap().as_string().as_deref(), Some("StorageCorrupt"));
    assert_eq!(js_sys::Reflect::get(&error, &"key".into()).unwrap().as_string().as_deref(), Some(key));
    assert_eq!(code(js_api::execute(acc("hurt"), js(r#"{"type":"Deposit","amount":1}"#)).await), "StorageCorrupt");
    assert_eq!(storage.get_item(key).unwrap().as_deref(), Some("tampered"));
    assert!(json(&js_api::damaged().unwrap()).contains(key));
    js_api::execute(acc("healthy"), js(r#"{"type":"Deposit","amount":1}"#)).await.unwrap();
    assert_eq!(json(&js_api::accounts().unwrap()), r#"[{"id":"healthy","owner":"H","balance":2,"version":2}]"#);
}

#[wasm_bindgen_test]
async fn a_full_storage_through_the_js_api_is_storage_full_and_reads_still_work() {
    let storage = cleared();
    js_api::execute(acc("acc-1"), js(r#"{"type":"OpenAccount","owner":"A","initial_balance":1}"#)).await.unwrap();
    fill(&storage);
    let before = snapshot(&storage);
    let result = js_api::execute(acc("acc-1"), js(r#"{"type":"Deposit","amount":1}"#)).await;
    let unchanged = snapshot(&storage) == before;
    let state = json(&js_api::account(acc("acc-1")).unwrap());
    storage.clear().unwrap();
    assert_eq!(code(result), "StorageFull");
    assert!(unchanged, "nothing partial stays");
    assert_eq!(state, r#"{"id":"acc-1","owner":"A","balance":1,"version":1}"#);
}

#[wasm_bindgen_test]
async fn no_argument_of_any_type_makes_the_module_panic() {
    cleared();
    let codes = [
        "InvalidCommand",
        "InvalidAmount",
        "InvalidAccountId",
        "InvalidOwner",
        "AccountNotFound",
        "AccountAlreadyExists",
        "InsufficientFunds",
        "InvalidVersion",
    ];
    let nested = js(&format!("{}1{}", "{\"a\":".repeat(500), "}".repeat(500)));
    let values = [
        JsValue::UNDEFINED,
        JsValue::NULL,
        JsValue::from(f64::NAN),
        JsValue::from(f64::INFINITY),
        JsValue::from(-0.0),
        JsValue::from(1e308),
        JsValue::from_str(""),
        JsValue::from_str(&"x".repeat(100_000)),
        js_sys::BigInt::from(5).into(),
        js_sys::Symbol::for_("s").into(),
        js_sys::Array::new().into(),
        js("{}"),
        js(r#"{"__proto__":{"type":"Deposit"}}"#),
        js(r#"{"type":"Deposit","amount":{"valueOf":1}}"#),
        js(r#"{"type":"OpenAccount","owner":["A"],"initial_balance":1}"#),
        js(r#"{"type":"Deposit","amount":"12.345"}"#),
        nested,
        js_sys::Function::new_no_args("return 1").into(),
    ];
    for value in &values {
        for result in [
            js_api::execute(value.clone(), js(r#"{"type":"Deposit","amount":1}"#)).await,
            js_api::execute(acc("acc-1"), value.clone()).await,
            js_api::account(value.clone()),
            js_api::events(value.clone()),
            js_api::history(value.clone()),
            js_api::account_at(acc("acc-1"), value.clone()),
            js_api::account_at(value.clone(), JsValue::from(0)),
        ] {
            if let Err(error) = result {
                let code = js_sys::Reflect::get(&error, &"code".into()).unwrap().as_string().unwrap_or_default();
                assert!(codes.contains(&code.as_str()), "{value:?} gave code {code:?}");
            }
        }
    }
    // Getters and proxies that throw, and symbol keys, are refused as such.
    for hostile in [
        "({ get type() { throw new Error('boom') } })",
        "new Proxy({ type: 'Deposit', amount: 1 }, { ownKeys() { throw new Error('boom') } })",
        "({ type: 'Deposit', amount: 1, [Symbol('s')]: 1 })",
    ] {
        let command = js_sys::eval(hostile).unwrap();
        assert_eq!(code(js_api::execute(acc("acc-1"), command).await), "InvalidCommand", "{hostile}");
    }
    // And the module still works.
    let state =
        js_api::execute(acc("acc-1"), js(r#"{"type":"OpenAccount","owner":"A","initial_balance":"2.50"}"#)).await.unwrap();
    assert_eq!(json(&state), r#"{"id":"acc-1","owner":"A","balance":2.5,"version":1}"#);
}

#[wasm_bindgen_test]
fn a_write_failing_halfway_leaves_nothing_after_a_reload() {
    let storage = cleared();
    let acc = id("acc-001");
    let mut store = KvStore::new(FailingKv { inner: LocalStorageKv::open().unwrap(), writes_left: usize::MAX }, "test-half");
    store.append(&acc, at(0), vec![new_event("e-1", 1, opened("Alice", "1.00"))]).unwrap();
    let before = snapshot(&storage);
    // A store that must reserve sequence numbers first (as after a reload):
    // the counter is written, the segment is not.
    let mut store = KvStore::new(FailingKv { inner: LocalStorageKv::open().unwrap(), writes_left: 1 }, "test-half");
    let result = store.append(&acc, at(1), vec![new_event("e-2", 2, deposited("1.00")), new_event("e-3", 3, deposited("2.00"))]);
    assert!(matches!(result, Err(StoreError::Unavailable { .. })), "{result:?}");
    let reloaded = KvStore::new(LocalStorageKv::open().unwrap(), "test-half");
    assert_eq!(reloaded.read(&acc, Version::EMPTY).unwrap().len(), 1);
    // The counter may keep its reservation (restoring it is a write too, and
    // this storage fails them all): a gap in the global order, no event.
    let events =
        |entries: Vec<(String, String)>| entries.into_iter().filter(|(k, _)| !k.ends_with("/sequence")).collect::<Vec<_>>();
    assert!(events(snapshot(&storage)) == events(before), "the events are wholly absent");
}

#[wasm_bindgen_test]
async fn verify_and_storage_status_through_the_js_api() {
    cleared();
    for command in [
        r#"{"type":"OpenAccount","owner":"Alice","initial_balance":1000.0}"#,
        r#"{"type":"Deposit","amount":500.0,"command_id":"c-1"}"#,
        r#"{"type":"Deposit","amount":500.0,"command_id":"c-1"}"#,
    ] {
        js_api::execute(acc("acc-001"), js(command)).await.unwrap();
    }
    assert_eq!(
        json(&js_api::verify(acc("acc-001")).unwrap()),
        r#"{"ok":true,"checked":2,"first_bad_version":null,"bad_snapshot":null}"#
    );
    let status = js_api::storage_status().unwrap();
    let field = |name: &str| js_sys::Reflect::get(&status, &name.into()).unwrap().as_f64().unwrap();
    assert_eq!(field("events"), 2.0);
    assert_eq!(field("quota_units"), 5_242_880.0);
    let stored: f64 =
        snapshot(&storage()).iter().map(|(k, v)| (k.encode_utf16().count() + v.encode_utf16().count()) as f64).sum();
    assert_eq!(field("used_units"), stored, "used units count keys and values as the quota does");
    assert!(field("est_events_left") > 10_000.0);
}

#[wasm_bindgen_test]
async fn an_edited_amount_is_caught() {
    let storage = cleared();
    for command in [
        r#"{"type":"OpenAccount","owner":"Alice","initial_balance":10}"#,
        r#"{"type":"Deposit","amount":5}"#,
        r#"{"type":"Deposit","amount":7}"#,
    ] {
        js_api::execute(acc("chain"), js(command)).await.unwrap();
    }
    let key = "ledger/v2/seg/chain/0";
    let edited = storage.get_item(key).unwrap().unwrap().replace(",500\n", ",50000\n");
    storage.set_item(key, &edited).unwrap();
    assert_eq!(
        json(&js_api::verify(acc("chain")).unwrap()),
        r#"{"ok":false,"checked":0,"first_bad_version":1,"bad_snapshot":null}"#
    );
    // A fresh load (as after a reload) refuses the account and names the key.
    let mut reloaded = open_ledger("ledger").unwrap();
    match reloaded.account(&id("chain")) {
        Err(bank_ledger::LedgerError::Store(StoreError::Corrupt { key: named, .. })) => assert_eq!(named, key),
        other => panic!("{other:?}"),
    }
    assert_eq!(storage.get_item(key).unwrap().as_deref(), Some(edited.as_str()));
}

/// A command that reaches the ledger while another call has it (a nested
/// call: what Firefox's tabs race met now and then, docs/known-limits.md)
/// waits its turn and is done, never answered "busy".
#[wasm_bindgen_test]
async fn a_command_made_while_the_ledger_is_borrowed_waits_its_turn() {
    cleared();
    let open = r#"{"type":"OpenAccount","owner":"Nest","initial_balance":1}"#;
    js_api::execute(acc("nest"), js(open)).await.unwrap();
    let page = bank_ledger::BrowserLedger::page().unwrap();
    // The JS API's command starts inside another call on the ledger.
    let promise = page.with(|_| Ok(js_api::execute(acc("nest"), js(r#"{"type":"Deposit","amount":2}"#)))).unwrap();
    let state = wasm_bindgen_futures::JsFuture::from(promise).await;
    let state = state.unwrap_or_else(|error| panic!("refused: {:?}", js_sys::Reflect::get(&error, &"message".into())));
    assert_eq!(js_sys::Reflect::get(&state, &"balance".into()).unwrap().as_f64(), Some(3.0));
}
