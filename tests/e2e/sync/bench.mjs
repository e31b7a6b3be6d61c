// `make bench-sync`: how long a device takes to upload a ledger of N events
// (100,000 by default, BENCH_EVENTS) kept before it synced, and a new
// device to download it, with the progress the page shows on the way and
// the page's responsiveness (the longest gap between animation frames)
// meanwhile; then a download cut off by a reload part way, resumed. Run by
// scripts/test-sync.sh, which gives it a PostgreSQL; not part of the test
// command.
import { launch } from '../harness.mjs';
import { startServer, tenant, token } from '../ledger-server.mjs';
import { device } from './devices.mjs';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ACCOUNTS = 10;
const log = (...args) => console.error('bench-sync:', ...args);

/** Watches the page's frames: the longest gap while `during` runs. */
async function framesDuring(page, during) {
  await page.evaluate(() => {
    window.__longest = 0;
    let last = performance.now();
    const tick = (now) => {
      window.__longest = Math.max(window.__longest, now - last);
      last = now;
      if (!window.__stop) requestAnimationFrame(tick);
    };
    window.__stop = false;
    requestAnimationFrame(tick);
  });
  const value = await during();
  const longest = await page.evaluate(() => ((window.__stop = true), window.__longest));
  return { value, longest };
}

const browser = await launch();
const t = tenant();
const who = [1, 2, 3].map((n) => ({ tenant: t, device: `d${n}`, token: token() }));
const server = await startServer({ devices: who });
const rows = [];
try {
  const a = await device(browser, server, who[0]);
  log(`seeding ${EVENTS} events in ${ACCOUNTS} accounts on the first device (before it syncs)`);
  await a.page.evaluate(
    async ([events, accounts]) => {
      const api = window.wasmBindings;
      const each = events / accounts;
      for (let n = 0; n < accounts; n++) {
        await api.execute(`acc-${n}`, { type: 'OpenAccount', owner: 'Bench', initial_balance: 0 });
        for (let i = 1; i < each; i++) await api.execute(`acc-${n}`, { type: 'Deposit', amount: 1 });
      }
    },
    [EVENTS, ACCOUNTS],
  );
  log('upload');
  let started = Date.now();
  const up = await framesDuring(a.page, () => a.connect());
  if (up.value.error) throw new Error(JSON.stringify(up.value.error));
  const uploadMs = Date.now() - started;
  rows.push(['first upload of an existing ledger', EVENTS, uploadMs, up.longest, `uploaded ${up.value.value.progress.uploaded}`]);

  const b = await device(browser, server, who[1]);
  log('download');
  started = Date.now();
  const progress = [];
  const down = await framesDuring(b.page, async () => {
    const pending = b.connect();
    const sample = setInterval(async () => {
      try {
        const s = await b.status();
        progress.push(`${s.progress.downloaded}/${s.progress.to_download}`);
      } catch {}
    }, 2000);
    const done = await pending;
    clearInterval(sample);
    return done;
  });
  if (down.value.error) throw new Error(JSON.stringify(down.value.error));
  const downloadMs = Date.now() - started;
  rows.push(['first download onto a new device', EVENTS, downloadMs, down.longest, `progress seen: ${progress.slice(0, 6).join(', ')}…`]);

  const c = await device(browser, server, who[2]);
  log('download cut off by a reload, resumed');
  started = Date.now();
  // Not awaited: the reload cuts it off.
  c.call('sync_connect', { url: server.url, token: who[2].token }).catch(() => {});
  await c.page.waitForFunction((half) => window.wasmBindings.sync_status().progress.downloaded >= half, EVENTS / 2, { timeout: 600_000 });
  await c.page.reload();
  await c.page.waitForFunction(() => window.wasmBindings?.sync_status?.().state === 'synced', null, { timeout: 600_000 });
  const resumed = await c.status();
  rows.push(['a download reloaded half way, to synced', EVENTS, Date.now() - started, null, `after the reload: ${resumed.progress.downloaded} of ${resumed.progress.to_download} left to take`]);
  const accounts = await c.accounts();
  const total = accounts.reduce((sum, s) => sum + s.version, 0);
  if (total !== EVENTS) throw new Error(`the resumed device holds ${total} events, not ${EVENTS}`);
} finally {
  await server.stop();
  await browser.close();
}
console.log('| work | events | time | longest frame gap | notes |');
console.log('|---|--:|--:|--:|---|');
for (const [what, events, ms, gap, note] of rows) {
  const rate = Math.round((events / ms) * 1000);
  console.log(`| ${what} | ${events.toLocaleString('en-US')} | ${(ms / 1000).toFixed(1)} s (${rate.toLocaleString('en-US')} events/s) | ${gap === null ? 'n/a' : `${gap.toFixed(0)} ms`} | ${note} |`);
}
