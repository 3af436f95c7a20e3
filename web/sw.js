// Offline after the first visit: every file of the page, the CPU bundle, the hand models and the
// weights are cached on install and served from the cache first. Only same-origin GET requests are
// handled; nothing is ever sent anywhere. scripts/stamp-sw.sh fills in VERSION (a hash of every
// file the built page is made of) and FILES, so a rebuilt page brings a new service worker with a
// new cache: it takes over at once and the page reloads onto it (app.js).
const VERSION = "__VERSION__";
const FILES = __FILES__;
const CACHE = `jointscope-${VERSION}`;
// The WebGPU bundle is large and only some browsers use it: cached when first fetched.

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("jointscope-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== self.location.origin) return;
  e.respondWith(
    caches.open(CACHE).then((cache) =>
      cache.match(e.request, { ignoreSearch: true }).then(
        (hit) =>
          hit ??
          fetch(e.request).then((res) => {
            if (res.ok) cache.put(e.request, res.clone());
            return res;
          }),
      ),
    ),
  );
});
