//! `ledger-load`: the server benchmark's load generator.
//!
//! ```text
//! ledger-load HOST:PORT [--accounts N] [--clients 1,4,16,64] [--seconds S] [--readers R]
//! ```
//!
//! Opens N accounts (default 1,000), then for each level of C concurrent
//! clients (each its own kept-alive connection) sends deposits and
//! withdrawals, each with a fresh command id, to accounts picked at random
//! for S seconds (default 10). Only a 200 answer counts as a command done
//! (on the ledger-server, a durable one); any other answer or a broken
//! connection is an error. Then reads every account's events back with R
//! concurrent readers (`GET /accounts/{id}/events`, default 4): the
//! catch-up rate; and pulls the whole ledger with `GET /sync/events` as
//! one syncing device does (when the server has the sync API). Prints one line per measure, `key=value` words, for
//! scripts/bench-server.sh to tabulate.
//!
//! `--reuse RUN` takes the N accounts a run named RUN opened (its first
//! line says its name) instead of opening new ones; `--clients 0` runs no
//! level: together, a catch-up of the same events again.
#![forbid(unsafe_code)]

mod http;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Connection;

#[derive(Debug)]
struct Options {
    host: String,
    accounts: usize,
    clients: Vec<usize>,
    seconds: f64,
    readers: usize,
    reuse: Option<String>,
}

const USAGE: &str = "usage: ledger-load HOST:PORT [--accounts N] [--clients 1,4,16,64] [--seconds S] [--readers R] [--reuse RUN]";

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let host = args.next().ok_or(USAGE)?;
    let host = host.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let mut options = Options { host, accounts: 1000, clients: vec![1, 4, 16, 64], seconds: 10.0, readers: 4, reuse: None };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(USAGE)?;
        let number = |text: &str| text.trim().parse::<usize>().map_err(|_| format!("{flag}: {text:?} is not a count"));
        match flag.as_str() {
            "--accounts" => options.accounts = number(&value)?.max(1),
            "--clients" => options.clients = value.split(',').map(number).collect::<Result<_, _>>()?,
            "--seconds" => options.seconds = value.parse().map_err(|_| format!("--seconds: {value:?}"))?,
            "--readers" => options.readers = number(&value)?.max(1),
            "--reuse" => options.reuse = Some(value),
            _ => return Err(USAGE.to_owned()),
        }
    }
    Ok(options)
}

/// A small fast generator (xorshift64*), seeded by the OS: which account and
/// which command, not security.
struct Random(u64);

