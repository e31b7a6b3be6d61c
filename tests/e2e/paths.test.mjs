// Any static host, any path: the same dist/ works served from a folder of a
// host (a project site such as user.github.io/ledger/), offline too; two
// copies at two paths of one origin keep separate ledgers, locks and caches,
// and a ledger kept at the root keeps its data. Runs in Chromium and
// (E2E_BROWSER=firefox) Firefox.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { BROWSER, launch, openApp, serve } from './harness.mjs';

const SUB = '/some/path/';
/** The names of the copy at SUB (src/browser/scope.rs). */
const SUB_NAMESPACE = 'ledger@%2Fsome%2Fpath%2F';
const SUB_CACHE = 'ledger-v1@%2Fsome%2Fpath%2F';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Waits until the service worker of `page`'s copy controls it. */
async function controlled(page) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null && window.wasmBindings?.execute !== undefined);
}

const cached = (page, name) =>
  page.evaluate(async (name) => {
    if (!(await caches.has(name))) return null;
    return (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname).sort();
  }, name);

const execute = (page, id, command) => page.evaluate(([id, command]) => window.wasmBindings.execute(id, command), [id, command]);

test('served from a folder, the app loads, takes commands, opens a deep link and works offline', async () => {
  const server = await serve(undefined, { at: [SUB] });
  try {
    const context = await browser.newContext();
    const page = await openApp(context, server.url);
    // Every file the page links is found beside it.
    const links = await page.evaluate(async () =>
      Promise.all(
        [...document.querySelectorAll('link[href]')].map(async (link) => [new URL(link.href).pathname, (await fetch(link.href)).status]),
      ),
    );
    assert.ok(links.length >= 4, JSON.stringify(links));
    for (const [path, status] of links) assert.ok(path.startsWith(SUB) && status === 200, `${path} ${status}`);
    const styled = await page.evaluate(() => [...document.styleSheets].some((s) => s.href?.endsWith('.css') && s.cssRules.length > 0));
    assert.ok(styled, 'the stylesheet applies');
    const manifest = await page.evaluate(async () => {
      const link = document.querySelector('link[rel=manifest]');
      const json = await (await fetch(link.href)).json();
      return { start: new URL(json.start_url, link.href).href, icon: new URL(json.icons[0].src, link.href).pathname };
    });
    assert.deepEqual(manifest, { start: server.url, icon: `${SUB}icon-192.png` });

    // A command through the form, and one through the JS API.
    await page.getByLabel('Account ID').fill('sub-1');
    await page.getByLabel('Owner').fill('Ada');
    await page.getByLabel('Initial balance').fill('10');
    await page.getByRole('button', { name: 'Open account' }).click();
    await page.locator('.summary .balance').filter({ hasText: '10.00' }).waitFor();
    assert.equal((await execute(page, 'sub-1', { type: 'Deposit', amount: 5 })).balance, 15);
    const keys = await page.evaluate(() => Object.keys(localStorage).sort());
    assert.ok(keys.some((key) => key.startsWith(`${SUB_NAMESPACE}/v2/seg/sub-1/`)), keys.join(' '));
    assert.deepEqual(keys.filter((key) => !key.startsWith(`${SUB_NAMESPACE}/`)), [], 'every key is the copy’s');

    // The worker's scope is the folder; its cache holds the copy's files.
    await controlled(page);
    assert.equal(await page.evaluate(async () => (await navigator.serviceWorker.ready).scope), server.url);
    const files = await cached(page, SUB_CACHE);
    assert.ok(files?.includes(SUB) && files.includes(`${SUB}manifest.webmanifest`), String(files));
    assert.ok(files.some((path) => path.startsWith(SUB) && path.endsWith('.wasm')), files.join(' '));
    assert.equal(await cached(page, 'ledger-v1'), null, 'no cache of the root’s');

    // Reloaded, and by a deep link in another tab.
    await page.locator('.summary .balance').filter({ hasText: '15.00' }).waitFor();
    const linked = await openApp(context, `${server.url}#/accounts/sub-1`);
    await linked.locator('.summary .balance').filter({ hasText: '15.00' }).waitFor();
    await linked.close();

    // Offline: the server gone (and, in Chromium, the network off).
    await server.close();
    if (BROWSER === 'chromium') await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => window.wasmBindings?.execute !== undefined, null, { timeout: 15000 });
    assert.equal((await execute(page, 'sub-1', { type: 'Deposit', amount: 1 })).balance, 16);
    const offline = await openApp(context, `${server.url}#/accounts/sub-1`);
    await offline.locator('.summary .balance').filter({ hasText: '16.00' }).waitFor();
    assert.deepEqual([...page.problems, ...offline.problems], []);
    await context.close();
  } finally {
    await server.close();
  }
});

test('copies at the root and in a folder of one origin keep separate ledgers, locks and caches', async () => {
  const server = await serve(undefined, { at: ['/', SUB] });
  try {
    const context = await browser.newContext();
    // A ledger kept at the root by an earlier build, under the root's keys.
    const fixture = JSON.parse(await readFile(new URL('../fixtures/format-2-localstorage.json', import.meta.url), 'utf8'));
    const root = await openApp(context, server.url);
    await root.evaluate((entries) => {
      for (const [key, value] of Object.entries(entries)) localStorage.setItem(key, value);
    }, fixture);
    await controlled(root);
    const before = await root.evaluate(() => window.wasmBindings.accounts().map((a) => `${a.id} ${a.balance}`));
    assert.ok(before.length >= 2, before.join(', '));

    // The folder's copy starts empty, and its account of the same id is its own.
    const sub = await openApp(context, `${server.origin}${SUB}`);
    assert.deepEqual(await sub.evaluate(() => window.wasmBindings.accounts()), []);
    await execute(sub, 'acc-001', { type: 'OpenAccount', owner: 'Sub', initial_balance: 7 });
    await controlled(sub);
    assert.equal((await execute(root, 'acc-001', { type: 'Deposit', amount: 1 })).owner, 'Alice');
    assert.equal((await execute(sub, 'acc-001', { type: 'Deposit', amount: 1 })).balance, 8);
    const after = await root.evaluate(() => window.wasmBindings.accounts().map((a) => `${a.id} ${a.balance}`));
    assert.deepEqual(after, before.map((line) => (line.startsWith('acc-001 ') ? `acc-001 ${Number(line.split(' ')[1]) + 1}` : line)));
    const rootKeys = await root.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('ledger/')));
    assert.ok(Object.keys(fixture).every((key) => key.includes('/tabs/') || rootKeys.includes(key)), 'the root keeps its keys');

    // Each copy's tab writes, under a lock of its own.
    const held = await root.evaluate(async () => (await navigator.locks.query()).held.map((lock) => lock.name).sort());
    assert.deepEqual(held, ['ledger-writer', 'ledger-writer@%2Fsome%2Fpath%2F']);

    // Each worker caches its own copy only.
    const rootFiles = await cached(root, 'ledger-v1');
    const subFiles = await cached(root, SUB_CACHE);
    assert.ok(rootFiles.includes('/') && subFiles.includes(SUB), `${rootFiles} | ${subFiles}`);
    assert.deepEqual(rootFiles.filter((path) => path.startsWith(SUB)), []);
    assert.deepEqual(subFiles.filter((path) => !path.startsWith(SUB)), []);
    assert.deepEqual([...root.problems, ...sub.problems], []);
    await context.close();
  } finally {
    await server.close();
  }
});
