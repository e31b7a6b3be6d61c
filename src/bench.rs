//! The browser benchmark's side in the page (cargo feature `bench`, built
//! from `bench.html` into `dist-bench/`; driven by `tests/e2e/bench.mjs`).
//!
//! Two designs run over the page's real localStorage, in the same page:
//!
//! - `"real"`: the app's [`Ledger`] over [`KvStore<LocalStorageKv>`], keys
//!   under the app's namespace, so a seeded storage is what the app loads;
//! - `"naive"`: the original design, [`execute_replaying`] over
//!   [`NaiveStore<LocalStorageKv>`] (one JSON array per account, the whole
//!   stream read, replayed and written back per command).
//!
//! Nothing here is exported by the app's build.

use wasm_bindgen::prelude::*;

use crate::browser::{new_command_id, BrowserClock, LocalStorageKv, RandomIds, NAMESPACE};
use crate::testing::{execute_replaying, NaiveStore};
use crate::{
    AccountId, Clock, Command, CommandRequest, Event, EventStore, ExpectedVersion, IdGenerator, KvStore, Ledger, Money, NewEvent,
    Owner, StoreError, Version,
};

/// Called by main: a binary that uses nothing of the library would not link
/// it, and with it these exports.
pub fn link() {}

/// Events per append while seeding.
const SEED_BATCH: usize = 1000;

fn fail(what: impl std::fmt::Display) -> JsError {
    JsError::new(&what.to_string())
}

fn parse_id(account: &str) -> Result<AccountId, JsError> {
    AccountId::parse(account).map_err(fail)
}

fn money(text: &str) -> Result<Money, JsError> {
    Money::parse(text).map_err(fail)
}

fn now_ms() -> Result<f64, JsError> {
    let performance = web_sys::window().and_then(|w| w.performance()).ok_or_else(|| fail("performance.now is not available"))?;
    Ok(performance.now())
}

/// The `i`th timed command: deposits and withdrawals of 1.00 in turn, so
/// the balance stays put however many run.
fn command(i: u32) -> Result<Command, JsError> {
    let amount = money("1.00")?;
    Ok(if i % 2 == 0 { Command::deposit(amount) } else { Command::withdraw(amount) })
}

/// Either design, behind one call: the command as that design runs it.
enum Runner {
    Real(Ledger<KvStore<LocalStorageKv>, BrowserClock, RandomIds>),
    Naive(NaiveStore<LocalStorageKv>, BrowserClock, RandomIds),
}

impl Runner {
    fn open(design: &str) -> Result<Runner, JsError> {
        let kv = LocalStorageKv::open().map_err(fail)?;
        match design {
            "real" => Ok(Runner::Real(Ledger::new(KvStore::new(kv, NAMESPACE), BrowserClock, RandomIds))),
            "naive" => Ok(Runner::Naive(NaiveStore::new(kv, NAMESPACE), BrowserClock, RandomIds)),
            other => Err(fail(format!("no design {other:?}: \"real\" or \"naive\""))),
        }
    }

    fn execute(&mut self, id: &AccountId, command: &Command) -> Result<(), JsError> {
        match self {
            Runner::Real(ledger) => ledger.execute(&CommandRequest::new(id.clone(), command.clone())).map(drop).map_err(fail),
            Runner::Naive(store, clock, ids) => execute_replaying(store, clock, ids, id, command).map(drop).map_err(fail),
        }
    }

    fn append(&mut self, id: &AccountId, expected: u64, events: Vec<NewEvent>) -> Result<usize, StoreError> {
        let expected = ExpectedVersion(Version::new(expected));
        match self {
            Runner::Real(ledger) => ledger.store_mut().append(id, expected, events),
            Runner::Naive(store, ..) => store.append(id, expected, events),
        }
        .map(|stored| stored.len())
    }
}

/// Seeds the empty stream `account` of `design` with up to `events` events
/// (opened, then deposits; random event ids, `Date.now()` times, and a
/// random command id each when `with_command_ids`), through the store's own
/// append, 1,000 a call. When storage is full it tries smaller batches down
/// to one event, so it stops exactly at what fits. Returns how many were
/// stored.
#[wasm_bindgen]
pub fn bench_seed(design: &str, account: &str, events: f64, with_command_ids: bool) -> Result<f64, JsError> {
    let id = parse_id(account)?;
    let mut runner = Runner::open(design)?;
    let (clock, mut ids) = (BrowserClock, RandomIds);
    let opened = Event::opened(Owner::parse("Bench").map_err(fail)?, money("1000.00")?);
    let deposited = Event::deposited(money("1.00")?);
    let target = events.max(0.0) as u64;
    let mut stored = 0u64;
    let mut batch = SEED_BATCH as u64;
    while stored < target {
        let count = batch.min(target - stored);
        let new_events = (stored..stored + count)
            .map(|v| NewEvent {
                event_id: ids.next_id(),
                recorded_at: clock.now(),
                command_id: with_command_ids.then(new_command_id),
                event: if v == 0 { opened.clone() } else { deposited.clone() },
            })
            .collect();
        match runner.append(&id, stored, new_events) {
            Ok(n) => stored += n as u64,
            Err(StoreError::Full) if batch > 1 => batch /= 2,
            Err(StoreError::Full) => break,
            Err(error) => return Err(fail(error)),
        }
    }
    Ok(stored as f64)
}

/// Times commands on the stream `account` of `design`: `warmup` untimed
/// (the real ledger's first one loads the stream into its cache), then
/// `batches` batches of `per_batch` commands, each batch timed with
/// `performance.now()` (coarse, so batches rather than single commands).
/// Returns each batch's mean milliseconds per command.
#[wasm_bindgen]
pub fn bench_execute(design: &str, account: &str, warmup: u32, batches: u32, per_batch: u32) -> Result<Vec<f64>, JsError> {
    let id = parse_id(account)?;
    let mut runner = Runner::open(design)?;
    let mut i = 0;
    for _ in 0..warmup {
        runner.execute(&id, &command(i)?)?;
        i += 1;
    }
    let mut means = Vec::with_capacity(batches as usize);
    for _ in 0..batches {
        let commands: Vec<Command> = (i..i + per_batch).map(command).collect::<Result<_, _>>()?;
        i += per_batch;
        let start = now_ms()?;
        for command in &commands {
            runner.execute(&id, command)?;
        }
        means.push((now_ms()? - start) / f64::from(per_batch.max(1)));
    }
    Ok(means)
}

/// Makes `count` deposits of 1.00 on `account` pending, as a device linked
/// to a server it can't reach keeps them (the link points at a closed
/// port). Returns how many were made.
#[wasm_bindgen]
pub fn bench_seed_pending(account: &str, count: f64) -> Result<f64, JsError> {
    let id = parse_id(account)?;
    let mut ledger = crate::open_ledger(NAMESPACE).map_err(fail)?;
    ledger.store_mut().save_link(&crate::Link { url: "http://127.0.0.1:9".into(), token: None }).map_err(fail)?;
    let deposit = Command::deposit(money("1.00")?);
    let target = count.max(0.0) as u64;
    for _ in 0..target {
        ledger.execute(&CommandRequest::new(id.clone(), deposit.clone())).map_err(fail)?;
    }
    Ok(target as f64)
}
