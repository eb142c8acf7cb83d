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
