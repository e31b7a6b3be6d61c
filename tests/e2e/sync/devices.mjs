// A "device" for the sync tests: a browser context of its own (its own
// storage) with the app open, and the JS API calls the tests make.
import { before, after } from 'node:test';
import { launch, openApp } from '../harness.mjs';
import { AVAILABLE, startServer, tenant, token } from '../ledger-server.mjs';

/** Why a sync test can't run here, if it can't. */
export const skip = !AVAILABLE && 'needs scripts/test-sync.sh (a PostgreSQL for the server)';

/** For a test file: the browser its devices open in (Chromium, or Firefox
 *  with E2E_BROWSER=firefox), started before its tests and closed after;
 *  `env.browser` once started. */
export function useBrowser() {
  const env = {};
  before(async () => {
    if (!skip) env.browser = await launch();
  });
  after(async () => env.browser?.close());
  return env;
}

/** A fresh tenant with `n` devices (`d1`, `d2`, …), and a server that knows
 *  them (with `env` added to its environment). */
export async function ledger(n, env = {}) {
  const t = tenant();
  const who = Array.from({ length: n }, (_, i) => ({ tenant: t, device: `d${i + 1}`, token: token() }));
  return { server: await startServer({ devices: who, env }), who, tenant: t };
}

/** Opens the app for `who` (`{tenant, device, token}`) on `server`. */
export async function device(browser, server, who, { path = '/' } = {}) {
  const context = await browser.newContext();
  const page = await openApp(context, `${server.url}${path}`);
  const call = (name, ...args) =>
    page.evaluate(
      ([name, args]) =>
        Promise.resolve()
          .then(() => window.wasmBindings[name](...args))
          .then(
            (value) => ({ value }),
            (error) => ({ error: { code: error.code, message: error.message } }),
          ),
      [name, args],
    );
  const ok = async (name, ...args) => {
    const { value, error } = await call(name, ...args);
    if (error) throw new Error(`${who.device}: ${name}: ${error.code}: ${error.message}`);
    return value;
  };
  return {
    who,
    context,
    page,
    call,
    ok,
    run: (id, command) => call('execute', id, command),
    connect: (url = server.url) => call('sync_connect', { url, token: who.token }),
    status: () => ok('sync_status'),
    account: (id) => ok('account', id),
    history: (id) => ok('history', id),
    accounts: () => ok('accounts'),
    rejected: () => ok('sync_rejected'),
    /** Waits until sync is synced with nothing pending. */
    async settled(timeout = 20_000) {
      await page.waitForFunction(
        () => {
          const s = window.wasmBindings.sync_status();
          return s.state === 'synced' && s.pending === 0;
        },
        null,
        { timeout },
      );
    },
    offline: (on) => context.setOffline(on),
    close: () => context.close(),
  };
}

/** What every device must agree on about an account: its events' ids,
 *  versions, times, events and hashes. */
export function identity(history) {
  return history.map((h) => ({
    version: h.version,
    recorded_at: h.recorded_at,
    event_id: h.event_id,
    command_id: h.command_id,
    event: h.event,
    hash: h.hash,
    pending: h.pending ?? false,
  }));
}

/** The server's events of one account, as `identity` shapes a history. */
export function serverIdentity(events, account) {
  return events
    .filter((e) => e.account === account)
    .map((e) => ({
      version: e.version,
      recorded_at: e.recorded_at,
      event_id: e.event_id,
      command_id: e.command_id,
      event: e.event,
      hash: e.hash,
      pending: false,
    }));
}
