// What sync asks the user to decide, and what it keeps across reloads: an
// account here that is not the server's (restored from the server after an
// export), a server reset (not merged into; uploaded to on request), the
// link kept across a reload, a long first download resumed after one, and
// the service worker leaving the API alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from '../ledger-server.mjs';
import { device, identity, ledger, serverIdentity, skip, useBrowser } from './devices.mjs';

const env = useBrowser();


test('an account here that is not the server\'s is named, offered as a file, and taken from the server on request', { skip }, async () => {
  const { server, who } = await ledger(2);
  try {
    const [a, b] = [await device(env.browser, server, who[0]), await device(env.browser, server, who[1])];
    await b.run('acc-x', { type: 'OpenAccount', owner: 'Bea', initial_balance: 5 });
    await b.connect();
    // a kept its own acc-x before it ever synced.
    await a.run('acc-x', { type: 'OpenAccount', owner: 'Al', initial_balance: 9 });
    await a.run('acc-y', { type: 'OpenAccount', owner: 'Al', initial_balance: 1 });
    assert.equal((await a.connect()).value?.state, 'synced');
    const status = await a.status();
    assert.deepEqual(status.differs.map((d) => d.id), ['acc-x']);
    assert.equal((await a.account('acc-x')).owner, 'Al', 'nothing here is changed by itself');
    assert.equal((await server.pull(who[0].token)).filter((e) => e.account === 'acc-y').length, 1, 'the rest synced');
    // The page names it, and offers the copy here before taking the server's.
    await a.page.waitForFunction(() => document.querySelector('.differs')?.textContent.includes('acc-x'));
    const download = a.page.waitForEvent('download');
    await a.page.getByRole('button', { name: "Export, then take the server's copy" }).click();
    assert.match((await download).suggestedFilename(), /^ledger-.*\.ndjson$/);
    await a.page.waitForFunction(() => window.wasmBindings.account('acc-x')?.owner === 'Bea', null, { timeout: 10_000 });
    await a.settled();
    assert.deepEqual((await a.status()).differs, []);
    const events = await server.pull(who[0].token);
    assert.deepEqual(identity(await a.history('acc-x')), serverIdentity(events, 'acc-x'));
    await a.close();
    await b.close();
  } finally {
    await server.stop();
  }
});

test('a server reset is not merged into: sync waits for a decision, then uploads', { skip }, async () => {
  const { server, who, tenant: t } = await ledger(1);
  try {
    const a = await device(env.browser, server, who[0]);
    await a.run('acc-1', { type: 'OpenAccount', owner: 'Ann', initial_balance: 3 });
    await a.connect();
    // The server loses this ledger and comes back as another server.
    await server.stop();
    sql(`DELETE FROM message_store.messages WHERE message_store.category(stream_name) = '${t}'`);
    sql('UPDATE message_store.ledger_server SET id = gen_random_uuid()');
    await server.start();
    await a.run('acc-1', { type: 'Deposit', amount: 1 });
    await a.page.waitForFunction(() => window.wasmBindings.sync_status().state === 'needs_decision', null, { timeout: 30_000 });
    assert.equal((await a.status()).error.code, 'ServerChanged');
    assert.deepEqual(await server.pull(who[0].token), [], 'nothing was sent to the new server');
    await a.page.getByRole('button', { name: 'Upload this ledger to it' }).click();
    await a.settled();
    const events = await server.pull(who[0].token);
    assert.deepEqual(identity(await a.history('acc-1')), serverIdentity(events, 'acc-1'));
    assert.equal(events.length, 2);
    await a.close();
  } finally {
    await server.stop();
  }
});

test('the link survives a reload; a long first download shows progress and resumes after one', { skip, timeout: 120_000 }, async () => {
  const { server, who } = await ledger(2);
  try {
    const a = await device(env.browser, server, who[0]);
    // 3,000 events, sent in one go by a device that kept them before sync.
    await a.page.evaluate(async () => {
      const api = window.wasmBindings;
      for (let n = 0; n < 3; n++) {
        await api.execute(`big-${n}`, { type: 'OpenAccount', owner: 'Big', initial_balance: 0 });
        for (let i = 1; i < 1000; i++) await api.execute(`big-${n}`, { type: 'Deposit', amount: 1 });
      }
    });
    assert.equal((await a.connect()).value?.progress.uploaded, 3000);
    await a.page.reload();
    await a.page.waitForFunction(() => window.wasmBindings?.sync_status?.().state === 'synced', null, { timeout: 20_000 });

    const b = await device(env.browser, server, who[1]);
    // Pages of the download come slowly, so a reload cuts it off part way.
    await b.context.route('**/sync/events*', async (route) => {
      await new Promise((ok) => setTimeout(ok, 400));
      return route.continue();
    });
    // Not awaited: the reload cuts it off.
    b.call('sync_connect', { url: server.url, token: who[1].token }).catch(() => {});
    await b.page.waitForFunction(() => window.wasmBindings.sync_status().progress.downloaded >= 1000, null, { timeout: 30_000 });
    const part = await b.status();
    assert.equal(part.progress.to_download, 3000);
    assert.ok(part.progress.downloaded < 3000, `the reload comes part way: ${JSON.stringify(part.progress)}`);
    await b.page.reload();
    await b.page.waitForFunction(() => window.wasmBindings?.sync_status?.().state === 'synced', null, { timeout: 60_000 });
    const resumed = await b.status();
    // The new writer began with what was left, and took only that.
    assert.equal(resumed.progress.downloaded, resumed.progress.to_download);
    assert.ok(resumed.progress.to_download > 0 && resumed.progress.to_download <= 3000 - part.progress.downloaded,
      `resumed where it stopped: before ${JSON.stringify(part.progress)}, after ${JSON.stringify(resumed.progress)}`);
    const events = await server.pull(who[0].token);
    for (const n of [0, 1, 2]) {
      assert.deepEqual(identity(await b.history(`big-${n}`)), serverIdentity(events, `big-${n}`));
    }
    await a.close();
    await b.close();
  } finally {
    await server.stop();
  }
});

test('the service worker never caches the API, and the app still opens offline', { skip }, async () => {
  const { server, who } = await ledger(1);
  try {
    const a = await device(env.browser, server, who[0]);
    await a.page.evaluate(() => navigator.serviceWorker.ready);
    await a.page.reload();
    await a.page.waitForFunction(() => navigator.serviceWorker.controller !== null && window.wasmBindings?.sync_connect);
    await a.run('acc-1', { type: 'OpenAccount', owner: 'Ann', initial_balance: 3 });
    await a.connect();
    await a.run('acc-1', { type: 'Deposit', amount: 1 });
    await a.settled();
    const cached = await a.page.evaluate(async () => {
      const urls = [];
      for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
      }
      return urls;
    });
    assert.ok(cached.length > 0, 'the app is cached');
    assert.deepEqual(cached.filter((path) => /^\/(sync|accounts|health|metrics)/.test(path)), []);
    await a.offline(true);
    await a.page.reload();
    await a.page.waitForFunction(() => window.wasmBindings?.account?.('acc-1')?.balance === 4, null, { timeout: 20_000 });
    await a.page.waitForFunction(() => window.wasmBindings.sync_status().state === 'offline', null, { timeout: 20_000 });
    await a.close();
  } finally {
    await server.stop();
  }
});
