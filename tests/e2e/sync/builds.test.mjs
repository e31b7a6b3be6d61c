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

/** A proxy to `target` on 127.0.0.1: `old` makes it a server of protocol 2.
 *  Records every request's schema header. */
async function proxy(target, { old }) {
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
    const upstream = http.request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const headers = { ...answer.headers };
        if (old) {
          delete headers['ledger-schema'];
          delete headers['access-control-expose-headers'];
        }
        res.writeHead(answer.statusCode, headers);
        answer.pipe(res);
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
