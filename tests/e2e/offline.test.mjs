// Offline: visited once online, the app loads and takes commands with the
// network off and its server gone; it says it is offline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openApp, serve } from './harness.mjs';

test('after one visit the app works with the network off and the server stopped', async () => {
  const server = await serve();
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const page = await openApp(context, server.url);
    await page.evaluate(async () => {
      await window.wasmBindings.execute('acc-1', { type: 'OpenAccount', owner: 'Ada', initial_balance: 10 });
    });
    // The service worker has installed (its copy of the app is complete)
    // and controls the page.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const cached = await page.evaluate(async () => {
      const cache = await caches.open('ledger-v1');
      return (await cache.keys()).map((r) => new URL(r.url).pathname).sort();
    });
    assert.ok(cached.some((p) => p.endsWith('.wasm')), cached.join(' '));
    assert.ok(cached.includes('/') && cached.includes('/manifest.webmanifest'), cached.join(' '));
    assert.equal(await page.locator('.offline').isVisible(), false);

    await server.close();
    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => window.wasmBindings?.execute !== undefined, null, { timeout: 15000 });
    await page.getByText('Offline: everything still works').waitFor();
    const state = await page.evaluate(() => window.wasmBindings.execute('acc-1', { type: 'Deposit', amount: 5 }));
    assert.equal(state.balance, 15);
    // A new tab, offline too, opens the account by its link.
    const other = await openApp(context, `${server.url}#/accounts/acc-1`);
    await other.locator('.summary .balance').filter({ hasText: '15.00' }).waitFor();
    assert.deepEqual(page.problems, []);
    await context.close();
  } finally {
    await browser.close();
    await server.close();
  }
});

test('the page offers a manifest with icons, so the browser can install it', async () => {
  const server = await serve();
  const browser = await launch();
  try {
    const page = await openApp(await browser.newContext(), server.url);
    const manifest = await page.evaluate(async () => {
      const link = document.querySelector('link[rel=manifest]');
      return (await fetch(link.href)).json();
    });
    assert.equal(manifest.start_url, '/');
    assert.equal(manifest.display, 'standalone');
    for (const icon of manifest.icons) {
      const ok = await page.evaluate(async (src) => (await fetch(src)).headers.get('content-type'), icon.src);
      assert.equal(ok, 'image/png', icon.src);
    }
  } finally {
    await browser.close();
    await server.close();
  }
});
