// The first load: the page's header is painted from index.html before the
// wasm arrives (the app shell), and the app replaces it in place when it
// mounts; the release build's precompressed copies are what a host that
// serves them sends. Chromium only (the shell is plain HTML and CSS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { launch, serve } from './harness.mjs';

const DIST = resolve(import.meta.dirname, '../../dist');

test('the shell shows the header before the wasm arrives, and the app takes its place without moving it', async () => {
  const server = await serve();
  const browser = await launch();
  try {
    const page = await browser.newPage();
    // Hold the wasm back until the shell has been looked at.
    let release;
    const held = new Promise((ok) => (release = ok));
    await page.route('**/*_bg.wasm', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(server.url, { waitUntil: 'domcontentloaded' });
    const shell = page.locator('#shell header.masthead h1');
    await shell.waitFor();
    assert.equal(await shell.textContent(), 'Ledger');
    const before = await shell.boundingBox();

    release();
    await page.waitForFunction(() => window.wasmBindings?.execute !== undefined, null, { timeout: 15000 });
    assert.equal(await page.locator('#shell').count(), 0, 'the shell is gone');
    assert.equal(await page.locator('header.masthead').count(), 1, 'one header');
    const after = await page.locator('header.masthead h1').boundingBox();
    assert.deepEqual(after, before, 'the header did not move');
    assert.equal(await page.getByRole('heading', { name: 'Open an account' }).count(), 1);
  } finally {
    await browser.close();
    await server.close();
  }
});

test('the hashed assets have brotli and gzip copies, sent to a client that accepts them', async () => {
  const wasm = (await readdir(DIST)).find((name) => name.endsWith('_bg.wasm'));
  const original = await readFile(join(DIST, wasm));
  const server = await serve();
  try {
    for (const [accept, encoding, decode] of [
      ['gzip, deflate, br', 'br', brotliDecompressSync],
      ['gzip', 'gzip', gunzipSync],
      ['identity', undefined, (body) => body],
    ]) {
      const { headers, body } = await get(server.url + wasm, accept);
      assert.equal(headers['content-encoding'], encoding, accept);
      assert.ok(original.equals(decode(body)), accept);
    }
    // The page and the service worker are not hashed: they get no copy.
    const files = await readdir(DIST);
    assert.ok(!files.includes('index.html.br') && !files.includes('sw.js.br'), files.join(' '));
  } finally {
    await server.close();
  }
});

/** The raw bytes and headers of a GET (node:http decodes nothing). */
function get(url, accept) {
  return new Promise((ok, fail) => {
    request(url, { headers: { 'accept-encoding': accept } }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => ok({ headers: response.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', fail)
      .end();
  });
}
