// Regret Regret's only script of its own (htmx does the rest). No inline script anywhere:
// the pages' Content-Security-Policy allows only files like this one.
// "Today" is the browser's local day, as in the app: every page tells the server the
// browser's UTC offset (minutes east of UTC), read on each load so a DST change counts.
document.cookie = "rr_tz=" + -new Date().getTimezoneOffset() + "; path=/; SameSite=Lax";

// After a failed submit the focus goes to the error summary (it lists each error with a
// link to its field), on a page load and after htmx swapped the answer in (hx-boost).
function focusErrorSummary() {
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
}
document.addEventListener("DOMContentLoaded", focusErrorSummary);
// Each error in the summary links to its field: the link puts the focus in it, ready to type.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
  var field = link && document.getElementById(link.getAttribute("href").slice(1));
  if (!field) return;
  event.preventDefault();
  field.focus();
});
document.addEventListener("htmx:afterSettle", function (event) {
  if (event.detail.elt === document.body || event.detail.target === document.body) focusErrorSummary();
});

// After a tick the ticked box is disabled (a resolved regret stays resolved) and loses
// focus: keep a keyboard user in the list, on the next box still open, else on "New regret".
document.addEventListener("htmx:afterSwap", function (event) {
  var day = document.getElementById("day");
  if (!day || event.detail.target.id !== "day") return;
  var active = document.activeElement;
  if (active && active !== document.body && document.contains(active) && !active.disabled) return;
  var next = day.querySelector("input[type=checkbox]:not(:disabled)") || document.getElementById("id_description");
  if (next) next.focus();
});

// A form marked data-reset-after-success empties itself once htmx's request succeeded
// (instead of an hx-on attribute: the Content-Security-Policy allows no inline script).
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.detail.elt;
  if (event.detail.successful && form && form.matches && form.matches("form[data-reset-after-success]")) form.reset();
});

// A request that failed leaves the page as the server last showed it: a box ticked for
// it is unticked again. The server's error answer is a message that htmx puts in #flash
// (rr/web/errors.py); a lost connection or a timeout has no answer, so it is said here.
function revert(element) {
  var form = element && (element.form || element.closest && element.closest("form"));
  if (!form) return;
  form.querySelectorAll("input[type=checkbox]").forEach(function (box) {
    box.checked = box.defaultChecked;
  });
}
function say(text) {
  var flash = document.getElementById("flash");
  if (!flash) return;
  var message = document.createElement("p");
  message.className = "message error";
  message.setAttribute("role", "alert");
  message.textContent = text;
  flash.replaceChildren(message);
}
document.addEventListener("htmx:responseError", function (event) {
  revert(event.detail.elt);
});
document.addEventListener("htmx:sendError", function (event) {
  revert(event.detail.elt);
  say("No connection: nothing was saved. Check your connection and try again.");
});
document.addEventListener("htmx:timeout", function (event) {
  revert(event.detail.elt);
  say("The server took too long to answer: nothing was saved. Try again in a moment.");
});
// A new request clears the last one's error.
document.addEventListener("htmx:beforeRequest", function () {
  var flash = document.getElementById("flash");
  if (flash && flash.querySelector(".message.error")) flash.replaceChildren();
});

// The History calendar is a grid: one cell in the tab order (today), arrow keys move by
// a day (up, down) or a week (left, right), Home and End to the first and last day.
document.addEventListener("keydown", function (event) {
  var cell = event.target;
  if (!cell.matches || !cell.matches(".cal td[data-date]")) return;
  // In date order (the table's rows are weekdays): ISO dates sort as strings.
  var cells = Array.prototype.slice.call(cell.closest("table").querySelectorAll("td[data-date]"));
  cells.sort(function (a, b) { return a.dataset.date < b.dataset.date ? -1 : 1; });
  var here = cells.indexOf(cell);
  var step = { ArrowUp: -1, ArrowDown: 1, ArrowLeft: -7, ArrowRight: 7 }[event.key];
  var target;
  if (step !== undefined) target = cells[here + step];
  else if (event.key === "Home") target = cells[0];
  else if (event.key === "End") target = cells[cells.length - 1];
  else return;
  event.preventDefault();
  if (!target) return;
  cell.tabIndex = -1;
  target.tabIndex = 0;
  target.focus();
});

// The installable app: the service worker (served from /sw.js: offline pages, notifications).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js");
}

function csrfToken() {
  var field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

// Offline: a banner while the browser has no connection.
function showConnection() {
  var banner = document.getElementById("offline-banner");
  if (banner) banner.hidden = navigator.onLine;
}
window.addEventListener("online", showConnection);
window.addEventListener("offline", showConnection);
document.addEventListener("DOMContentLoaded", showConnection);

// Reminders: turning the switch on asks for the notification permission (then, never on
// page load), subscribes this browser to push with the server's VAPID key and registers
// the subscription, before the form is saved.
function base64UrlToBytes(text) {
  var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  var raw = atob(padded);
  var bytes = new Uint8Array(raw.length);
  for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function subscribeToPush(form) {
  var key = form.getAttribute("data-vapid-key");
  if (!key) return Promise.reject(new Error("Notifications are not set up on this server."));
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return Promise.reject(new Error("This browser cannot show notifications."));
  }
  return Notification.requestPermission()
    .then(function (permission) {
      if (permission !== "granted") throw new Error("Notifications are blocked: allow them for this site in the browser's settings.");
      return navigator.serviceWorker.ready;
    })
    .then(function (registration) {
      return registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: base64UrlToBytes(key)});
    })
    .then(function (subscription) {
      var json = subscription.toJSON();
      var body = new URLSearchParams({endpoint: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth});
      return fetch(form.getAttribute("data-push-url"), {
        method: "POST", body: body, credentials: "same-origin", headers: {"X-CSRFToken": csrfToken()},
      });
    })
    .then(function (response) {
      if (response.status !== 201) throw new Error("The server refused this browser's subscription.");
    });
}

