// The app as a person uses it, in the release build in headless Chromium:
// by labels and buttons, with reloads, deep links, a second page, a long
// history, the keyboard alone and a phone-sized screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, useApp } from './harness.mjs';

const env = useApp();

async function openAccount(page, id, owner, balance) {
  await page.getByLabel('Account ID').fill(id);
  await page.getByLabel('Owner').fill(owner);
  await page.getByLabel('Initial balance').fill(balance);
  await page.getByRole('button', { name: 'Open account' }).click();
}

async function move(page, amount, button) {
  await page.getByLabel('Amount').fill(amount);
  await page.getByRole('button', { name: button, exact: true }).click();
}

const summary = async (page, field) => (await page.locator(`.summary .${field}`).textContent()).trim();

test('open, deposit, withdraw; rejections; reload and deep link keep the account', async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  await page.getByText('Welcome').waitFor();
  await openAccount(page, 'acc-001', 'Alice', '1000');
  await move(page, '500', 'Deposit');
  await move(page, '200', 'Withdraw');
  assert.equal(await summary(page, 'balance'), '1,300.00');
  assert.equal(await summary(page, 'version'), '3');
  assert.match(page.url(), /#\/accounts\/acc-001$/);

  await move(page, '5000', 'Withdraw');
  await assert.doesNotReject(page.getByRole('alert').filter({ hasText: 'Insufficient funds' }).waitFor());
  assert.equal(await summary(page, 'version'), '3');

  await move(page, '12.345', 'Deposit');
  const amount = page.getByLabel('Amount');
  assert.equal(await amount.getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#amount-error').textContent(), /more than 2 decimal places/);
  assert.equal(await summary(page, 'version'), '3');

  await page.reload();
  await page.locator('.summary .balance').waitFor();
  assert.equal(await summary(page, 'balance'), '1,300.00');

  const direct = await openApp(context, `${env.server.url}#/accounts/acc-001`);
  await direct.locator('.summary .owner').waitFor();
  assert.equal(await summary(direct, 'owner'), 'Alice');
  assert.equal(await direct.locator('.history tbody tr').count(), 3);
  assert.deepEqual([...page.problems, ...direct.problems], []);
  await context.close();
});

test('time travel shows an earlier version, and the chart is drawn', async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  await openAccount(page, 'acc-001', 'Alice', '1000');
  await move(page, '500', 'Deposit');
  await move(page, '200', 'Withdraw');
  assert.equal(await page.locator('.chart svg polyline').count(), 1);
  assert.ok((await page.locator('.chart polyline').getAttribute('points')).trim().split(/\s+/).length === 3);
  await page.getByLabel('Version').fill('2');
  assert.equal(await summary(page, 'balance'), '1,500.00');
  assert.equal(await page.locator('.history tbody tr').count(), 2);
  assert.equal(await page.locator('.chart .marker').count(), 1);
  await page.getByRole('button', { name: 'Back to now' }).click();
  assert.equal(await summary(page, 'balance'), '1,300.00');
  await context.close();
});

test('a hostile owner name shows literally and runs nothing', async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  const hostile = '<img src=x onerror="window.__owned=1">';
  await openAccount(page, 'acc-x', hostile, '1');
  assert.equal(await summary(page, 'owner'), hostile);
  assert.equal(await page.locator('img').count(), 0);
  await page.waitForTimeout(100);
  assert.equal(await page.evaluate(() => window.__owned), undefined);
  await context.close();
});

test('a command from a second page appears without a reload', async () => {
  const context = await env.browser.newContext();
  const first = await openApp(context, `${env.server.url}#/accounts/shared`);
  const second = await openApp(context, env.server.url);
  await openAccount(second, 'shared', 'Sam', '10');
  await first.locator('.summary .balance').filter({ hasText: '10.00' }).waitFor({ timeout: 1000 });
  await second.evaluate(async () => await window.wasmBindings.execute('shared', { type: 'Deposit', amount: 5 }));
  await first.locator('.summary .balance').filter({ hasText: '15.00' }).waitFor({ timeout: 1000 });
  await first.locator('.accounts').getByText('shared').waitFor({ timeout: 1000 });
  await context.close();
});

test('10,000 events: the history is paged and the page stays quick', async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  await page.evaluate(async () => {
    const api = window.wasmBindings;
    await api.execute('long', { type: 'OpenAccount', owner: 'Lee', initial_balance: 0 });
    for (let i = 1; i < 10000; i++) await api.execute('long', { type: 'Deposit', amount: 1 });
  });
  await page.goto(`${env.server.url}#/accounts/long`);
  await page.reload();
  await page.locator('.summary .version').filter({ hasText: '10,000' }).waitFor();
  assert.equal(await page.locator('.history tbody tr').count(), 20);
  assert.equal((await page.locator('.pager span').textContent()).trim(), 'Page 1 of 500');
  await move(page, '1', 'Deposit');
  assert.equal(await summary(page, 'version'), '10,001', 'versions are grouped as the locale groups numbers');
  assert.equal((await page.locator('.history tbody tr:first-child td').first().textContent()).trim(), '10,001');
  assert.equal(await page.locator('.history tbody tr').count(), 20);
  await context.close();
});

test('usable by keyboard alone', async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  await page.locator('body').focus();
  const focusOn = async (label) => {
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((l) => document.activeElement?.labels?.[0]?.textContent === l, label)) return;
    }
    assert.fail(`Tab never reached ${label}`);
  };
  await focusOn('Account ID');
  await page.keyboard.type('kb-1');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Kay');
  await page.keyboard.press('Tab');
  await page.keyboard.type('20');
  await page.keyboard.press('Enter');
  await page.locator('.summary .owner').filter({ hasText: 'Kay' }).waitFor();
  await focusOn('Amount');
  await page.keyboard.type('5');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter'); // the Deposit button
  await page.locator('.summary .balance').filter({ hasText: '25.00' }).waitFor();
  await context.close();
});

test('readable at 360 px wide: nothing overflows the screen', async () => {
  const context = await env.browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await openApp(context, env.server.url);
  await openAccount(page, 'a-rather-long-account-id-for-a-small-screen', 'Maximilian Alexander Longname', '1234567.89');
  await move(page, '1', 'Deposit');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width} px wide`);
  await context.close();
});
