// The original walkthrough through window.wasmBindings in the release build,
// in headless Chromium, surviving a reload; typed errors. (Hostile values:
// faults.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, useApp } from './harness.mjs';

const env = useApp();

const ALICE = { id: 'acc-001', owner: 'Alice', balance: 1300, version: 3 };
const EVENTS = [
  { type: 'AccountOpened', owner: 'Alice', initial_balance: 1000 },
  { type: 'MoneyDeposited', amount: 500 },
  { type: 'MoneyWithdrawn', amount: 200 },
];

test('the walkthrough gives the original answers and survives a reload', async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  const state = await page.evaluate(async () => {
    const api = window.wasmBindings;
    await api.execute('acc-001', { type: 'OpenAccount', owner: 'Alice', initial_balance: 1000.0 });
    await api.execute('acc-001', { type: 'Deposit', amount: 500.0 });
    return await api.execute('acc-001', { type: 'Withdraw', amount: 200.0 });
  });
  assert.deepEqual(state, ALICE);
  assert.deepEqual(await page.evaluate(() => window.wasmBindings.account('acc-001')), ALICE);
  assert.deepEqual(await page.evaluate(() => window.wasmBindings.events('acc-001')), EVENTS);

  await page.reload();
  await page.waitForFunction(() => window.wasmBindings?.account !== undefined);
  assert.deepEqual(await page.evaluate(() => window.wasmBindings.account('acc-001')), ALICE);
  assert.deepEqual(await page.evaluate(() => window.wasmBindings.events('acc-001')), EVENTS);
  const history = await page.evaluate(() => window.wasmBindings.history('acc-001'));
  assert.deepEqual(history.map((h) => [h.version, h.event.type]), [[1, 'AccountOpened'], [2, 'MoneyDeposited'], [3, 'MoneyWithdrawn']]);
  assert.equal(new Set(history.map((h) => h.event_id)).size, 3);
  assert.ok(history.every((h) => h.recorded_at > 1.7e12 && h.sequence > 0));
  assert.deepEqual(await page.evaluate(() => window.wasmBindings.accounts()), [ALICE]);
  assert.deepEqual(await page.evaluate(() => window.wasmBindings.account_at('acc-001', 2)), { ...ALICE, balance: 1500, version: 2 });
  await page.locator('.accounts').getByRole('link', { name: 'acc-001' }).waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('rejections throw an Error with a code and a message', async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  const caught = await page.evaluate(async () => {
    const api = window.wasmBindings;
    await api.execute('acc-9', { type: 'OpenAccount', owner: 'Bo', initial_balance: 10 });
    const attempt = async (f) => {
      try {
        await f();
        return null;
      } catch (e) {
        return { isError: e instanceof Error, code: e.code, message: e.message };
      }
    };
    return [
      await attempt(() => api.execute('acc-9', { type: 'Withdraw', amount: 10.01 })),
      await attempt(() => api.execute('acc-9', { type: 'Deposit', amount: 0.001 })),
      await attempt(() => api.execute('nope', { type: 'Deposit', amount: 1 })),
      await attempt(() => api.account_at('acc-9', 7)),
      await attempt(() => api.execute('acc-9', { type: 'Deposit', amount: 1n })),
    ];
  });
  assert.deepEqual(caught.map((c) => c?.code), ['InsufficientFunds', 'InvalidAmount', 'AccountNotFound', 'InvalidVersion', 'InvalidAmount']);
  assert.ok(caught.every((c) => c.isError && c.message.length > 0));
  assert.match(caught[0].message, /Insufficient funds/);
  await context.close();
});
