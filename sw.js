// The service worker: the app works with the network off.
//
// - Install: fetch the page and everything it references (Trunk's hashed
//   .js/.wasm/.css, the snippets, manifest, icons) into one cache.
// - The page (a navigation): from the network when there is one, keeping the
//   fresh copy once every file it references is cached, and then dropping
//   cached files the new page no longer references: a new build replaces
//   the old one, and a build with a file missing never does. Offline: the
//   cached page.
// - The server's API (when the server of record also serves the app:
//   /accounts, /sync, /health, /metrics) is never touched: no cache, no
//   answer from one. Sync must see the server or nothing.
// - Everything else of this origin: from the cache first (hashed names
//   never change content), else the network, cached for next time.
const CACHE = 'ledger-v1';
const PAGE = '/';

/** The same-origin files `html` references (href/src attributes). */
function referenced(html) {
  const urls = new Set([PAGE, '/manifest.webmanifest', '/icon-192.png', '/icon-512.png']);
  for (const match of html.matchAll(/(?:href|src)="(\/[^"]*)"/g)) urls.add(match[1]);
  return urls;
}

/**
 * Keeps `response` (a fresh copy of the page) and every file it references,
 * then drops cached files it no longer references. Every file the new page
 * needs is fetched before anything is stored: a build with a file missing
 * (a deploy half done, a server error) leaves the cached build as it was,
 * complete, for the next offline load.
 */
async function cachePage(response) {
  const cache = await caches.open(CACHE);
  const html = await response.clone().text();
  const keep = referenced(html);
  const fetched = await Promise.all(
    [...keep].filter((url) => url !== PAGE).map(async (url) => {
      if (await cache.match(url)) return null;
      const file = await fetch(url);
      if (!file.ok) throw new Error(`${url} could not be fetched (${file.status}); the cached build stays`);
      return [url, file];
    }),
  );
  for (const entry of fetched) if (entry) await cache.put(entry[0], entry[1]);
  await cache.put(PAGE, response.clone());
  for (const request of await cache.keys()) {
    if (!keep.has(new URL(request.url).pathname)) await cache.delete(request);
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(fetch(PAGE).then((response) => cachePage(response)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

/** The server of record's routes, which must always reach it. */
const API = /^\/(accounts|sync)(\/|$)|^\/(health|metrics)$/;

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || API.test(url.pathname)) return;
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) event.waitUntil(cachePage(response.clone()));
          return response;
        })
        .catch(async () => (await caches.match(PAGE)) ?? Response.error()),
    );
    return;
  }
  event.respondWith(
    caches.match(url.pathname).then(
      (cached) =>
        cached ??
        fetch(request).then(async (response) => {
          if (response.ok) (await caches.open(CACHE)).put(url.pathname, response.clone());
          return response;
        }),
    ),
  );
});
