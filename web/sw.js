// Offline after the first visit: every file of the page, the wasm bundles, the hand models and the
// weights are cached on install and served from the cache first. Only same-origin GET requests are
// handled; nothing is ever sent anywhere.
const CACHE = "jointscope-v1";
const FILES = [
  "./", "index.html", "style.css", "app.js", "history.js",
  "pkg/index.js", "pkg/engine.js", "pkg/worker.js",
  "pkg/wasm/cpu/jointscope_wasm.js", "pkg/wasm/cpu/jointscope_wasm_bg.wasm",
  "pkg/models/palm_detection_full.tflite", "pkg/models/hand_landmark_full.tflite",
  "weights/jointscope.bpk", "weights/jointscope.json",
];
// The WebGPU bundle is large: cached when first used rather than on install.

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== self.location.origin) return;
  e.respondWith(
    caches.match(e.request, { ignoreSearch: true }).then(
      (hit) =>
        hit ??
        fetch(e.request).then((res) => {
          if (res.ok) {
            const copy = res.clone();
            caches.open(CACHE).then((c) => c.put(e.request, copy));
          }
          return res;
        }),
    ),
  );
});
