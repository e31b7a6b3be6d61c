// Shared end-to-end harness: a static server for dist/ on 127.0.0.1 and
// Debian's Chromium driven by playwright-core, or (with E2E_BROWSER=firefox,
// for the tests that run in both) Debian's Firefox ESR through firefox.mjs.
// Nothing is downloaded.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { before, after } from 'node:test';
import { launchFirefox } from './firefox.mjs';

/** Which browser `launch` starts: `chromium` (the default) or `firefox`. */
export const BROWSER = process.env.E2E_BROWSER ?? 'chromium';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The release build's .br or .gz copy of `file` (scripts/precompress.mjs),
 *  when the client accepts that encoding, as a host that serves
 *  precompressed files does; sets `headers` to say so. */
async function precompressed(file, accept = '', headers) {
  for (const [encoding, suffix] of [['br', '.br'], ['gzip', '.gz']]) {
    if (!new RegExp(`\\b${encoding}\\b`).test(accept)) continue;
    try {
      const body = await readFile(file + suffix);
      Object.assign(headers, { 'content-encoding': encoding, vary: 'accept-encoding' });
      return body;
    } catch {
      // No such copy: the next encoding, or the file itself.
    }
  }
  return null;
}

/**
 * Serves `dir` (the release build) on 127.0.0.1 at a free port, at each of
 * `at`'s paths (`/`, or folders such as `/some/path/`: copies of one origin,
 * as a static host holds them). `url` is the first's address.
 */
export async function serve(dir = resolve(import.meta.dirname, '../../dist'), { at = ['/'] } = {}) {
  const root = resolve(dir);
  // The longest mount that holds a path serves it.
  const mounts = [...at].sort((a, b) => b.length - a.length);
  const server = createServer(async (req, res) => {
    const whole = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const mount = mounts.find((prefix) => whole.startsWith(prefix));
    if (mount === undefined) {
      res.writeHead(404).end();
      return;
    }
    const path = `/${whole.slice(mount.length)}`;
    let file = normalize(join(root, path));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    if (path.endsWith('/')) file = join(file, 'index.html');
    try {
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' };
      const body = (await precompressed(file, req.headers['accept-encoding'], headers)) ?? (await readFile(file));
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      // A missing file is a 404, as on any static host; other unknown
      // paths get the page.
      if (extname(path)) {
        res.writeHead(404).end();
        return;
      }
      const body = await readFile(join(root, 'index.html'));
      res.writeHead(200, { 'content-type': TYPES['.html'] }).end(body);
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const url = `${origin}${at[0]}`;
  // Closing also drops the browser's kept-alive connections, so a test can
  // stop the server while its pages are open.
  return {
    url,
    origin,
    close: () =>
      new Promise((ok) => {
        server.close(ok);
        server.closeAllConnections();
      }),
  };
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launch() {
  if (BROWSER === 'firefox') return launchFirefox();
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  });
}

/** Opens the app and waits until its JS API is there. */
export async function openApp(context, url) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  await page.goto(url);
  await page.waitForFunction(() => window.wasmBindings?.execute !== undefined, null, { timeout: 15000 });
  page.problems = problems;
  return page;
}

/** For a test file: starts the server and the browser before its tests and
 *  stops them after; `env.server` and `env.browser` are set once started. */
export function useApp() {
  const env = {};
  before(async () => {
    env.server = await serve();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}
