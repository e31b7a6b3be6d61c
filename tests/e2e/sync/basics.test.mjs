// Sync between devices through the real server: an existing ledger is
// uploaded, another device downloads it, live changes appear within a
// second, and the two conflict cases by name (two offline withdrawals that
// together overdraw; one account id opened on two devices offline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from '../harness.mjs';
import { device, identity, ledger, serverIdentity, skip, useBrowser } from './devices.mjs';

const env = useBrowser();


test('a ledger is uploaded, downloaded on another device, and changes appear live', { skip }, async () => {
  const { server, who } = await ledger(2);
  try {
    const a = await device(env.browser, server, who[0]);
    // A ledger kept before sync: uploaded whole when the device connects.
    assert.equal((await a.run('acc-1', { type: 'OpenAccount', owner: 'Ann', initial_balance: 100 })).error, undefined);
    await a.run('acc-1', { type: 'Deposit', amount: 5 });
    assert.equal((await a.status()).state, 'off');
    const connected = await a.connect();
    assert.equal(connected.error, undefined, JSON.stringify(connected.error));
    assert.equal(connected.value.state, 'synced');
    assert.equal(connected.value.pending, 0);

    const b = await device(env.browser, server, who[1]);
    assert.equal((await b.connect()).value?.state, 'synced');
    assert.deepEqual(await b.account('acc-1'), await a.account('acc-1'));
    const events = await server.pull(who[0].token);
    assert.deepEqual(identity(await b.history('acc-1')), serverIdentity(events, 'acc-1'));
    assert.deepEqual(identity(await a.history('acc-1')), serverIdentity(events, 'acc-1'));

    // Live: b sees a's deposit within a second, in each of its tabs.
    const other = await b.context.newPage();
    await other.goto(`${server.url}/#/accounts/acc-1`);
    await other.waitForFunction(() => document.querySelector('.balance')?.textContent === '105.00', null, { timeout: 10_000 });
    const sent = Date.now();
    await a.run('acc-1', { type: 'Deposit', amount: 1 });
    await b.page.waitForFunction(() => window.wasmBindings.account('acc-1')?.balance === 106, null, { timeout: 5000 });
    const took = Date.now() - sent;
    assert.ok(took < 1500, `the change took ${took} ms to appear`);
    await other.waitForFunction(() => document.querySelector('.balance')?.textContent === '106.00', null, { timeout: 5000 });
    const inTab = Date.now() - sent;
    assert.ok(inTab < 2000, `the change took ${inTab} ms to appear in the other tab`);
    console.log(`# live: ${took} ms to the other device, ${inTab} ms to its other tab's page`);
    // And the page shows it, with no pending mark once confirmed.
    await a.settled();
    await b.page.goto(`${server.url}/#/accounts/acc-1`);
    await b.page.waitForFunction(() => document.querySelector('.balance')?.textContent === '106.00', null, { timeout: 5000 });
    await a.close();
    await b.close();
  } finally {
    await server.stop();
  }
});

test('two offline withdrawals that together overdraw: the second is rejected, never applied', { skip }, async () => {
  const { server, who } = await ledger(2);
  try {
    const [a, b] = [await device(env.browser, server, who[0]), await device(env.browser, server, who[1])];
    await a.run('acc-1', { type: 'OpenAccount', owner: 'Ann', initial_balance: 100 });
    await a.connect();
    await b.connect();
    await a.offline(true);
    await b.offline(true);
    assert.equal((await a.run('acc-1', { type: 'Withdraw', amount: 70 })).value?.balance, 30);
    assert.equal((await b.run('acc-1', { type: 'Withdraw', amount: 50 })).value?.balance, 50);
    await b.run('acc-1', { type: 'Deposit', amount: 1 });
    assert.equal((await b.status()).pending, 2);
    await a.offline(false);
    await a.settled();
    await b.offline(false);
    await b.settled();
    const rejected = await b.rejected();
    assert.deepEqual(rejected.map((r) => [r.id, r.command.type, r.code]), [['acc-1', 'Withdraw', 'InsufficientFunds']]);
    assert.equal((await b.account('acc-1')).balance, 31);
    await a.page.waitForFunction(() => window.wasmBindings.account('acc-1')?.balance === 31, null, { timeout: 5000 });
    const events = await server.pull(who[0].token);
    assert.deepEqual(identity(await b.history('acc-1')), serverIdentity(events, 'acc-1'));
    assert.deepEqual(identity(await a.history('acc-1')), serverIdentity(events, 'acc-1'));
    // The page says what was refused, and why.
    await b.page.waitForFunction(() => document.querySelector('.rejections')?.textContent.includes('Insufficient funds'));
    await a.close();
    await b.close();
  } finally {
    await server.stop();
  }
});

test('one account id opened on two devices offline: the later opening and all made on it are rejected', { skip }, async () => {
  const { server, who } = await ledger(2);
  try {
    const [a, b] = [await device(env.browser, server, who[0]), await device(env.browser, server, who[1])];
    await a.connect();
    await b.connect();
    await a.offline(true);
    await b.offline(true);
    await a.run('acc-9', { type: 'OpenAccount', owner: 'Ann', initial_balance: 10 });
    await b.run('acc-9', { type: 'OpenAccount', owner: 'Bob', initial_balance: 20 });
    await b.run('acc-9', { type: 'Deposit', amount: 7 });
    await a.offline(false);
    await a.settled();
    await b.offline(false);
    await b.settled();
    const codes = (await b.rejected()).map((r) => [r.command.type, r.code]);
    assert.deepEqual(codes, [['OpenAccount', 'AccountAlreadyExists'], ['Deposit', 'OpenedElsewhere']]);
    const acc = await b.account('acc-9');
    assert.deepEqual([acc.owner, acc.balance], ['Ann', 10], "Bob's deposit never lands in Ann's account");
    await a.close();
    await b.close();
  } finally {
    await server.stop();
  }
});

test('the app on a static host syncs with the server elsewhere (CORS), and an unreachable server is SyncUnavailable', { skip }, async () => {
  const app = await serve();
  const origin = app.url.replace(/\/$/, '');
  const { server, who } = await ledger(1, { CORS_ORIGINS: origin });
  try {
    const a = await device(env.browser, { url: origin }, who[0]);
    await a.run('acc-1', { type: 'OpenAccount', owner: 'Ann', initial_balance: 2 });
    const nowhere = await a.call('sync_connect', { url: 'http://127.0.0.1:9', token: who[0].token });
    assert.equal(nowhere.error?.code, 'SyncUnavailable', JSON.stringify(nowhere));
    const connected = await a.connect(server.url);
    assert.equal(connected.value?.state, 'synced', JSON.stringify(connected.error));
    assert.equal((await server.pull(who[0].token)).length, 1);
    const bad = await a.call('sync_connect', { url: 'ftp://example.org' });
    assert.equal(bad.error?.code, 'InvalidLink');
    await a.close();
  } finally {
    await server.stop();
    await app.close();
  }
});
