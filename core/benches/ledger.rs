//! Native benchmarks (`cargo bench -p ledger-core`): the domain (decide,
//! apply), the storage codec through the `EventStore` trait, and a command at
//! several stream lengths, the real ledger beside the original design
//! (one JSON array per account, replayed per command). Kept short: a few
//! hundred milliseconds a benchmark. The browser figures are `make bench`'s.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_debug_implementations)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use ledger_core::testing::{execute_replaying, CountingIds, ManualClock, NaiveStore};
use ledger_core::{
    AccountId, BankAccount, Command, CommandRequest, Event, EventId, EventStore, ExpectedVersion, Facts, KvStore, Ledger,
    MemoryKv, Money, NewEvent, Owner, Timestamp, Version,
};

const NOW: u64 = 1_764_169_200_000;

fn money(text: &str) -> Money {
    Money::parse(text).unwrap()
}

fn account_id() -> AccountId {
    AccountId::parse("acc-001").unwrap()
}

fn opened() -> Event {
    Event::opened(Owner::parse("Alice").unwrap(), money("1000.00"))
}

/// The `i`th command of a run: deposits and withdrawals in turn, so the
/// balance stays put however many there are.
fn command(i: usize) -> Command {
    if i % 2 == 0 {
        Command::deposit(money("1.00"))
    } else {
        Command::withdraw(money("1.00"))
    }
}

/// Fills `stream` to `events` events (opened, then deposits), through the
/// store's own append, 1,000 events a call.
fn seed(store: &mut impl EventStore, stream: &AccountId, events: usize) {
    let mut version = 0;
    while version < events {
        let batch: Vec<NewEvent> = (version..events.min(version + 1000))
            .map(|v| NewEvent {
                event_id: EventId::parse(&format!("seed-{v}")).unwrap(),
                recorded_at: Timestamp(NOW),
                command_id: None,
                event: if v == 0 { opened() } else { Event::deposited(money("1.00")) },
            })
            .collect();
        let count = batch.len();
        store.append(stream, ExpectedVersion(Version::new(version as u64)), batch).unwrap();
        version += count;
    }
}

fn domain(c: &mut Criterion) {
    let mut group = c.benchmark_group("domain");
    let account = BankAccount::replay(account_id(), [&opened()]);
    let deposit = Command::deposit(money("12.34"));
    group.bench_function("decide deposit", |b| b.iter(|| black_box(&account).decide(black_box(&deposit), &Facts::NONE)));
    let withdraw = Command::withdraw(money("12.34"));
    group.bench_function("decide withdraw", |b| b.iter(|| black_box(&account).decide(black_box(&withdraw), &Facts::NONE)));
    let deposited = Event::deposited(money("12.34"));
    group.bench_function("apply", |b| {
        b.iter_batched_ref(|| account.clone(), |account| account.apply(black_box(&deposited)), BatchSize::SmallInput)
    });
    group.finish();
}

/// The codec is measured through the store trait (encode + write, read +
/// decode), so it stays meaningful whatever the record format becomes.
fn codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec (KvStore<MemoryKv>)");
    let stream = account_id();
    let mut store = KvStore::new(MemoryKv::new(), "bench");
    seed(&mut store, &stream, 1);
    let mut version = 1u64;
    group.bench_function("append 1 event", |b| {
        b.iter(|| {
            let event = NewEvent {
                event_id: EventId::parse(&format!("e-{version}")).unwrap(),
                recorded_at: Timestamp(NOW),
                command_id: None,
                event: Event::deposited(money("1.00")),
            };
            store.append(&stream, ExpectedVersion(Version::new(version)), vec![event]).unwrap();
            version += 1;
        })
    });
    let mut store = KvStore::new(MemoryKv::new(), "bench");
    seed(&mut store, &stream, 1000);
    group
        .bench_function("read 1,000 events", |b| b.iter(|| assert_eq!(store.read(&stream, Version::EMPTY).unwrap().len(), 1000)));
    group.finish();
}

/// Times `iters` commands run by `run` on state made by `fresh` (which is
/// not timed, nor is the first command on it, which loads the stream). The
/// state is made afresh whenever the stream has grown by a tenth, so every
/// command meets a stream of about `size` events however long criterion runs.
fn time_commands<T>(iters: u64, size: usize, fresh: impl Fn() -> T, run: impl Fn(&mut T, usize)) -> Duration {
    let growth = size / 10 + 10;
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let mut state = fresh();
        run(&mut state, 0);
        let n = (iters - done).min(growth as u64);
        let start = Instant::now();
        for i in 1..=n {
            run(&mut state, i as usize);
        }
        total += start.elapsed();
        done += n;
    }
    total
}

fn execute(c: &mut Criterion) {
    let mut group = c.benchmark_group("execute");
    let stream = account_id();
    for size in [100usize, 1_000, 10_000] {
        let mut seeded = KvStore::new(MemoryKv::new(), "bench");
        seed(&mut seeded, &stream, size);
        let kv = seeded.kv().clone();
        group.bench_with_input(BenchmarkId::new("Ledger over KvStore", size), &size, |b, &size| {
            b.iter_custom(|iters| {
                time_commands(
                    iters,
                    size,
                    || Ledger::new(KvStore::new(kv.clone(), "bench"), ManualClock::new(NOW), CountingIds::new("b")),
                    |ledger, i| {
                        black_box(ledger.execute(&CommandRequest::new(stream.clone(), command(i))).unwrap());
                    },
                )
            })
        });

        let mut seeded = NaiveStore::new(MemoryKv::new(), "bench");
        seed(&mut seeded, &stream, size);
        let kv = seeded.kv().clone();
        group.bench_with_input(BenchmarkId::new("execute_replaying over NaiveStore", size), &size, |b, &size| {
            b.iter_custom(|iters| {
                time_commands(
                    iters,
                    size,
                    || (NaiveStore::new(kv.clone(), "bench"), ManualClock::new(NOW), CountingIds::new("b")),
                    |(store, clock, ids), i| {
                        black_box(execute_replaying(store, clock, ids, &stream, &command(i)).unwrap());
                    },
                )
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(700))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = domain, codec, execute
}
criterion_main!(benches);
