// Small progressive enhancements. Everything works without this file.
(function () {
  "use strict";
  // The stylesheet hides what only a page without JavaScript needs (`.js ...` rules).
  document.documentElement.classList.add("js");

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

  // A write shows that it is sending: the pressed button says so, the form's other write buttons
  // are disabled (htmx forms: hx-disabled-elt; plain forms: above), and past 2 s the form says it
  // is still waiting for OpenTrain, so nobody presses again or leaves thinking nothing happened.
  var WAIT_NOTICE_MS = 2000;
  function sending(form, button) {
    if (!form || (form.method || "get").toLowerCase() !== "post" || form.dataset.sending) return;
    form.dataset.sending = "1";
    form.setAttribute("aria-busy", "true");
    if (button && button.matches("button")) {
      button.dataset.label = button.innerHTML;
      button.textContent = "Sending…";
    }
    // The others (not the pressed one: a plain form would leave its name out of what it sends).
    form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (other) {
      if (other === button || other.disabled) return;
      other.disabled = true;
      other.dataset.held = "1";
    });
    form._waitTimer = setTimeout(function () {
      var note = document.createElement("p");
      note.className = "notice sending-wait";
      note.setAttribute("role", "status");
      note.textContent = "Still waiting for OpenTrain. Keep this page open: the answer appears " +
        "here, and sending again would not make it faster.";
      var actions = form.querySelector(".form-actions") || form;
      actions.appendChild(note);
    }, WAIT_NOTICE_MS);
  }
  function sent(form) {
    if (!form || !form.dataset.sending) return;
    clearTimeout(form._waitTimer);
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
    form.querySelectorAll(".sending-wait").forEach(function (note) { note.remove(); });
    form.querySelectorAll("[data-held]").forEach(function (other) {
      other.disabled = false;
      delete other.dataset.held;
    });
    form.querySelectorAll("button[data-label]").forEach(function (button) {
      button.innerHTML = button.dataset.label;
      delete button.dataset.label;
    });
  }
  // htmx cancels the browser's own submission of its forms (defaultPrevented) and sends them
  // itself: both kinds are sending.
  document.addEventListener("submit", function (event) {
    sending(event.target, event.submitter);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    sent(event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null);
  });

  // Coming back with the browser's back button restores the page as it was: let it submit again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sending]").forEach(sent);
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
      // The server's one shape ("26 Nov 2026, 14:05 UTC"), in the reader's own time zone.
      var parts = {};
      new Intl.DateTimeFormat("en-GB", {
        day: "numeric", month: "short", year: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
      }).formatToParts(when).forEach(function (part) { parts[part.type] = part.value; });
      el.textContent = parts.day + " " + parts.month + " " + parts.year + ", " +
        parts.hour + ":" + parts.minute + " " + parts.timeZoneName;
      el.title = el.getAttribute("datetime");
    });
  }
  // "Synced 4 s ago": <time data-ago> keeps counting between the redraws a sync triggers.
  function tick() {
    document.querySelectorAll("time[data-ago]").forEach(function (el) {
      var seconds = Math.max(0, Math.round((Date.now() - new Date(el.getAttribute("datetime"))) / 1000));
      if (isNaN(seconds)) return;
      el.textContent = seconds < 60 ? seconds + " s" : seconds < 3600 ? Math.floor(seconds / 60) + " min"
        : seconds < 86400 ? Math.floor(seconds / 3600) + " h" : Math.floor(seconds / 86400) + " days";
    });
  }
  setInterval(tick, 5000);
  document.addEventListener("DOMContentLoaded", function () { localise(document); });
  document.addEventListener("htmx:afterSwap", function (e) { localise(e.target); });
})();

