// Taking the ledger out and bringing it back, in the release build: export,
// clear, import; a second import; a tampered file; the CSV statement; and
// the same through the page's buttons.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { openApp, useApp } from './harness.mjs';

const env = useApp();

async function seed(page) {
  await page.evaluate(async () => {
    const api = window.wasmBindings;
    await api.execute('acc-001', { type: 'OpenAccount', owner: 'Zoë "Z" \\ <b>', initial_balance: 1000 });
    await api.execute('acc-001', { type: 'Deposit', amount: 500.25 });
    await api.execute('acc-001', { type: 'Withdraw', amount: 200, command_id: 'w-1' });
    await api.execute('acc-002', { type: 'OpenAccount', owner: 'Bob', initial_balance: 0 });
  });
}

const everything = (page) =>
  page.evaluate(() => {
    const api = window.wasmBindings;
    const accounts = api.accounts();
    return { accounts, histories: accounts.map((a) => api.history(a.id)) };
  });

test('export, clear, import: the same ledger; again: nothing new; tampered: refused, nothing changed', async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  await seed(page);
  const before = await everything(page);
  const file = await page.evaluate(() => window.wasmBindings.export_ledger());
  const lines = file.trim().split('\n');
  assert.equal(lines.length, 5);
  assert.equal(JSON.parse(lines[0]).events, 4);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.waitForFunction(() => window.wasmBindings?.execute !== undefined);
  assert.deepEqual(await page.evaluate(() => window.wasmBindings.accounts()), []);
  const first = await page.evaluate((text) => window.wasmBindings.import_ledger(text), file);
  assert.deepEqual(first, { accounts: 2, events_added: 4, events_skipped: 0 });
  assert.deepEqual(await everything(page), before);
  const second = await page.evaluate((text) => window.wasmBindings.import_ledger(text), file);
  assert.deepEqual(second, { accounts: 2, events_added: 0, events_skipped: 4 });

  const stored = await page.evaluate(() => JSON.stringify(Object.entries(localStorage).sort()));
  const tampered = file.replace('"amount":500.25', '"amount":5000.25');
  const refused = await page.evaluate((text) => {
    try { window.wasmBindings.import_ledger(text); return null; } catch (e) { return { code: e.code, line: e.line, message: e.message }; }
  }, tampered);
  assert.equal(refused.code, 'InvalidImport');
  assert.equal(refused.line, 3);
  assert.match(refused.message, /hash/);
  assert.equal(await page.evaluate(() => JSON.stringify(Object.entries(localStorage).sort())), stored);
  await context.close();
});

test("the original server's array of events becomes a new account", async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  const report = await page.evaluate(() =>
    window.wasmBindings.import_ledger(
      '[{"type":"AccountOpened","owner":"Alice","initial_balance":1000.0},{"type":"MoneyDeposited","amount":500.0}]',
      'old-1',
    ),
  );
  assert.deepEqual(report, { accounts: 1, events_added: 2, events_skipped: 0 });
  assert.equal(await page.evaluate(() => window.wasmBindings.account('old-1').balance), 1500);
  await context.close();
});

test('the buttons: Export downloads the export, Import reads a file, the statement matches the history', async () => {
  const context = await env.browser.newContext({ acceptDownloads: true });
  const page = await openApp(context, `${env.server.url}#/accounts/acc-001`);
  await seed(page);
  await page.locator('.summary .version').filter({ hasText: /^3$/ }).waitFor();

  const [exported] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export' }).click()]);
  assert.match(exported.suggestedFilename(), /^ledger-\d{4}-\d\d-\d\d\.ndjson$/);
  const text = await readFile(await exported.path(), 'utf8');
  const api = await page.evaluate(() => window.wasmBindings.export_ledger());
  const body = (t) => t.split('\n').slice(1).join('\n');
  assert.equal(body(text), body(api));

  const [statement] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Statement (CSV)' }).click(),
  ]);
  const csv = (await readFile(await statement.path(), 'utf8')).trim().split('\n');
  assert.equal(csv[0], 'date,type,amount,balance_after');
  const history = await page.evaluate(() => window.wasmBindings.history('acc-001'));
  assert.equal(csv.length - 1, history.length);
  const balances = ['1000.00', '1500.25', '1300.25'];
  history.forEach((entry, i) => {
    const [date, type, amount, after] = csv[i + 1].split(',');
    assert.equal(date, new Date(entry.recorded_at).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    assert.equal(type, entry.event.type);
    assert.equal(Number(amount), entry.event.amount ?? entry.event.initial_balance);
    assert.equal(after, balances[i]);
  });

  // Into an empty profile through the file picker.
  const fresh = await env.browser.newContext();
  const other = await openApp(fresh, env.server.url);
  await other.locator('input[type=file]').setInputFiles({ name: 'ledger.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(text) });
  await other.getByText('Imported 2 accounts: 4 new events, 0 already here.').waitFor();
  await other.locator('section.accounts tbody tr').nth(1).waitFor();
  assert.deepEqual(await everything(other), await everything(page));
  await fresh.close();
  await context.close();
});

test("the Import button takes the original server's events after asking for the account", async () => {
  const context = await env.browser.newContext();
  const page = await openApp(context, env.server.url);
  const events = '[{"type":"AccountOpened","owner":"Alice","initial_balance":1000.0},{"type":"MoneyWithdrawn","amount":0.5}]';
  await page.locator('input[type=file]').setInputFiles({ name: 'events.json', mimeType: 'application/json', buffer: Buffer.from(events) });
  await page.getByText("This file is one account's events from the original server.").waitFor();
  await page.getByLabel('New account ID').fill('old acc');
  await page.getByRole('button', { name: 'Import as a new account' }).click();
  await page.locator('#import-id-error').filter({ hasText: /ASCII letters/ }).waitFor();
  await page.getByLabel('New account ID').fill('old-acc');
  await page.getByRole('button', { name: 'Import as a new account' }).click();
  await page.getByText('Imported 1 accounts: 2 new events, 0 already here.').waitFor();
  assert.equal(await page.evaluate(() => window.wasmBindings.account('old-acc').balance), 999.5);
  assert.equal(await page.getByText("This file is one account's events").isVisible(), false);
  await context.close();
});
