// Service worker of the card verifier page, served at /verify/sw.js (scope /verify/)
// by sulh/web/verify_views.py. Network first, so that a new version of the page is
// picked up whenever there is a network; the cached copy when there is none (or
// when the network hangs). The trust and status lists are not cached here: the page
// keeps the last verified ones in localStorage.

const CACHE = "sulh-verify-1"; // same name in verify.js, which fills it on first visit
const PATIENCE_MS = 6000; // a checkpoint's network may hang rather than fail

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return;
  event.respondWith(networkFirst(request));
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then(async (response) => {
    if (response.ok && response.type === "basic") {
      try {
        await cache.put(request, response.clone());
      } catch {
        // Storage full: serve the answer anyway, the older copy stays for offline use.
      }
    }
    return response;
  });
  const timeout = new Promise((resolve) => setTimeout(resolve, PATIENCE_MS, null));
  try {
    const response = await Promise.race([network, timeout]);
    if (response) return response;
  } catch {
    // Offline: answer from the cache below.
  }
  // The page varies by language (Vary: Accept-Language, Cookie): offline, the last copy will do.
  const cached = await cache.match(request, {
    ignoreSearch: request.mode === "navigate",
    ignoreVary: true,
  });
  if (cached) return cached;
  try {
    return await network; // nothing cached: keep waiting for the network after all
  } catch {
    return Response.error();
  }
}
