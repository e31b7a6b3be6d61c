// The server of record for the sync end-to-end tests: the real
// `ledger-server` binary on a free loopback port, over the PostgreSQL that
// scripts/test-sync.sh started (LEDGER_TEST_DATABASE_URL), serving the
// release build (DIST) so the app and the API share an origin. Each test
// gets tenants of its own through a tokens file, so tests never see each
// other's accounts. Stopped and started again by the tests (a restart
// mid-run), on the same port.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

const ROOT = resolve(import.meta.dirname, '../..');
export const DATABASE_URL = process.env.LEDGER_TEST_DATABASE_URL;
const BIN = process.env.LEDGER_SERVER_BIN ?? join(ROOT, 'target/debug/ledger-server');

/** Whether the sync tests can run here (scripts/test-sync.sh sets this up). */
export const AVAILABLE = Boolean(DATABASE_URL);

async function freePort() {
  const probe = createServer();
  await new Promise((ok) => probe.listen(0, '127.0.0.1', ok));
  const { port } = probe.address();
  await new Promise((ok) => probe.close(ok));
  return port;
}

/** A tenant name of letters and digits (a tenant may not hold `-`). */
export function tenant() {
  return `t${randomBytes(6).toString('hex')}`;
}

/** A device's token for `tenant`, as the tokens file lists it. */
export function token() {
  return randomBytes(24).toString("base64url");
}

/**
 * Starts the server with `devices`: `[{tenant, device, token}]`. Extra
 * environment (CORS_ORIGINS, DIST) in `env`.
 */
export async function startServer({ devices, env = {}, dist = join(ROOT, 'dist') }) {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-sync-'));
  const tokens = join(dir, 'tokens');
  await writeFile(tokens, devices.map((d) => `${d.token} ${d.tenant} ${d.device}\n`).join(''));
  const port = await freePort();
  const server = {
    url: `http://127.0.0.1:${port}`,
    process: null,
    log: [],
    async start() {
      const child = spawn(BIN, [], {
        env: {
          ...process.env,
          DATABASE_URL,
          PORT: String(port),
          HOST: '127.0.0.1',
          TOKENS_FILE: tokens,
          RATE_LIMIT: '0',
          DIST: dist,
          RUST_LOG: 'warn',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (d) => server.log.push(String(d)));
      child.stderr.on('data', (d) => server.log.push(String(d)));
      server.process = child;
      const deadline = Date.now() + 20_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`ledger-server exited: ${server.log.join('')}`);
        try {
          if ((await fetch(`${server.url}/health`)).ok) return;
        } catch {}
        if (Date.now() > deadline) throw new Error(`ledger-server did not start: ${server.log.join('')}`);
        await new Promise((ok) => setTimeout(ok, 100));
      }
    },
    async stop() {
      const child = server.process;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
    },
    /** The tenant's events as the server holds them (a device's view of the API). */
    async pull(token) {
      const events = [];
      let after = 0;
      for (;;) {
        const res = await fetch(`${server.url}/sync/events?after=${after}`, { headers: { authorization: `Bearer ${token}` } });
        if (!res.ok) throw new Error(`pull: ${res.status} ${await res.text()}`);
        const page = await res.json();
        events.push(...page.events);
        if (page.events.length === 0) return events;
        after = page.next;
      }
    },
  };
  await server.start();
  return server;
}

/** Runs SQL on the test database (psql from scripts/test-sync.sh). */
export function sql(statement) {
  return execFileSync(process.env.LEDGER_TEST_PSQL ?? 'psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', DATABASE_URL, '-c', statement], {
    encoding: 'utf8',
  });
}
