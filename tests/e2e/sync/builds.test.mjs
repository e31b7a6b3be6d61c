// Builds of different ages (docs/sync-protocol.md, version 3), in a real
// browser against the real server: a server of protocol 2 (this server
// behind a proxy that drops the schema header, as 48395b1's answers had
// none, and refuses any request that carries one) is synced with unchanged
// and is sent nothing new; the server of protocol 3 hears the device's
// schema with every request after its first answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { device, ledger, skip, useBrowser } from './devices.mjs';

const env = useBrowser();

/** A proxy to `target` on 127.0.0.1: `old` makes it a server of protocol 2;
 *  `newer` a server of the next schema, whose deposits carry a field no
 *  build of this one knows. Records every request's schema header. */
async function proxy(target, { old = false, newer = false }) {
  const to = new URL(target);
  const seen = [];
  const server = http.createServer((req, res) => {
    const schema = req.headers['ledger-schema'];
    seen.push({ path: req.url, schema });
    if (old && schema !== undefined) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"code":"InvalidQuery","message":"a server of protocol 2 takes no Ledger-Schema header"}');
      return;
    }
    const asked = { ...req.headers };
    if (newer) delete asked['accept-encoding'];
    const upstream = http.request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: asked },
      (answer) => {
        const headers = { ...answer.headers };
        if (old) {
          delete headers['ledger-schema'];
          delete headers['access-control-expose-headers'];
        }
        if (!newer || !req.url.startsWith('/sync/')) {
          res.writeHead(answer.statusCode, headers);
          answer.pipe(res);
          return;
        }
        const chunks = [];
        answer.on('data', (chunk) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(chunks)
            .toString()
            .replaceAll('"type":"MoneyDeposited"', '"type":"MoneyDeposited","added_by_a_newer_build":"x"');
          headers['ledger-schema'] = String(Number(headers['ledger-schema']) + 1);
          delete headers['content-length'];
          delete headers['transfer-encoding'];
          res.writeHead(answer.statusCode, headers);
          res.end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}`;
  const close = () =>
    new Promise((ok) => {
      server.close(ok);
      server.closeAllConnections();
    });
  return { url, seen, close };
}

test('a server of protocol 2 is synced with and sent no new header; a server of protocol 3 hears the schema', { skip }, async () => {
  const { server, who } = await ledger(2);
  const old = await proxy(server.url, { old: true });
  const current = await proxy(server.url, { old: false });
  try {
    // A device on the old server: commands made before and after connecting
    // reach it; nothing is held back or rejected.
    const a = await device(env.browser, { url: old.url }, who[0]);
    await a.run('acc-1', { type: 'OpenAccount', owner: 'Ann', initial_balance: 100 });
    const connected = await a.connect(old.url);
    assert.equal(connected.error, undefined, JSON.stringify(connected.error));
    assert.equal(connected.value.state, 'synced');
    await a.run('acc-1', { type: 'Deposit', amount: 5 });
    await a.settled();
    assert.deepEqual(await a.rejected(), []);
    const sync = old.seen.filter((r) => r.path.startsWith('/sync/'));
    assert.ok(sync.length >= 3, JSON.stringify(sync));
    assert.deepEqual(sync.filter((r) => r.schema !== undefined), [], 'no request to a protocol 2 server carries the header');
    assert.equal((await server.pull(who[0].token)).filter((e) => e.account === 'acc-1').length, 2);

    // A device on the current server: after the first answer announced the
    // schema, every request of the page carries the device's, round after
    // round.
    const b = await device(env.browser, { url: current.url }, who[1]);
    assert.equal((await b.connect(current.url)).value?.state, 'synced');
    await b.run('acc-1', { type: 'Withdraw', amount: 1 });
    await b.settled();
    const heard = current.seen.filter((r) => r.path.startsWith('/sync/'));
    assert.equal(heard[0].schema, undefined, 'the first request: the server has not announced yet');
    assert.ok(heard.length >= 3, JSON.stringify(heard));
    const announced = (await fetch(`${server.url}/health`)).headers.get('ledger-schema');
    assert.ok(announced, 'the server announces its schema');
    assert.deepEqual([...new Set(heard.slice(1).map((r) => r.schema))], [announced], JSON.stringify(heard));
    await a.page.waitForFunction(() => window.wasmBindings.account('acc-1')?.balance === 104, null, { timeout: 10_000 });
    await a.close();
    await b.close();
  } finally {
    await old.close();
    await current.close();
    await server.stop();
  }
});

test('a server of a newer schema: the page asks for a reload, takes nothing, and keeps its own commands', { skip }, async () => {
  const { server, who } = await ledger(2);
  const newer = await proxy(server.url, { newer: true });
  try {
    const b = await device(env.browser, server, who[1]);
    await b.run('acc-1', { type: 'OpenAccount', owner: 'Bo', initial_balance: 10 });
    assert.equal((await b.connect()).value?.state, 'synced');
    const a = await device(env.browser, server, who[0]);
    assert.equal((await a.connect()).value?.state, 'synced');
    await a.run('acc-1', { type: 'Deposit', amount: 5 });
    await a.settled();
    await a.close();

    // A device whose app is older than the server's entries.
    const c = await device(env.browser, { url: newer.url }, { ...who[1], device: 'd2' });
    const connected = await c.connect(newer.url);
    assert.equal(connected.error?.code, 'NeedsReload', JSON.stringify(connected));
    const status = await c.status();
    assert.equal(status.state, 'needs_reload');
    assert.equal(status.server_position, 0, 'nothing taken: its place did not move');
    await c.page.goto(`${newer.url}/#/`);
    const card = c.page.locator('.sync-state');
    await card.waitFor();
    assert.match(await card.textContent(), /newer version of this app: reload the page/);
    const reload = c.page.getByRole('button', { name: 'Reload' });
    assert.equal(await reload.count(), 1);
    // Its own command is kept pending, neither sent nor rejected.
    await c.run('acc-2', { type: 'OpenAccount', owner: 'Cy', initial_balance: 1 });
    const after = await c.status();
    assert.equal(after.pending, 1);
    assert.deepEqual(await c.rejected(), []);
    await reload.click();
    await c.page.waitForFunction(() => window.wasmBindings?.sync_status().state === 'needs_reload', null, { timeout: 10_000 });
    await b.close();
    await c.close();
  } finally {
    await newer.close();
    await server.stop();
  }
});
