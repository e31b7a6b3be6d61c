// Offline: visited once online, the app loads and takes commands with the
// network off and its server gone; it says it is offline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launch, openApp, serve } from './harness.mjs';

const cachedPaths = (page) =>
  page.evaluate(async () => {
    const cache = await caches.open('ledger-v1');
    return (await cache.keys()).map((r) => new URL(r.url).pathname).sort();
  });

/** Runs `body` with a copy of the build served from a temporary folder (to
 *  "deploy" again), a page that the service worker controls, and cleans up. */
async function withDeployedCopy(body) {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-deploy-'));
  await cp(resolve(import.meta.dirname, '../../dist'), dir, { recursive: true });
  const server = await serve(dir);
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const page = await openApp(context, server.url);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await body({ dir, server, context, page });
    await context.close();
  } finally {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

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
    const cached = await cachedPaths(page);
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
      const json = await (await fetch(link.href)).json();
      // Relative URLs, so any folder of a host serves it (paths.test.mjs).
      return { ...json, start_url: new URL(json.start_url, link.href).href };
    });
    assert.equal(manifest.start_url, server.url);
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

test('a new build replaces the cached one on the next visit online', async () => {
  // The copy is deployed again with a file under a new hashed name.
  await withDeployedCopy(async ({ dir, page }) => {
    const css = (await readdir(dir)).find((name) => name.endsWith('.css'));
    assert.ok((await cachedPaths(page)).includes(`/${css}`));

    const renamed = css.replace('.css', '-next.css');
    await rename(join(dir, css), join(dir, renamed));
    const index = await readFile(join(dir, 'index.html'), 'utf8');
    await writeFile(join(dir, 'index.html'), index.replaceAll(css, renamed).replace(/ integrity="[^"]*"/g, ''));
    await page.reload();
    await page.waitForFunction(() => window.wasmBindings?.execute !== undefined);
    // The page's own fetch of the new file and the worker's trim both happen
    // after the navigation: wait for the cache to settle.
    let paths = [];
    for (let i = 0; i < 50; i++) {
      paths = await cachedPaths(page);
      if (paths.includes(`/${renamed}`) && !paths.includes(`/${css}`)) break;
      await page.waitForTimeout(100);
    }
    assert.ok(paths.includes(`/${renamed}`), paths.join(' '));
    assert.ok(!paths.includes(`/${css}`), paths.join(' '));
  });
});

test('a new build with a file missing never replaces the complete cached one', async () => {
  await withDeployedCopy(async ({ dir, server, context, page }) => {
    const before = await cachedPaths(page);
    const css = (await readdir(dir)).find((name) => name.endsWith('.css'));

    // A deploy that references a stylesheet it never uploaded.
    const index = await readFile(join(dir, 'index.html'), 'utf8');
    await writeFile(join(dir, 'index.html'), index.replaceAll(css, css.replace('.css', '-missing.css')).replace(/ integrity="[^"]*"/g, ''));
    await page.reload();
    await page.waitForFunction(() => window.wasmBindings?.execute !== undefined);
    // Give the worker time to try (and fail) to cache the new build.
    await page.waitForTimeout(500);
    assert.deepEqual(await cachedPaths(page), before, 'the cache still holds the complete build');

    await server.close();
    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => window.wasmBindings?.execute !== undefined, null, { timeout: 15000 });
    const state = await page.evaluate(() =>
      window.wasmBindings.execute('acc-9', { type: 'OpenAccount', owner: 'Ora', initial_balance: 1 }),
    );
    assert.equal(state.balance, 1);
    const styled = await page.evaluate(() => [...document.styleSheets].some((s) => s.href?.endsWith('.css') && s.cssRules.length > 0));
    assert.ok(styled, 'the cached stylesheet applies offline');
  });
});
