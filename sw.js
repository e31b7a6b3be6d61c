// The service worker: the app works with the network off.
//
// It serves one copy of the app: the one in the folder it was served from,
// its scope (`register('sw.js')` beside the page: `/` at the root of an
// origin, `/some/path/` for a copy there). Another copy of the same origin,
// at another path, has its own worker, cache and ledger.
//
// - Install: fetch the page and everything it references (Trunk's hashed
//   .js/.wasm/.css, the snippets, manifest, icons) into the copy's cache.
// - The page (a navigation to the scope, or its index.html): from the
//   network when there is one, keeping the fresh copy once every file it
//   references is cached, and then dropping cached files the new page no
//   longer references: a new build replaces the old one, and a build with a
//   file missing never does. Offline: the cached page.
// - The server's API (when the server of record also serves the app, at
//   the scope: accounts/, sync/, health, metrics) is never touched: no
//   cache, no answer from one. Sync must see the server or nothing.
// - The copy's other files (those in its folder, and its snippets/): from
//   the cache first (hashed names never change content), else the network,
//   cached for next time.
// - Anything else (another path's copy, another folder, another origin) is
//   left to the network.
//
// The cache's name: `ledger-v1` at the root, else `ledger-v1@` and the
// scope's path as encodeURIComponent writes it: the rule every name of a
// copy follows (src/browser/scope.rs, docs/storage-format.md).
const SCOPE = new URL(self.registration.scope).pathname;
const SUFFIX = SCOPE === '/' ? '' : `@${encodeURIComponent(SCOPE)}`;
const CACHE = `ledger-v1${SUFFIX}`;
/** This copy's caches of earlier versions: another `ledger-vN` with its suffix. */
const EARLIER = (name) => name !== CACHE && name.replace(/^ledger-v\d+/, '') === SUFFIX;
const PAGE = SCOPE;

/** The server of record's routes (below the scope), which must always reach it. */
const API = /^(accounts|sync)(\/|$)|^(health|metrics)$/;

/** Whether `path` is one of this copy's files: in its folder or its snippets/. */
function ours(path) {
  if (!path.startsWith(SCOPE)) return false;
  const rest = path.slice(SCOPE.length);
  return !API.test(rest) && (!rest.includes('/') || rest.startsWith('snippets/'));
}

/** Whether `path` is the copy's page. */
const isPage = (path) => path === PAGE || path === `${PAGE}index.html`;

/** The paths of this copy's files `html` references (href/src attributes). */
function referenced(html) {
  const urls = new Set(['', 'manifest.webmanifest', 'icon-192.png', 'icon-512.png'].map((name) => SCOPE + name));
  for (const match of html.matchAll(/(?:href|src)="([^"]*)"/g)) {
    const url = new URL(match[1], self.registration.scope);
    if (url.origin === self.location.origin && ours(url.pathname)) urls.add(url.pathname);
  }
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
      .then((names) => Promise.all(names.filter(EARLIER).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    if (!isPage(url.pathname)) return;
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) event.waitUntil(cachePage(response.clone()));
          return response;
        })
        .catch(async () => (await (await caches.open(CACHE)).match(PAGE)) ?? Response.error()),
    );
    return;
  }
  if (!ours(url.pathname)) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(url.pathname);
      if (cached) return cached;
      const response = await fetch(request);
      if (response.ok) await cache.put(url.pathname, response.clone());
      return response;
    }),
  );
});
