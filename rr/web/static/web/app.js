// Regret Regret's only script of its own (htmx does the rest).
// "Today" is the browser's local day, as in the app: every page tells the server the
// browser's UTC offset (minutes east of UTC), read on each load so a DST change counts.
document.cookie = "rr_tz=" + -new Date().getTimezoneOffset() + "; path=/; SameSite=Lax";

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