document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.id !== "reminders-form" || form.dataset.subscribed === "yes") return;
  if (!form.querySelector("#id_reminder_enabled").checked) return;
  event.preventDefault();
  var error = document.getElementById("reminder-error");
  error.hidden = true;
  subscribeToPush(form).then(function () {
    form.dataset.subscribed = "yes";
    form.submit();
  }, function (failure) {
    error.textContent = failure.message + " The reminder was not turned on.";
    error.hidden = false;
  });
});

// The offline queue: a tick or an added regret made without a connection is kept in
// IndexedDB (database rr-offline, store actions, in order), shown as pending, and sent when
// the connection returns, in order, once: a tick again is harmless (a resolved regret stays
// resolved) and an added regret carries its client_id, so a replay never adds it twice. A
// change the server refuses (409 day_closed: the day closed meanwhile) is listed to the user.
var QUEUE = {db: "rr-offline", store: "actions"};

function queueOpen() {
  return new Promise(function (resolve, reject) {
    var request = indexedDB.open(QUEUE.db, 1);
    request.onupgradeneeded = function () {
      request.result.createObjectStore(QUEUE.store, {keyPath: "seq", autoIncrement: true});
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error); };
  });
}

function queueDo(mode, work) {
  return queueOpen().then(function (db) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction(QUEUE.store, mode);
      var result = work(tx.objectStore(QUEUE.store));
      tx.oncomplete = function () { db.close(); resolve(result && result.result); };
      tx.onerror = function () { db.close(); reject(tx.error); };
    });
  });
}

function markPending(item, text) {
  item.classList.add("pending");
  var note = document.createElement("span");
  note.className = "pending-note";
  note.textContent = text || "pending";
  item.appendChild(note);
}

function newClientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
    return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
  });
}

document.addEventListener("htmx:beforeRequest", function (event) {
  if (navigator.onLine) return;
  var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form[data-offline]");
  if (!form) return;
  event.preventDefault();
  var fields = [];
  new FormData(form).forEach(function (value, name) { fields.push([name, value]); });
  var label;
  if (form.getAttribute("data-offline") === "add") {
    fields.push(["client_id", newClientId()]);
    label = "add \u201c" + form.querySelector("[name=description]").value + "\u201d";
    var list = document.querySelector("#day ul.regrets");
    if (list) {
      var empty = list.querySelector("li.empty");
      if (empty) empty.remove();
      var item = document.createElement("li");
      var text = document.createElement("span");
      text.textContent = form.querySelector("[name=description]").value;
      item.appendChild(text);
      markPending(item);
      list.appendChild(item);
    }
    form.reset();
  } else {
    var ticked = Array.prototype.filter.call(form.querySelectorAll("input[type=checkbox]:checked:not(:disabled)"), function (box) {
      return !box.closest("li").classList.contains("pending");
    });
    label = "tick " + ticked.map(function (box) { return "\u201c" + box.labels[0].textContent + "\u201d"; }).join(", ");
    ticked.forEach(function (box) { markPending(box.closest("li")); });
  }
  queueDo("readwrite", function (store) {
    return store.add({url: form.getAttribute("action"), fields: fields, label: label});
  });
});

var replaying = false;

function replayQueue() {
  if (replaying || !navigator.onLine) return;
  replaying = true;
  var refused = [];
  var sent = 0;
  queueDo("readonly", function (store) { return store.getAll(); }).then(function (actions) {
    function next(i) {
      if (i >= actions.length) return Promise.resolve();
      var action = actions[i];
      return fetch(action.url, {
        method: "POST", credentials: "same-origin", body: new URLSearchParams(action.fields),
        headers: {"X-CSRFToken": csrfToken(), "HX-Request": "true"},
      }).then(function (response) {
        // A network failure rejects and stops the replay here: the rest waits for the next try.
        if (!response.ok) refused.push(action.label + (response.status === 409 ? " (the day had closed)" : " (refused)"));
        sent += 1;
        return queueDo("readwrite", function (store) { return store.delete(action.seq); });
      }).then(function () { return next(i + 1); });
    }
    return next(0);
  }).then(function () {
    replaying = false;
    if (!sent) return;
    if (refused.length) sessionStorage.setItem("rr-refused", JSON.stringify(refused));
    location.reload();
  }, function () { replaying = false; });
}

window.addEventListener("online", replayQueue);
document.addEventListener("DOMContentLoaded", function () {
  replayQueue();
  var refused = sessionStorage.getItem("rr-refused");
  if (!refused) return;
  sessionStorage.removeItem("rr-refused");
  var main = document.getElementById("main");
  var note = document.createElement("div");
  note.className = "error";
  note.setAttribute("role", "alert");
  note.textContent = "Not saved, made while offline: " + JSON.parse(refused).join("; ") + ".";
  main.insertBefore(note, main.firstChild);
});

// Today's inline edit field sits in the list, inside the tick form, but belongs to its own
// form (form="edit-..."): its change must not reach the tick form, whose change posts the ticks.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.form && !field.form.contains(field)) event.stopPropagation();
}, true);