impl Random {
    fn new() -> Random {
        let mut seed = [0u8; 8];
        let _ = getrandom::fill(&mut seed);
        Random(u64::from_le_bytes(seed) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let value = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        usize::try_from(value % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

/// What one level measured.
#[derive(Debug, Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: usize,
    statuses: Vec<u16>,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1).min(sorted.len() - 1)).map_or(0.0, |us| *us as f64 / 1000.0)
}

async fn open_accounts(host: &str, run: &str, accounts: usize) -> Result<Vec<String>, String> {
    let ids: Arc<Vec<String>> = Arc::new((0..accounts).map(|n| format!("load-{run}-{n}")).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (host, ids, next) = (host.to_owned(), Arc::clone(&ids), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(&host).await.map_err(|e| format!("can't connect to {host}: {e}"))?;
            loop {
                let Some(id) = ids.get(next.fetch_add(1, Ordering::Relaxed)) else { return Ok::<(), String>(()) };
                let open = r#"{"type":"OpenAccount","owner":"Load","initial_balance":1000000}"#;
                let answer = connection.send("POST", &format!("/accounts/{id}"), Some(open)).await.map_err(|e| e.to_string())?;
                if answer.status != 200 {
                    return Err(format!("opening {id}: {} {}", answer.status, String::from_utf8_lossy(&answer.body)));
                }
            }
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Arc::try_unwrap(ids).map_err(|_| "the account ids are still shared".to_owned())
}

/// One client: `name` makes its command ids unique in the run.
async fn client(host: String, ids: Arc<Vec<String>>, name: String, until: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut random = Random::new();
    let mut connection = None;
    let mut sent = 0u64;
    while Instant::now() < until {
        let conn = match &mut connection {
            Some(conn) => conn,
            None => match Connection::open(&host).await {
                Ok(conn) => connection.insert(conn),
                Err(_) => {
                    tally.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let Some(id) = ids.get(random.below(ids.len())) else { continue };
        sent += 1;
        let body = if random.below(10) < 7 {
            format!(r#"{{"type":"Deposit","amount":1.25,"command_id":"{name}-{sent}"}}"#)
        } else {
            format!(r#"{{"type":"Withdraw","amount":1.00,"command_id":"{name}-{sent}"}}"#)
        };
        let started = Instant::now();
        match conn.send("POST", &format!("/accounts/{id}"), Some(&body)).await {
            Ok(answer) if answer.status == 200 => {
                tally.latencies_us.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
            }
            Ok(answer) => {
                tally.errors += 1;
                tally.statuses.push(answer.status);
            }
            Err(_) => {
                tally.errors += 1;
                connection = None;
            }
        }
    }
    tally
}

async fn level(options: &Options, ids: &Arc<Vec<String>>, run: &str, clients: usize) {
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(options.seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|number| tokio::spawn(client(options.host.clone(), Arc::clone(ids), format!("{run}-{number}"), until)))
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        if let Ok(tally) = task.await {
            all.latencies_us.extend(tally.latencies_us);
            all.errors += tally.errors;
            all.statuses.extend(tally.statuses);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    all.latencies_us.sort_unstable();
    all.statuses.sort_unstable();
    all.statuses.dedup();
    let ok = all.latencies_us.len();
    println!(
        "level clients={clients} seconds={seconds:.2} ok={ok} errors={} cmds_per_s={:.0} p50_ms={:.2} p99_ms={:.2} error_statuses={:?}",
        all.errors,
        ok as f64 / seconds,
        percentile(&all.latencies_us, 50.0),
        percentile(&all.latencies_us, 99.0),
        all.statuses,
    );
}

/// Reads every account's events back; prints events per second.
async fn catch_up(options: &Options, ids: &Arc<Vec<String>>) -> Result<(), String> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..options.readers {
        let (host, ids, next) = (options.host.clone(), Arc::clone(ids), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(&host).await.map_err(|e| e.to_string())?;
            let mut events = 0usize;
            loop {
                let Some(id) = ids.get(next.fetch_add(1, Ordering::Relaxed)) else { return Ok::<usize, String>(events) };
                let answer = connection.send("GET", &format!("/accounts/{id}/events"), None).await.map_err(|e| e.to_string())?;
                if answer.status != 200 {
                    return Err(format!("reading {id}'s events: {}", answer.status));
                }
                let read: Vec<serde::de::IgnoredAny> = serde_json::from_slice(&answer.body).map_err(|e| e.to_string())?;
                events += read.len();
            }
        }));
    }
    let mut events = 0;
    for task in tasks {
        events += task.await.map_err(|e| e.to_string())??;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "catch_up path=/accounts/{{id}}/events readers={} events={events} seconds={seconds:.2} events_per_s={:.0}",
        options.readers,
        events as f64 / seconds
    );
    Ok(())
}

/// Pulls the whole ledger as one syncing device does: `GET /sync/events`
/// a page of 1,000 after another from position 0, each decoded with the
/// core (`Pulled::read`); prints events per second. A server without the
/// sync API (the original's design) is skipped.
async fn catch_up_pull(options: &Options) -> Result<(), String> {
    let mut connection = Connection::open(&options.host).await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let (mut after, mut events) = (0u64, 0usize);
    loop {
        let answer =
            connection.send("GET", &format!("/sync/events?after={after}&limit=1000"), None).await.map_err(|e| e.to_string())?;
        match answer.status {
            200 => {}
            404 => {
                println!("catch_up path=/sync/events skipped=no-sync-api");
                return Ok(());
            }
            status => return Err(format!("pulling after {after}: {status}")),
        }
        let text = std::str::from_utf8(&answer.body).map_err(|e| e.to_string())?;
        let page = ledger_core::Pulled::read(text)?;
        if page.events.is_empty() {
            break;
        }
        events += page.events.len();
        after = page.next;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "catch_up path=/sync/events readers=1 events={events} seconds={seconds:.2} events_per_s={:.0}",
        events as f64 / seconds
    );
    Ok(())
}

async fn run(options: Options) -> Result<(), String> {
    let mut random = Random::new();
    let fresh: String = (0..6).map(|_| char::from(b'a' + (random.below(26) as u8))).collect();
    let ids = match &options.reuse {
        Some(run) => Arc::new((0..options.accounts).map(|n| format!("load-{run}-{n}")).collect()),
        None => {
            let started = Instant::now();
            let ids = open_accounts(&options.host, &fresh, options.accounts).await?;
            println!("opened accounts={} seconds={:.2} run={fresh}", ids.len(), started.elapsed().as_secs_f64());
            Arc::new(ids)
        }
    };
    for (at, &clients) in options.clients.iter().enumerate().filter(|(_, clients)| **clients > 0) {
        level(&options, &ids, &format!("{fresh}{at}"), clients).await;
    }
    catch_up(&options, &ids).await?;
    catch_up_pull(&options).await
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("ledger-load: {message}");
            return ExitCode::FAILURE;
        }
    };
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ledger-load: {message}");
            ExitCode::FAILURE
        }
    }
}
