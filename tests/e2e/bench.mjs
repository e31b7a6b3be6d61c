// The browser benchmark of the performance issue (`make bench`): measures the
// four targets in headless Chromium and prints one markdown table, with the
// original design (one JSON array per account, the stream replayed and
// rewritten per command: NaiveStore + execute_replaying) measured beside the
// real store in the same page and run.
//
//   node tests/e2e/bench.mjs           sizes 100, 1,000, 10,000, 100,000; 5 cold loads
//   node tests/e2e/bench.mjs --tiny    size 100 only, 1 cold load: checks the code runs
//
// Needs both release builds: dist/ (`trunk build --release`, the app) and
// dist-bench/ (`trunk build --release --dist dist-bench bench.html`, the same
// crate with the `bench` feature: src/bench.rs). They are served from one
// origin, so the bench page's seeding is what the app then loads.
//
// What is timed, and how:
// - execute: `Ledger::execute` over KvStore<LocalStorageKv> (warm: its cache
//   loaded) and `execute_replaying` over NaiveStore<LocalStorageKv>, on one
//   stream seeded to each size. performance.now() is coarsened (100 µs), so
//   commands are timed in batches (of up to 100, sized to last ≥ 5 ms) and the median of
//   the batches' per-command means is reported. The stream is seeded afresh
//   whenever the timed commands would grow it by more than a tenth.
// - cold start: localStorage seeded with 100,000 events (10 accounts × 10,000,
//   and 1 × 100,000), then the app opened in a new page; the time from
//   navigation start (performance.timeOrigin) until the accounts list shows
//   every account; median of 5 loads.
// - capacity: localStorage filled through each store's append until the
//   quota refuses (events stored = what fits); units per event = UTF-16
//   units of every key and value / events.
// - transfer size: the app's .wasm and .js gzipped (zlib level 9).
import { constants, gzipSync } from 'node:zlib';
import { copyFile, cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launch, serve } from './harness.mjs';
import { importHostileFiles } from './hostile.mjs';

const tiny = process.argv.includes('--tiny');
const ROOT = resolve(import.meta.dirname, '../..');
const APP_DIR = join(ROOT, 'dist');
const BENCH_DIR = join(ROOT, 'dist-bench');

const SIZES = tiny ? [100] : [100, 1_000, 10_000, 100_000];
const LOADS = tiny ? 1 : 5;
const COLD_LAYOUTS = tiny
  ? [
      { accounts: 1, events: 50, pending: 10 },
      { accounts: 2, events: 50 },
    ]
  : [
      { accounts: 10, events: 10_000 },
      { accounts: 1, events: 100_000, pending: 1_000 },
      { accounts: 1, events: 100_000 },
    ];
const QUOTA_UNITS = 5 * 1024 * 1024;
const TARGET = { executeMs: 0.1, coldMs: 150, unitsPerEvent: 52, events: 100_000, gzipKB: 150 };
const BATCHES = tiny ? 5 : 30;
const WARMUP = 3;
const BATCH_MS = 5;
const DESIGNS = ['real', 'naive'];

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n) => (n >= 10 ? fmt(n, 1) : n >= 0.1 ? fmt(n, 3) : fmt(n, 4)) + ' ms';
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const log = (...args) => console.error('bench:', ...args);

/** One directory holding both builds, so they share an origin (and localStorage). */
async function combine() {
  for (const dir of [APP_DIR, BENCH_DIR]) {
    if (!(await stat(join(dir, 'index.html')).catch(() => null))) {
      throw new Error(`${dir}/index.html is missing: run \`make bench\` (it builds both)`);
    }
  }
  const root = await mkdtemp(join(tmpdir(), 'ledger-bench-'));
  // wasm-bindgen's JS snippets (a directory) are the same crate's in both.
  for (const name of await readdir(APP_DIR)) await cp(join(APP_DIR, name), join(root, name), { recursive: true });
  for (const name of await readdir(BENCH_DIR)) {
    const target = join(root, name === 'index.html' ? 'bench.html' : name);
    if ((await stat(join(BENCH_DIR, name))).isDirectory()) {
      await cp(join(BENCH_DIR, name), target, { recursive: true });
      continue;
    }
    const existing = await readFile(target).catch(() => null);
    if (existing && !existing.equals(await readFile(join(BENCH_DIR, name)))) {
      throw new Error(`dist/ and dist-bench/ both have a different ${name}`);
    }
    await copyFile(join(BENCH_DIR, name), target);
  }
  return root;
}

async function openBenchPage(context, url) {
  const page = await context.newPage();
  page.on('pageerror', (error) => log('bench page error:', String(error)));
  await page.goto(`${url}bench.html`);
  await page.waitForFunction(() => window.wasmBindings?.bench_seed !== undefined, null, { timeout: 30000 });
  return page;
}