// Milestone form: the cost of an hourly or per-label milestone as the PM types, from the contract
// rate in data attributes. Exact decimal arithmetic with BigInt (never floats), rounded half up to
// the cent like OpenTrain: 3 labels at $0.07 is $0.21. The server renders the same after a submit.
// A cost is shown only for a volume the server will accept: the input carries the form field's own
// rules (data-pattern, data-places, data-max) and the preview the largest cost (data-max-cost).
(function () {
  "use strict";
  var PLAIN = /^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^\.\d+$/;

  // "12.50" -> {units: 1250n, scale: 2}; null when it does not match `pattern`.
  function parse(text, pattern) {
    text = (text || "").trim();
    if (!(pattern || PLAIN).test(text)) return null;
    text = text.replace(/,/g, "");
    var parts = text.split(".");
    var fraction = parts[1] || "";
    return { units: BigInt((parts[0] || "0") + fraction), scale: fraction.length };
  }

  // Whether `a` (a parsed number) is greater than `b`.
  function greater(a, b) {
    var scale = Math.max(a.scale, b.scale);
    return a.units * 10n ** BigInt(scale - a.scale) > b.units * 10n ** BigInt(scale - b.scale);
  }

  // The volume as the server would accept it (same pattern, decimals, maximum), else null.
  function accepted(input) {
    var pattern = input.dataset.pattern ? new RegExp("^(?:" + input.dataset.pattern + ")$") : PLAIN;
    var volume = parse(input.value, pattern);
    if (!volume || volume.units === 0n) return null;
    var places = parseInt(input.dataset.places || "2", 10);
    var trimmed = volume;
    while (trimmed.scale > 0 && trimmed.units % 10n === 0n) {
      trimmed = { units: trimmed.units / 10n, scale: trimmed.scale - 1 };
    }
    if (trimmed.scale > places) return null;
    var max = parse(input.dataset.max);
    if (max && greater(volume, max)) return null;
    return volume;
  }

  function cents(rate, volume) {
    var product = rate.units * volume.units;
    var scale = rate.scale + volume.scale;
    if (scale <= 2) return product * 10n ** BigInt(2 - scale);
    var divisor = 10n ** BigInt(scale - 2);
    var whole = product / divisor;
    return (product % divisor) * 2n >= divisor ? whole + 1n : whole;
  }

  function dollars(amount) {
    var text = (amount / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var rest = (amount % 100n).toString().padStart(2, "0");
    return "$" + text + "." + rest;
  }

  function update(preview) {
    var input = document.getElementById(preview.dataset.input);
    var rate = parse(preview.dataset.rate);
    if (!input || !rate) return;
    var volume = accepted(input);
    var many = preview.dataset.unitMany;
    var cost = volume && cents(rate, volume);
    var maxCost = parse(preview.dataset.maxCost);
    preview.textContent = "";
    if (!cost || (maxCost && greater({ units: cost, scale: 2 }, maxCost))) {
      preview.textContent = "Cost of this milestone: enter the number of " + many +
        " to see it (" + preview.dataset.rateLabel + ").";
      return;
    }
    var unit = input.value.trim() === "1" ? preview.dataset.unitOne : many;
    var strong = document.createElement("strong");
    strong.textContent = dollars(cost);
    preview.append("Cost of this milestone: ", strong,
      " (" + input.value.trim() + " " + unit + " at " + preview.dataset.rateLabel + ")");
  }

  function previewFor(input) {
    return document.querySelector('[data-cost-preview][data-input="' + input.id + '"]');
  }

  document.addEventListener("input", function (event) {
    var preview = event.target.id && previewFor(event.target);
    if (preview) update(preview);
  });

  // "Copy link" in the inbox (and a batch's "Copy all links"): the link(s) go to the clipboard;
  // the button says so, in its own words when it has them (data-copied).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      button.textContent = button.dataset.copied || "Link copied";
    });
  });

  // After htmx re-renders the form with errors, move focus to the first one, as a full page
  // load would let a screen reader find it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var form = document.getElementById("milestone-form");
    if (!form || event.detail.requestConfig.verb !== "post") return;
    var first = form.querySelector('[aria-invalid="true"]') || form.querySelector(".problem");
    if (!first) return;
    if (first.classList.contains("problem")) first.setAttribute("tabindex", "-1");
    first.focus();
  });

  // A new milestone's page (opened with "n", a link or a button) puts the cursor in the form's
  // first field, or its first invalid one after a refused submit, unless the PM is already
  // somewhere else on the page.
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-focus-first]");
    if (!form || (document.activeElement && document.activeElement !== document.body)) return;
    var fields = Array.prototype.filter.call(
      form.querySelectorAll("input:not([type=hidden]), select, textarea"),
      function (field) { return !field.disabled && field.getClientRects().length > 0; });
    var first = fields.filter(function (field) {
      return field.getAttribute("aria-invalid") === "true";
    })[0] || fields[0];
    if (first) first.focus();
  });

  // With JavaScript the picker's contract swaps the payment fields by itself, so its "Choose"
  // button (for pages without JavaScript) goes: hidden, it would still be the form's first submit
  // button, the one that Enter in any field presses. Enter then presses "Create milestone".
  function dropChoose(root) {
    root.querySelectorAll("#milestone-form .picker-choose").forEach(function (button) {
      button.remove();
    });
  }
  document.addEventListener("DOMContentLoaded", function () { dropChoose(document); });
  document.addEventListener("htmx:afterSwap", function () { dropChoose(document); });
})();

