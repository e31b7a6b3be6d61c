// What goes wrong on the way: the server answering 5xx, a push timing out,
// the connection dropped after the server stored a push (its answer lost),
// a bad token, and the writing tab closed with events pending. Sync resumes
// by itself, and every command ends confirmed exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApp } from '../harness.mjs';
import { device, identity, ledger, serverIdentity, skip, useBrowser } from './devices.mjs';

const env = useBrowser();


test('a push answered 5xx, timed out, or cut off after the server stored it is sent again and stored once', { skip }, async () => {
  const { server, who } = await ledger(1);
  try {
    const a = await device(env.browser, server, who[0]);
    await a.run('acc-1', { type: 'OpenAccount', owner: 'Ann', initial_balance: 10 });
    await a.connect();
    const faults = ['5xx', 'timeout', 'cut off'];
    const seen = [];
    await a.context.route('**/sync/accounts/*', async (route) => {
      if (route.request().method() !== 'POST' || faults.length === 0) return route.continue();
      const fault = faults.shift();
      seen.push(fault);
      if (fault === '5xx') return route.fulfill({ status: 503, contentType: 'application/json', body: '{"code":"Unavailable","message":"down for a moment"}' });
      if (fault === 'timeout') return route.abort('timedout');
      // The server stores the push; its answer never arrives.
      await route.fetch();
      return route.abort('connectionreset');
    });
    for (const amount of [1, 2, 3]) {
      await a.run('acc-1', { type: 'Deposit', amount });
      await a.page.waitForFunction((n) => window.wasmBindings.sync_status().pending < n || n === 0, 0, { timeout: 100 }).catch(() => {});
    }
    await a.settled(30_000);
    assert.deepEqual(seen, ['5xx', 'timeout', 'cut off']);
    const events = await server.pull(who[0].token);
    assert.deepEqual(identity(await a.history('acc-1')), serverIdentity(events, 'acc-1'));
    assert.deepEqual(events.map((e) => e.event.type), ['AccountOpened', 'MoneyDeposited', 'MoneyDeposited', 'MoneyDeposited']);
    assert.deepEqual(await a.rejected(), []);
    await a.close();
  } finally {
    await server.stop();
  }
});

test('a bad token stops sync and asks for a new one; the new one syncs what waited', { skip }, async () => {
  const { server, who } = await ledger(1);
  try {
    const a = await device(env.browser, server, { ...who[0], token: 'not-a-token-the-server-knows-at-all-xx' });
    const refused = await a.connect();
    assert.equal(refused.error?.code, 'Unauthorized');
    assert.equal((await a.status()).state, 'error');
    await a.run('acc-1', { type: 'OpenAccount', owner: 'Ann', initial_balance: 10 });
    assert.equal((await a.status()).pending, 1, 'commands still work, pending');
    const connected = await a.call('sync_connect', { url: server.url, token: who[0].token });
    assert.equal(connected.value?.state, 'synced', JSON.stringify(connected.error));
    assert.equal((await server.pull(who[0].token)).length, 1);
    await a.close();
  } finally {
    await server.stop();
  }
});

test('the writing tab closes with events pending: the next writer sends them', { skip }, async () => {
  const { server, who } = await ledger(1);
  try {
    const context = await env.browser.newContext();
    const writer = await openApp(context, server.url);
    const other = await openApp(context, server.url);
    await writer.evaluate(([url, token]) => window.wasmBindings.sync_connect({ url, token }), [server.url, who[0].token]);
    await context.setOffline(true);
    // Sent from the tab that does not write: it runs in the writer, pending.
    await other.evaluate(() => window.wasmBindings.execute('acc-1', { type: 'OpenAccount', owner: 'Ann', initial_balance: 5 }));
    await other.evaluate(() => window.wasmBindings.execute('acc-1', { type: 'Deposit', amount: 1 }));
    assert.equal(await other.evaluate(() => window.wasmBindings.sync_status().pending), 2);
    await writer.close();
    await context.setOffline(false);
    await other.waitForFunction(
      () => window.wasmBindings.sync_status().state === 'synced' && window.wasmBindings.sync_status().pending === 0,
      null,
      { timeout: 20_000 },
    );
    const events = await server.pull(who[0].token);
    assert.deepEqual(events.map((e) => e.event.type), ['AccountOpened', 'MoneyDeposited']);
    await context.close();
  } finally {
    await server.stop();
  }
});

test('a pending command is cancelled from the history before the server has it', { skip }, async () => {
  const { server, who } = await ledger(1);
  try {
    const a = await device(env.browser, server, who[0]);
    await a.run('acc-1', { type: 'OpenAccount', owner: 'Ann', initial_balance: 10 });
    await a.connect();
    await a.offline(true);
    await a.run('acc-1', { type: 'Deposit', amount: 5 });
    await a.run('acc-1', { type: 'Withdraw', amount: 12 });
    await a.page.goto(`${server.url}/#/accounts/acc-1`);
    await a.page.waitForFunction(() => document.querySelectorAll('tr.pending').length === 2, null, { timeout: 10_000 });
    await a.page.waitForFunction(() => window.wasmBindings.sync_status().state === 'offline', null, { timeout: 20_000 });
    // Cancel the deposit: the withdrawal made on it no longer passes.
    await a.page.locator('tr.pending').filter({ hasText: 'Deposited' }).getByRole('button', { name: 'Cancel' }).click();
    await a.page.waitForFunction(() => window.wasmBindings.sync_status().pending === 0, null, { timeout: 10_000 });
    assert.deepEqual((await a.rejected()).map((r) => [r.command.type, r.code]), [['Withdraw', 'InsufficientFunds']]);
    assert.equal((await a.account('acc-1')).balance, 10);
    await a.offline(false);
    await a.settled();
    assert.equal((await server.pull(who[0].token)).length, 1, 'neither reached the server');
    await a.close();
  } finally {
    await server.stop();
  }
});
