// Regret Regret's service worker, served from /sw.js (scope: the whole site; rr/web/app_shell.py).
// - Push: shows the notification the server sent ({title, body, url}: rr/notifications/services.py)
//   and opens its url (/today/) on click.
// - Offline: pages (navigations) go to the network first and are kept in the cache; without a
//   connection the last copy is served (the page's script then shows the "offline" banner).
//   Static files come from the cache once fetched. Nothing else is cached: no API answer.
var CACHE = "rr-pages-v1";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request)
        .then(function (response) {
          if (response.ok) {
            var copy = response.clone();
            caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
          }
          return response;
        })
        .catch(function () {
          return caches.match(request).then(function (cached) {
            return cached || caches.match("/today/").then(function (today) {
              return today || new Response("You are offline and this page was not opened before.", {
                status: 503, headers: {"Content-Type": "text/plain; charset=utf-8"},
              });
            });
          });
        })
    );
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(
      caches.match(request).then(function (cached) {
        return cached || fetch(request).then(function (response) {
          if (response.ok) {
            var copy = response.clone();
            caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
          }
          return response;
        });
      })
    );
  }
});

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "Regret Regret", {
    body: data.body || "",
    icon: "/static/web/icon-192.png",
    tag: data.kind || "regret-regret",
    data: {url: data.url || "/today/"},
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || "/today/", self.location.origin).href;
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (windows[i].url === target && "focus" in windows[i]) return windows[i].focus();
    }
    return self.clients.openWindow(target);
  }));
});
