// Lighthouse's performance audit of the release build (dist/) in Debian's
// Chromium: served on 127.0.0.1 once with gzip/brotli (as most hosts do) and
// once without compression, each with the mobile preset (simulated slow 4G,
// a slowed CPU) and the desktop preset. Prints score, LCP, FCP, TBT and CLS.
//
//   node scripts/lighthouse/run.mjs [dist]     (scripts/lighthouse.sh runs it)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { CHROMIUM_ARGS } from '../../tests/e2e/harness.mjs';

const root = resolve(process.argv[2] ?? join(import.meta.dirname, '../../dist'));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.wasm', '.css', '.webmanifest']);

/** A static server for `root`; with `compress`, it answers in brotli or gzip when the client accepts it. */
async function serve(compress) {
  const cache = new Map();
  const encoded = (file, body, encoding) => {
    const key = `${encoding}:${file}`;
    if (!cache.has(key)) {
      cache.set(
        key,
        encoding === 'br'
          ? brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })
          : gzipSync(body, { level: 9 }),
      );
    }
    return cache.get(key);
  };
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = normalize(join(root, path));
    if (!file.startsWith(root)) return res.writeHead(403).end();
    if (path.endsWith('/')) file = join(file, 'index.html');
    let body;
    try {
      body = await readFile(file);
    } catch {
      return res.writeHead(404).end();
    }
    const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', vary: 'accept-encoding' };
    const accept = String(req.headers['accept-encoding'] ?? '');
    if (compress && COMPRESSIBLE.has(extname(file))) {
      const encoding = /\bbr\b/.test(accept) ? 'br' : /\bgzip\b/.test(accept) ? 'gzip' : null;
      if (encoding) {
        body = encoded(file, body, encoding);
        headers['content-encoding'] = encoding;
      }
    }
    res.writeHead(200, headers).end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

// The end-to-end tests' Chromium flags (tests/e2e/harness.mjs), headless.
const FLAGS = ['--headless=new', ...CHROMIUM_ARGS];

const chrome = await chromeLauncher.launch({ chromePath: process.env.CHROMIUM ?? '/usr/bin/chromium', chromeFlags: FLAGS });
const rows = [];
try {
  for (const compress of [true, false]) {
    const server = await serve(compress);
    try {
      for (const preset of ['mobile', 'desktop']) {
        const result = await lighthouse(
          server.url,
          { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance'] },
          preset === 'desktop' ? desktopConfig : undefined,
        );
        const { categories, audits } = result.lhr;
        const ms = (id) => `${(audits[id].numericValue / 1000).toFixed(2)} s`;
        rows.push({
          served: compress ? 'gzip/brotli' : 'uncompressed',
          preset,
          score: Math.round(categories.performance.score * 100),
          LCP: ms('largest-contentful-paint'),
          FCP: ms('first-contentful-paint'),
          TBT: `${Math.round(audits['total-blocking-time'].numericValue)} ms`,
          CLS: audits['cumulative-layout-shift'].numericValue.toFixed(3),
        });
      }
    } finally {
      server.close();
    }
  }
} finally {
  await chrome.kill();
}
const cols = ['served', 'preset', 'score', 'LCP', 'FCP', 'TBT', 'CLS'];
const width = (c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length));
console.log(cols.map((c) => c.padEnd(width(c))).join('  '));
for (const r of rows) console.log(cols.map((c) => String(r[c]).padEnd(width(c))).join('  '));
