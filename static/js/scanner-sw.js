// Service worker of the EventDay scanner (served at /scan/sw.js, scope /scan/).
// It keeps the app shell (start page, script, icon, manifest, decoder) so the scanner opens
// without a network. API calls are never touched here: the page decides online/offline
// itself, and its queue of scans lives in IndexedDB, not in this cache.
"use strict";

var VERSION = "__SHELL_VERSION__"; // replaced by the server: a hash of the shell's files
var SHELL = "__SHELL_URLS__"; // replaced by the server: the URLs to keep
var CACHE = "eventday-scanner-" + VERSION;
var START = SHELL[0];
var NAVIGATION_TIMEOUT_MS = 3000;
// Kept when first used, not at install: the 250 KB QR decoder is fetched by the page only once
// a device is paired, so a first visit of the start page stays small.
var LAZY = SHELL.filter(function (url) { return url.indexOf("/static/vendor/") === 0; });

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      // One by one: a missing file (e.g. the decoder before `make assets`) must not stop the rest.
      return Promise.all(SHELL.filter(function (url) { return LAZY.indexOf(url) < 0; }).map(function (url) {
        return fetch(url, { credentials: "same-origin", cache: "no-cache" }).then(function (response) {
          if (response.ok) return cache.put(url, response);
        }).catch(function () {});
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

// A paired scanner asks for the decoder to be kept (see LAZY).
self.addEventListener("message", function (event) {
  if (event.data !== "keep-decoder") return;
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(LAZY.map(function (url) {
      return cache.match(url).then(function (hit) {
        if (hit) return null;
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (response.ok) return cache.put(url, response);
        });
      }).catch(function () {});
    }));
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("eventday-scanner-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
      function (error) { clearTimeout(timer); reject(error); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/api/") === 0) return; // the page handles the API and its failures

  if (request.mode === "navigate") {
    // The start page: fresh from the network when it answers quickly, else the cached shell
    // (the page finds its device token in localStorage, not in the HTML).
    if (url.pathname !== START) return;
    event.respondWith(
      withTimeout(fetch(request), NAVIGATION_TIMEOUT_MS).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(START, copy); });
        }
        return response;
      }).catch(function () {
        return caches.match(START).then(function (cached) {
          return cached || Response.error();
        });
      })
    );
    return;
  }

  var path = url.pathname;
  var inShell = SHELL.some(function (item) { return item === path; });
  if (!inShell) return;
  // Shell files: answer from the cache at once, refresh it in the background.
  event.respondWith(
    caches.open(CACHE).then(function (cache) {
      return cache.match(path).then(function (cached) {
        var refresh = fetch(request).then(function (response) {
          if (response.ok) cache.put(path, response.clone());
          return response;
        });
        if (cached) {
          refresh.catch(function () {});
          return cached;
        }
        return refresh;
      });
    })
  );
});
