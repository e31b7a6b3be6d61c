// Keep the data: the page shows what `navigator.storage.persisted()` says in
// this browser, asks `persist()` at the first write, and never waits on
// either; a browser without it is told so. Runs in Chromium and
// (E2E_BROWSER=firefox) Firefox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, useApp } from './harness.mjs';

const env = useApp();

const shown = (page) => page.evaluate(() => document.querySelector('.data .keep')?.dataset.persistence);

test('"Your data" shows what the browser says about keeping the ledger', async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  const said = await page.evaluate(() => navigator.storage.persisted());
  const expected = said ? 'persisted' : 'not-persisted';
  await page.waitForFunction((expected) => document.querySelector('.data .keep')?.dataset.persistence === expected, expected);
  if (!said) {
    const text = await page.locator('.data .keep').textContent();
    assert.match(text, /may clear the ledger.*Export/);
  }
  // The first write asks to keep it; whatever the browser answers (or not),
  // the command is done and the line still says what the browser said.
  const state = await page.evaluate(() =>
    window.wasmBindings.execute('keep-1', { type: 'OpenAccount', owner: 'Kim', initial_balance: 3 }),
  );
  assert.equal(state.balance, 3);
  assert.ok(['persisted', 'not-persisted'].includes(await shown(page)));
  await context.close();
});

test('with a browser that never answers, the page says it does not know yet, and commands work', async () => {
  const context = await env.browser.newContext();
  await context.addInitScript(() => {
    const never = () => new Promise(() => {});
    Object.defineProperty(navigator.storage, 'persisted', { value: never });
    Object.defineProperty(navigator.storage, 'persist', { value: never });
  });
  const page = await openApp(context, env.server.url);
  const state = await page.evaluate(async () => {
    await window.wasmBindings.execute('wait-1', { type: 'OpenAccount', owner: 'Wen', initial_balance: 1 });
    return window.wasmBindings.execute('wait-1', { type: 'Deposit', amount: 2 });
  });
  assert.equal(state.balance, 3);
  assert.equal(await shown(page), 'unknown');
  assert.match(await page.locator('.data .keep').textContent(), /not known yet/);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a browser without navigator.storage: the page says it promises nothing and how to keep the ledger, and commands work', async () => {
  const context = await env.browser.newContext();
  // An old browser, or an insecure context: no StorageManager at all.
  await context.addInitScript(() => Object.defineProperty(navigator, 'storage', { value: undefined }));
  const page = await openApp(context, env.server.url);
  assert.equal(await page.evaluate(() => navigator.storage), undefined);
  await page.waitForFunction(() => document.querySelector('.data .keep')?.dataset.persistence === 'unsupported');
  assert.match(await page.locator('.data .keep').textContent(), /promises nothing.*Export/);
  const state = await page.evaluate(() =>
    window.wasmBindings.execute('bare-1', { type: 'OpenAccount', owner: 'Bea', initial_balance: 4 }),
  );
  assert.equal(state.balance, 4);
  assert.equal(await shown(page), 'unsupported');
  assert.deepEqual(page.problems, []);
  await context.close();
});