const clear = (page) => page.evaluate(() => localStorage.clear());
const usedUnits = (page) =>
  page.evaluate(() => {
    let units = 0;
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      units += key.length + (localStorage.getItem(key)?.length ?? 0);
    }
    return units;
  });
const seed = (page, design, account, events, withCommandIds = false) =>
  page.evaluate(([d, a, n, c]) => window.wasmBindings.bench_seed(d, a, n, c), [design, account, events, withCommandIds]);
const execute = (page, design, account, warmup, batches, perBatch) =>
  page.evaluate(([d, a, w, b, p]) => Array.from(window.wasmBindings.bench_execute(d, a, w, b, p)), [
    design,
    account,
    warmup,
    batches,
    perBatch,
  ]);

/** The median latency of one command at `size` events, or how many events fit when `size` does not. */
async function measureExecute(page, design, size) {
  const account = 'acc-bench';
  await clear(page);
  const stored = await seed(page, design, account, size);
  if (stored < size) return { fits: false, stored };
  // An estimate of one command's cost sizes the batches: one command, or
  // when that is too quick for the coarse clock, the median of 5 × 20.
  let [probe] = await execute(page, design, account, WARMUP, 1, 1);
  if (probe < 1) probe = median(await execute(page, design, account, WARMUP, 5, 20));
  const perBatch = Math.min(100, Math.max(1, Math.ceil(BATCH_MS / Math.max(probe, 0.005))));
  const allowed = Math.max(Math.floor(size / 10), perBatch);
  const means = [];
  let seeds = 1;
  let first = true;
  while (means.length < BATCHES) {
    if (!first) {
      await clear(page);
      await seed(page, design, account, size);
      seeds += 1;
    }
    first = false;
    const n = Math.min(BATCHES - means.length, Math.max(1, Math.floor(allowed / perBatch)));
    means.push(...(await execute(page, design, account, WARMUP, n, perBatch)));
  }
  return { fits: true, median: median(means), perBatch, batches: means.length, seeds };
}

/** Fills localStorage through `design`'s append until the quota refuses. */
async function measureCapacity(page, design, withCommandIds) {
  await clear(page);
  if (tiny) {
    // Tiny mode: no fill; the figure is extrapolated from 100 events.
    const stored = await seed(page, design, 'acc-cap', 100, withCommandIds);
    const perEvent = (await usedUnits(page)) / stored;
    return { perEvent, fit: Math.floor(QUOTA_UNITS / perEvent), filled: false };
  }
  const stored = await seed(page, design, 'acc-cap', 1e9, withCommandIds);
  const used = await usedUnits(page);
  return { perEvent: used / stored, fit: stored, used, filled: true };
}

