// axe-core (npm) audits the release build in headless Chromium or
// (E2E_BROWSER=firefox) Firefox ESR at 360 and 1200 px: the empty page, an
// open account, a rejected command's alert, a field's error, and a history
// long enough for its pager, on both of its pages. Every rule axe runs by
// default, every impact: none may fail. (tests/e2e/sync/a11y.test.mjs: the
// Sync card linked, and a pending event.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { audit, loadAxe } from './axe.mjs';
import { BROWSER, openApp, useApp } from './harness.mjs';

const env = useApp();

test('axe finds nothing on the empty page, an account, an alert, a field error and a paged history', async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  await loadAxe(page);
  await page.getByText('Welcome').waitFor();
  const found = await audit(page, 'the empty page');

  await page.getByLabel('Account ID').fill('acc-001');
  await page.getByLabel('Owner').fill('Alice');
  await page.getByLabel('Initial balance').fill('100');
  await page.getByRole('button', { name: 'Open account' }).click();
  await page.locator('.summary .owner').filter({ hasText: 'Alice' }).waitFor();
  found.push(...(await audit(page, 'an open account')));

  await page.getByLabel('Amount').fill('5000');
  await page.getByRole('button', { name: 'Withdraw', exact: true }).click();
  await page.locator('[role=alert]').filter({ hasText: 'Insufficient funds' }).waitFor();
  found.push(...(await audit(page, 'an overdraft alert')));

  await page.getByLabel('Amount').fill('12.345');
  await page.getByRole('button', { name: 'Deposit', exact: true }).click();
  await page.locator('#amount-error').filter({ hasText: 'decimal places' }).waitFor();
  found.push(...(await audit(page, 'a field error')));

  await page.evaluate(async () => {
    for (let i = 0; i < 24; i++) await window.wasmBindings.execute('acc-001', { type: 'Deposit', amount: 1 });
  });
  await page.locator('.pager span').filter({ hasText: 'Page 1 of 2' }).waitFor();
  found.push(...(await audit(page, 'the history, page 1')));
  await page.getByRole('button', { name: 'Older' }).click();
  await page.locator('.pager span').filter({ hasText: 'Page 2 of 2' }).waitFor();
  found.push(...(await audit(page, 'the history, page 2')));

  assert.deepEqual(found, [], `axe in ${BROWSER}:\n${found.join('\n')}`);
  assert.deepEqual(page.problems, []);
  await context.close();
});
