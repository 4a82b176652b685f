// Small progressive enhancements. Everything works without this file.
(function () {
  "use strict";

  // A submit button stays disabled while its form is in flight, so a double click sends one
  // request. (htmx forms use hx-disabled-elt; this covers plain, non-htmx submissions.)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
    if (form.dataset.submitting === "1") { event.preventDefault(); return; }
    if ((form.method || "get").toLowerCase() !== "post") return;
    form.dataset.submitting = "1";
    form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
      b.setAttribute("aria-disabled", "true");
      b.classList.add("is-busy");
    });
  });

  // Coming back with the browser's back button restores the page as it was: let it submit again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll("[aria-disabled=true]").forEach(function (b) {
        b.removeAttribute("aria-disabled");
        b.classList.remove("is-busy");
      });
    });
  });

  // Timestamps rendered as <time data-local datetime="..."> are shown in the viewer's local time.
  function localise(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.textContent = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
      el.title = el.getAttribute("datetime");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localise(document); });
  document.addEventListener("htmx:afterSwap", function (e) { localise(e.target); });
})();