// The contracts list's keyboard shortcuts: "/" search, Esc leave the search box (or any field),
// j/k move through the rows, Enter opens the chosen row, n a new milestone (for the chosen row's
// contract when it can have one), "?" the list of shortcuts. Other keys typed into a field are
// left alone. The rows are looked up on each key press, so the shortcuts keep working after htmx
// swaps the results.
(function () {
  "use strict";
  var dialog = document.getElementById("shortcuts");
  if (!dialog) return;
  document.querySelectorAll("[data-shortcuts]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { dialog.showModal(); });
  });

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.contracts tbody tr"));
  }
  function current() {
    var all = rows();
    var active = document.activeElement && document.activeElement.closest &&
      document.activeElement.closest("table.contracts tbody tr");
    return active || all.filter(function (row) { return row.classList.contains("is-current"); })[0] ||
      all.filter(function (row) {
        var box = row.querySelector("input[name=contract]");
        return box && box.checked;
      })[0] || null;
  }
  function choose(row) {
    rows().forEach(function (other) { other.classList.remove("is-current"); });
    if (!row) return;
    row.classList.add("is-current");
    row.setAttribute("tabindex", "-1");
    row.focus();
  }
  function typing(target) {
    if (target.tagName === "INPUT") return !/^(checkbox|radio|button|submit|reset)$/.test(target.type);
    return target.isContentEditable || /^(SELECT|TEXTAREA)$/.test(target.tagName);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || dialog.open) return;
    if (typing(event.target)) {
      // Esc leaves a field, so that j, k and n are shortcuts again rather than letters typed
      // into it. What was typed stays: the search box would otherwise empty itself, and the
      // list with it.
      if (event.key === "Escape" && event.target.tagName !== "SELECT") {
        event.preventDefault();
        event.target.blur();
      }
      return;
    }
    var all = rows();
    var row = current();
    var at = all.indexOf(row);
    if (event.key === "/") {
      var search = document.getElementById("id_q");
      if (!search) return;
      event.preventDefault();
      // On a phone the filters fold behind a button (a <details>): open it to reach the box.
      var fold = search.closest("details");
      if (fold && !fold.open) fold.open = true;
      search.focus();
      search.select();
    } else if (event.key === "j" || event.key === "k") {
      if (!all.length) return;
      event.preventDefault();
      var next = event.key === "j" ? Math.min(at + 1, all.length - 1) : Math.max(at - 1, 0);
      choose(all[next]);
    } else if (event.key === "Enter" && row && row.dataset.href && event.target === row) {
      event.preventDefault();
      window.location.assign(row.dataset.href);
    } else if (event.key === "n") {
      var url = (row && row.dataset.new) || dialog.dataset.newMilestone;
      if (!url) return;
      event.preventDefault();
      window.location.assign(url);
    } else if (event.key === "?") {
      event.preventDefault();
      dialog.showModal();
    }
  });

  // The results redraw themselves (a search, a sort, the mirror changing under them): the chosen
  // contract stays chosen, and keeps the focus if it had it, so j and k go on from where they were.
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var row = document.querySelector("table.contracts tbody tr.is-current");
    kept = row && row.dataset.href ? { href: row.dataset.href, focused: document.activeElement === row } : null;
  });
  document.addEventListener("htmx:afterSwap", function () {
    var was = kept;
    kept = null;
    if (!was) return;
    var again = rows().filter(function (row) { return row.dataset.href === was.href; })[0];
    if (!again || again.classList.contains("is-current")) return;
    var lost = !document.activeElement || document.activeElement === document.body;
    again.classList.add("is-current");
    again.setAttribute("tabindex", "-1");
    if (was.focused && lost) again.focus();
  });

  // A header click re-sorts through htmx: keep the Sort select saying what the list shows.
  document.addEventListener("htmx:afterSwap", function () {
    var results = document.getElementById("results");
    var select = document.getElementById("id_sort");
    if (results && select && results.dataset.sort && select.value !== results.dataset.sort) {
      select.value = results.dataset.sort;
    }
  });
})();
