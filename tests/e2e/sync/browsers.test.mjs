// One device in Chromium and one in Firefox ESR keep one account together.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../harness.mjs';
import { launchFirefox } from '../firefox.mjs';
import { startServer, tenant, token } from '../ledger-server.mjs';
import { device, identity, serverIdentity, skip } from './devices.mjs';
let chrome;
let firefox;
before(async () => {
  if (skip) return;
  chrome = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  firefox = await launchFirefox();
});
after(async () => {
  await chrome?.close();
  await firefox?.close();
});

test('a Chromium device and a Firefox device sync the same account', { skip }, async () => {
  const t = tenant();
  const who = [{ tenant: t, device: 'chromium', token: token() }, { tenant: t, device: 'firefox', token: token() }];
  const server = await startServer({ devices: who });
  try {
    const c = await device(chrome, server, who[0]);
    const f = await device(firefox, server, who[1]);
    await c.run('shared', { type: 'OpenAccount', owner: 'Both', initial_balance: 50 });
    assert.equal((await c.connect()).value?.state, 'synced');
    assert.equal((await f.connect()).value?.state, 'synced');
    await f.run('shared', { type: 'Withdraw', amount: 20 });
    await c.run('shared', { type: 'Deposit', amount: 5 });
    await c.settled();
    await f.settled();
    await c.page.waitForFunction(() => window.wasmBindings.account('shared')?.version === 3, null, { timeout: 10_000 });
    await f.page.waitForFunction(() => window.wasmBindings.account('shared')?.version === 3, null, { timeout: 10_000 });
    const events = await server.pull(who[0].token);
    assert.deepEqual(identity(await c.history('shared')), serverIdentity(events, 'shared'));
    assert.deepEqual(identity(await f.history('shared')), serverIdentity(events, 'shared'));
    assert.equal((await f.account('shared')).balance, 35);
    // Each event names the device that stored it.
    assert.equal(events[0].device, 'chromium');
    assert.deepEqual(new Set(events.slice(1).map((e) => e.device)), new Set(['chromium', 'firefox']));
    await c.close();
    await f.close();
  } finally {
    await server.stop();
  }
});
