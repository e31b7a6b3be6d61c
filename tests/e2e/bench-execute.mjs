// Browser benchmark: median latency of window.wasmBindings.execute (validated,
// persisted to localStorage, state returned) at several stream lengths, in
// headless Chromium against the release build. Not a test; run it with
// `node tests/e2e/bench-execute.mjs [lengths...]` after `trunk build --release`.
//
// `execute` returns a Promise, so each call is awaited: the figure includes
// the promise's resolution, as a caller sees it.
//
// performance.now() is coarsened in pages that are not cross-origin isolated
// (to 100 µs in Chromium), so calls are timed in batches of 100 and the median
// is taken over the batches' per-call means.
import { serve, launch, openApp } from './harness.mjs';

const lengths = process.argv.slice(2).map(Number).filter((n) => n > 0);
const sizes = lengths.length ? lengths : [100, 1000, 10000];
const BATCH = 100;
const BATCHES = 30;

const server = await serve();
const browser = await launch();
try {
  const context = await browser.newContext();
  const page = await openApp(context, server.url);
  // Warm up the JIT and the storage backend before timing anything.
  await page.evaluate(async () => {
    const api = window.wasmBindings;
    await api.execute('warmup', { type: 'OpenAccount', owner: 'Warm', initial_balance: 0 });
    for (let i = 0; i < 2000; i++) await api.execute('warmup', { type: 'Deposit', amount: 1 });
  });
  console.log(`| events in stream | execute median (ms) | p90 of batch means (ms) | history() of all ${'N'} events (ms) |`);
  console.log('|---:|---:|---:|---:|');
  for (const size of sizes) {
    // Each size gets a fresh profile: the quota holds only so many events.
    const context = await browser.newContext();
    const page = await openApp(context, server.url);
    // Warm up the JIT and the storage backend before timing anything.
    await page.evaluate(async () => {
      const api = window.wasmBindings;
      await api.execute('warmup', { type: 'OpenAccount', owner: 'Warm', initial_balance: 0 });
      for (let i = 0; i < 500; i++) await api.execute('warmup', { type: 'Deposit', amount: 1 });
    });
    const id = `bench-${size}`;
    const result = await page.evaluate(async ({ id, size, BATCH, BATCHES }) => {
      const api = window.wasmBindings;
      await api.execute(id, { type: 'OpenAccount', owner: 'Bench', initial_balance: 0 });
      for (let v = 1; v < size; v++) await api.execute(id, { type: 'Deposit', amount: 1 });
      const means = [];
      for (let b = 0; b < BATCHES; b++) {
        const t0 = performance.now();
        for (let i = 0; i < BATCH; i++) await api.execute(id, { type: i % 2 ? 'Withdraw' : 'Deposit', amount: 1 });
        means.push((performance.now() - t0) / BATCH);
      }
      means.sort((a, b) => a - b);
      return { median: means[Math.floor(BATCHES / 2)], p90: means[Math.floor(BATCHES * 0.9)] };
    }, { id, size, BATCH, BATCHES });
    // history() reads and decodes every stored event of the stream: the cost
    // a first load of the stream pays once (later commands are O(1)).
    const read = await page.evaluate((id) => {
      const t0 = performance.now();
      const n = window.wasmBindings.history(id).length;
      return { ms: performance.now() - t0, n };
    }, id);
    console.log(`| ${size} | ${result.median.toFixed(4)} | ${result.p90.toFixed(4)} | ${read.ms.toFixed(1)} (N = ${read.n}) |`);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
