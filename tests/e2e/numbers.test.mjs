// Numbers in the browser's locale, and the chart that travels, in the
// release build: a German browser (de-DE) and an American one (en-US).
// Runs in Chromium, and in Firefox with E2E_BROWSER=firefox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BROWSER, launch, openApp, serve } from './harness.mjs';
import { launchFirefox } from './firefox.mjs';

let server;
before(async () => {
  server = await serve();
});
after(() => server?.close());

/** Runs `body` with a context whose browser speaks `locale`: Chromium
 *  takes it per context, Firefox per browser. */
async function inLocale(locale, body) {
  const browser = BROWSER === 'firefox' ? await launchFirefox({ locale }) : await launch();
  try {
    await body(await browser.newContext({ locale }));
  } finally {
    await browser.close();
  }
}

async function openAccount(page, id, owner, balance) {
  await page.getByLabel('Account ID').fill(id);
  await page.getByLabel('Owner').fill(owner);
  await page.getByLabel('Initial balance').fill(balance);
  await page.getByRole('button', { name: 'Open account' }).click();
  await page.locator('.summary .owner').filter({ hasText: owner }).waitFor();
}

async function move(page, amount, button) {
  await page.getByLabel('Amount').fill(amount);
  await page.getByRole('button', { name: button, exact: true }).click();
}

const text = async (page, selector) => ((await page.locator(selector).textContent()) ?? '').trim();

/** A real pointer click at a share of the chart's width, halfway down. */
async function clickChart(page, share) {
  const { x, y } = await page.evaluate((share) => {
    const plot = document.querySelector('.chart-plot');
    plot.scrollIntoView({ block: 'center' });
    const r = plot.getBoundingClientRect();
    return { x: r.left + r.width * share, y: r.top + r.height / 2 };
  }, share);
  await (page.raw ?? page).mouse.click(x, y);
}

test('a German browser types 12,50 and reads German amounts; a click on the chart travels', async () => {
  await inLocale('de-DE', async (context) => {
    const page = await openApp(context, server.url);
    await openAccount(page, 'acc-de', 'Anna', '1.000');
    await move(page, '12,50', 'Deposit');
    await page.locator('.summary .balance').filter({ hasText: '1.012,50' }).waitFor({ timeout: 5000 });
    assert.match(await text(page, '.history'), /Deposited 12,50/);
    assert.match(await text(page, '.accounts tfoot'), /1\.012,50/);
    await move(page, '12.50', 'Deposit');
    await page.locator('#amount-error').filter({ hasText: '1.234,50' }).waitFor({ timeout: 5000 });
    await move(page, '99999', 'Withdraw');
    await page
      .locator('[role=alert]')
      .filter({ hasText: 'the balance is 1.012,50, the withdrawal 99.999,00' })
      .waitFor({ timeout: 5000 });
    assert.match(await text(page, 'footer [role=status]'), /room for about \d{1,3}(\.\d{3})+ more/);
    assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('.chart-y .tick')].map((t) => t.textContent)), [
      '0,00',
      '500,00',
      '1.000,00',
      '1.500,00',
    ]);

    await clickChart(page, 0.01);
    await page.locator('.summary .version').filter({ hasText: '1' }).waitFor({ timeout: 5000 });
    assert.equal(await text(page, '.summary .balance'), '1.000,00');
    assert.match(await text(page, '.chart-readout'), /^Version 1 of 2, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d: balance 1\.000,00$/);
    assert.equal(await page.evaluate(() => document.querySelectorAll('.chart .marker').length), 1);
    assert.deepEqual(page.problems, []);
  });
});

test('an American browser reads 12.50 and writes 1,012.50', async () => {
  await inLocale('en-US', async (context) => {
    const page = await openApp(context, server.url);
    await openAccount(page, 'acc-us', 'Sam', '1,000');
    await move(page, '12.50', 'Deposit');
    await page.locator('.summary .balance').filter({ hasText: '1,012.50' }).waitFor({ timeout: 5000 });
    await move(page, '12,50', 'Deposit');
    await page.locator('#amount-error').filter({ hasText: '1,234.50' }).waitFor({ timeout: 5000 });
    assert.match(await text(page, 'footer [role=status]'), /room for about \d{1,3}(,\d{3})+ more/);
  });
});