/** Seeds the app's storage, then opens the app `LOADS` times and times until every account shows. */
async function measureColdStart(context, benchPage, url, { accounts, events, pending = 0 }) {
  await clear(benchPage);
  let stored = 0;
  let seeded = 0;
  for (let i = 0; i < accounts; i++) {
    const n = await seed(benchPage, 'real', `acc-${String(i).padStart(3, '0')}`, events);
    stored += n;
    if (n > 0) seeded += 1;
    if (n < events) break;
  }
  // A device linked to a server it can't reach, with commands waiting:
  // they live in the account's pending log, apart from the confirmed events.
  if (pending > 0 && stored === accounts * events) {
    stored += await benchPage.evaluate(([a, n]) => window.wasmBindings.bench_seed_pending(a, n), ['acc-000', pending]);
  }
  const times = [];
  for (let load = 0; load < LOADS; load++) {
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (error) => problems.push(String(error)));
    await page.addInitScript((expected) => {
      const done = () => document.querySelectorAll('section.accounts tbody tr').length >= expected;
      new MutationObserver((_, observer) => {
        if (window.__allAccountsShown === undefined && done()) {
          window.__allAccountsShown = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    }, seeded);
    await page.goto(url);
    await page.waitForFunction(() => window.__allAccountsShown !== undefined, null, { timeout: 120000 });
    const result = await page.evaluate(() => {
      const states = window.wasmBindings.accounts();
      return {
        at: window.__allAccountsShown,
        accounts: states.length,
        events: states.reduce((sum, s) => sum + s.version, 0),
      };
    });
    await page.close();
    if (problems.length) throw new Error(`the app failed to load: ${problems.join('; ')}`);
    if (result.accounts !== seeded || result.events !== stored) {
      throw new Error(`the app shows ${result.accounts} accounts / ${result.events} events, seeded ${seeded} / ${stored}`);
    }
    times.push(result.at);
  }
  return { fits: stored === accounts * events + pending, stored, median: median(times), times };
}

/**
 * The page with `account` (holding `events`) open: milliseconds from
 * navigation until its panel shows, and from each of 20 Deposit clicks until
 * the new version shows and the next frame is painted.
 */
async function measureUi(context, url, account, events) {
  const page = await context.newPage();
  await page.goto(`${url}#/accounts/${account}`);
  // The version is written in the page's locale (10,000): its digits are compared.
  await page.waitForFunction((n) => document.querySelector('.summary .version')?.textContent.replace(/\D/g, '') === String(n), events, { timeout: 120000 });
  const opened = await page.evaluate(() => performance.now());
  const clicks = await page.evaluate(async () => {
    const version = () => document.querySelector('.summary .version').textContent;
    const input = [...document.querySelectorAll('input')].find((e) => e.labels?.[0]?.textContent === 'Amount');
    const deposit = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Deposit');
    const times = [];
    for (let i = 0; i < 20; i++) {
      // A stored command clears the field: type the amount each time.
      input.value = '1';
      input.dispatchEvent(new Event('input', { bubbles: true }));
      const before = version();
      const start = performance.now();
      deposit.click();
      while (version() === before) {
        if (performance.now() - start > 5000) throw new Error(`click ${i} was not shown within 5 s`);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      times.push(performance.now() - start);
    }
    return times;
  });
  // The JS API as a script calls it: awaited, 100 calls a batch, median of
  // the batch means (the page redraws once a burst, when the script yields).
  const apiMeans = await page.evaluate(async (account) => {
    const api = window.wasmBindings;
    for (let i = 0; i < 200; i++) await api.execute(account, { type: 'Deposit', amount: 1 });
    const means = [];
    for (let b = 0; b < 20; b++) {
      const start = performance.now();
      for (let i = 0; i < 100; i++) await api.execute(account, { type: i % 2 ? 'Withdraw' : 'Deposit', amount: 1 });
      means.push((performance.now() - start) / 100);
    }
    return means;
  }, account);
  await page.close();
  return { opened, clicks, api: median(apiMeans) };
}

async function transferSize() {
  let bytes = 0;
  const files = [];
  // Every .wasm and .js the page loads, wasm-bindgen's snippets included.
  for (const name of await readdir(APP_DIR, { recursive: true })) {
    if (!name.endsWith('.wasm') && !name.endsWith('.js')) continue;
    const gz = gzipSync(await readFile(join(APP_DIR, name)), { level: constants.Z_BEST_COMPRESSION }).length;
    files.push(`${name} ${fmt(gz)} B`);
    bytes += gz;
  }
  if (!files.length) throw new Error('dist/ has no .wasm or .js');
  return { bytes, files };
}

const root = await combine();
const server = await serve(root);
const browser = await launch();
const rows = [];
const notes = [];
const row = (metric, target, measured, naive, met) => rows.push({ metric, target, measured, naive, met: met ? 'yes' : 'no' });
try {
  const context = await browser.newContext();
  const benchPage = await openBenchPage(context, server.url);
  notes.push(`Chromium ${browser.version()}${tiny ? ', tiny mode (not the real figures)' : ''}`);

  // Warm up the wasm JIT and the storage backend before timing anything.
  for (const [design, commands] of [['real', 2000], ['naive', 200]]) {
    await clear(benchPage);
    await seed(benchPage, design, 'acc-warm', 100);
    await execute(benchPage, design, 'acc-warm', 0, 1, commands);
  }

  for (const size of SIZES) {
    const results = {};
    for (const design of DESIGNS) {
      log(`execute, ${design} store, ${fmt(size)} events`);
      results[design] = await measureExecute(benchPage, design, size);
    }
    const { real, naive } = results;
    const naiveText = naive.fits
      ? `${ms(naive.median)}${real.fits ? ` (×${fmt(naive.median / Math.max(real.median, 1e-9))})` : ''}`
      : `does not fit (holds ${fmt(naive.stored)})`;
    row(
      `execute (the ledger in wasm: validated, stored, state returned) median at ${fmt(size)} events`,
      `≤ ${TARGET.executeMs} ms`,
      real.fits ? ms(real.median) : `does not fit (holds ${fmt(real.stored)})`,
      naiveText,
      real.fits && real.median <= TARGET.executeMs,
    );
    for (const [design, r] of Object.entries(results)) {
      if (r.fits) notes.push(`execute ${design} @ ${fmt(size)}: ${r.batches} batches of ${r.perBatch}, seeded ${r.seeds}×`);
    }
  }

  let naiveCapacity;
  for (const withCommandIds of [false, true]) {
    log(`capacity${withCommandIds ? ' with command ids' : ''}`);
    const cap = {};
    for (const design of DESIGNS) cap[design] = await measureCapacity(benchPage, design, withCommandIds);
    if (!withCommandIds) naiveCapacity = cap.naive;
    const kind = withCommandIds ? 'each with a 16-character command id (as commands forwarded by another tab carry)' : 'no command id';
    const how = tiny ? ' (estimated from 100 events)' : ' (filled until the quota refused)';
    row(
      `capacity: UTF-16 units per event, ${kind}`,
      `≤ ${TARGET.unitsPerEvent}`,
      fmt(cap.real.perEvent, 1),
      fmt(cap.naive.perEvent, 1),
      cap.real.perEvent <= TARGET.unitsPerEvent,
    );
    row(
      `capacity: events that fit the quota, ${kind}${how}`,
      `≥ ${fmt(TARGET.events)}`,
      fmt(cap.real.fit),
      fmt(cap.naive.fit),
      cap.real.fit >= TARGET.events,
    );
    for (const design of DESIGNS) {
      if (cap[design].filled) notes.push(`capacity ${design} (${kind}): full at ${fmt(cap[design].used)} units`);
    }
  }

  for (const layout of COLD_LAYOUTS) {
    const total = layout.accounts * layout.events + (layout.pending ?? 0);
    log(`cold start, ${layout.accounts} × ${fmt(layout.events)}${layout.pending ? ` + ${fmt(layout.pending)} pending` : ''}`);
    const cold = await measureColdStart(context, benchPage, server.url, layout);
    const what =
      `${layout.accounts} account${layout.accounts > 1 ? 's' : ''} × ${fmt(layout.events)}` +
      (layout.pending ? `, ${fmt(layout.pending)} of them pending` : '');
    row(
      `cold start, ${fmt(total)} events (${what}), median of ${LOADS}`,
      `≤ ${TARGET.coldMs} ms`,
      cold.fits ? ms(cold.median) : `${fmt(total)} do not fit; ${ms(cold.median)} with the ${fmt(cold.stored)} that do`,
      naiveCapacity.fit < total
        ? `${fmt(total)} do not fit (holds ${fmt(naiveCapacity.fit)}${naiveCapacity.filled ? '' : ', estimated'})`
        : 'not measured',
      cold.fits && cold.median <= TARGET.coldMs && total >= TARGET.events,
    );
    notes.push(`cold start ${what}: loads ${cold.times.map((t) => t.toFixed(1)).join(', ')} ms`);
  }
  // The last layout: one account, every event confirmed.
  const busiest = COLD_LAYOUTS.at(-1);
  log(`UI with ${fmt(busiest.events)} events in one account`);
  const ui = await measureUi(context, server.url, 'acc-000', busiest.events);
  row(
    `UI: Deposit click until shown and painted, ${fmt(busiest.events)} events in the account, median of 20`,
    '≤ 50 ms',
    ms(median(ui.clicks)),
    'n/a',
    median(ui.clicks) <= 50,
  );
  row(
    `execute through the JS API (awaited Promise), in the app with that account open, ${fmt(busiest.events)} events`,
    `≤ ${TARGET.executeMs} ms`,
    ms(ui.api),
    'n/a',
    ui.api <= TARGET.executeMs,
  );
  notes.push(`UI: opening that account by its link until its panel shows (chart and time travel included): ${ms(ui.opened)}; clicks ${ui.clicks.map((t) => t.toFixed(1)).join(', ')} ms`);
  await clear(benchPage);

  log('hostile imports');
  const hostilePage = await context.newPage();
  await hostilePage.goto(server.url);
  await hostilePage.waitForFunction(() => window.wasmBindings?.import_ledger !== undefined, null, { timeout: 15000 });
  const hostile = await hostilePage.evaluate(importHostileFiles);
  await hostilePage.close();
  const slowest = hostile.results.reduce((a, b) => (b.ms > a.ms ? b : a));
  row(
    `a 5 MB hostile import refused (slowest of ${hostile.results.length}: ${slowest.name})`,
    '≤ 1,000 ms',
    ms(slowest.ms),
    'n/a',
    slowest.ms <= 1000 && hostile.untouched && hostile.results.every((r) => r.code === 'InvalidImport'),
  );
  notes.push(`hostile imports: ${hostile.results.map((r) => `${r.name} (${fmt(r.bytes)} B) ${ms(r.ms)}`).join('; ')}`);
  await clear(benchPage);

  const size = await transferSize();
  row(
    'transfer size: app .wasm + .js, gzip -9',
    `≤ ${TARGET.gzipKB} KB`,
    `${fmt(size.bytes / 1000, 1)} KB (${fmt(size.bytes)} B)`,
    'n/a',
    size.bytes <= TARGET.gzipKB * 1000,
  );
  notes.push(`gzip: ${size.files.join(', ')}; KB = 1,000 bytes`);
} finally {
  await browser.close();
  await server.close();
  await rm(root, { recursive: true, force: true });
}

console.log('| metric | target | measured | original design (naive) | met? |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.metric} | ${r.target} | ${r.measured} | ${r.naive} | ${r.met} |`);
console.log('');
for (const note of notes) console.log(`- ${note}`);
