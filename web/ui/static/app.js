// flowlab web UI: small progressive enhancements. Every page works without
// this script; it adds local times, live SLA countdowns, in-place refresh
// of lists and protection against double submits.
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  // <time datetime="..." data-local> shows the time in the browser's zone.
  function localTimes(root) {
    root.querySelectorAll("time[data-local][datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      el.textContent = d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
      el.title = d.toISOString();
    });
  }

  // <span class="countdown" data-due="RFC 3339"> counts down to the SLA due
  // time: "due in 1:02:03", "overdue 0:05:10"; soon (< 15 min) and overdue
  // get their classes. Width is fixed by the stylesheet.
  function fmtSpan(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    return (d > 0 ? d + "d " : "") + h + ":" + pad(m) + ":" + pad(s);
  }
  // A countdown with data-label (an offer's deadline) counts in minutes:
  // "start within 8 min"; past it, it says data-late.
  function fmtMinutes(ms) {
    var m = Math.round(Math.abs(ms) / 60000);
    if (m < 1) return "less than 1 min";
    if (m < 60) return m + " min";
    var h = Math.floor(m / 60);
    return h + " h " + pad(m - h * 60) + " min";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var left = due - now;
      var label = el.getAttribute("data-label");
      if (label) {
        el.textContent = left >= 0 ? label + " " + fmtMinutes(left) : (el.getAttribute("data-late") || "overdue by " + fmtMinutes(left));
      } else {
        el.textContent = left >= 0 ? "due in " + fmtSpan(left) : "overdue " + fmtSpan(left);
      }
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 15 * 60 * 1000);
    });
  }

  // An element with data-refresh="URL" (a table body) is reloaded in place
  // every data-every seconds (default 10) from the fragment URL, only when
  // the server's content changed and never while the user is inside it,
  // so neither focus nor scroll position moves. The comparison is with
  // the last content the server sent, serialised by the browser, not with
  // the live DOM (whose countdowns and local times this script rewrites),
  // so unchanged rows are never swapped. data-status names an element
  // that says when the list was last updated. The element counts its
  // refreshes and swaps in data-refreshes and data-swaps.
  function serialized(html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    return t.innerHTML.trim();
  }
  function refreshers() {
    document.querySelectorAll("[data-refresh]").forEach(function (el) {
      var every = Math.max(2, parseInt(el.getAttribute("data-every") || "10", 10)) * 1000;
      var status = el.getAttribute("data-status") ? document.getElementById(el.getAttribute("data-status")) : null;
      var last = el.innerHTML.trim(); // as served: called before localTimes and tick
      var busy = false;
      el.dataset.refreshes = "0";
      el.dataset.swaps = "0";
      setInterval(function () {
        if (busy || document.hidden || el.contains(document.activeElement)) return;
        busy = true;
        fetch(el.getAttribute("data-refresh"), { headers: { "X-Flowlab-Fragment": "1" }, credentials: "same-origin", cache: "no-store" })
          .then(function (res) {
            if (res.status === 401) { window.location.reload(); return null; }
            if (!res.ok) throw new Error("HTTP " + res.status);
            return res.text();
          })
          .then(function (html) {
            if (html === null) return;
            var next = serialized(html);
            if (next !== last) {
              last = next;
              el.innerHTML = html;
              localTimes(el);
              tick();
              el.dataset.swaps = String(parseInt(el.dataset.swaps, 10) + 1);
            }
            el.dataset.refreshes = String(parseInt(el.dataset.refreshes, 10) + 1);
            if (status) status.textContent = "Updated " + new Date().toLocaleTimeString();
          })
          .catch(function () {
            if (status) status.textContent = "Could not refresh; retrying…";
          })
          .finally(function () { busy = false; });
      }, every);
    });
  }

  // The header's bell (a[data-unread-url]) asks the server for the unread
  // count every data-every seconds (a fragment request: it does not keep
  // an unattended session alive) and shows it without a reload; a rise is
  // announced to screen readers. It counts its polls in data-polls. A
  // session that ended stops it.
  function bell() {
    var el = document.querySelector("a[data-unread-url]");
    if (!el) return;
    var count = el.querySelector("[data-unread]");
    var status = document.querySelector('[data-testid="bell-status"]');
    var every = Math.max(5, parseInt(el.getAttribute("data-every") || "12", 10)) * 1000;
    var busy = false;
    el.dataset.polls = "0";
    function show(n) {
      var was = parseInt(count.getAttribute("data-unread"), 10);
      count.setAttribute("data-unread", String(n));
      count.textContent = String(n);
      count.classList.toggle("zero", n === 0);
      el.classList.toggle("unread", n > 0);
      el.setAttribute("aria-label", "Notifications: " + n + " unread");
      if (!isNaN(was) && n > was) {
        el.classList.add("rang");
        setTimeout(function () { el.classList.remove("rang"); }, 3000);
        if (status) status.textContent = (n - was === 1 ? "A new notification" : (n - was) + " new notifications") + ": " + n + " unread.";
      }
    }
    var timer = setInterval(function () {
      if (busy || document.hidden) return;
      busy = true;
      fetch(el.getAttribute("data-unread-url"), { headers: { "X-Flowlab-Fragment": "1", "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (res) {
          if (res.status === 401) {
            clearInterval(timer);
            el.title = "Your session ended: reload the page to sign in again.";
            return null;
          }
          if (!res.ok) throw new Error("HTTP " + res.status);
          return res.json();
        })
        .then(function (d) {
          if (d && typeof d.unread === "number") show(d.unread);
          el.dataset.polls = String(parseInt(el.dataset.polls, 10) + 1);
        })
        .catch(function () { /* the next poll tries again */ })
        .finally(function () { busy = false; });
    }, every);
  }

  // <form data-once>: the first submit disables its buttons, so a double
  // click sends one request (the server is idempotent anyway).
  function once() {
    document.addEventListener("submit", function (e) {
      var f = e.target;
      if (!f.hasAttribute || !f.hasAttribute("data-once")) return;
      if (f.dataset.sent) { e.preventDefault(); return; }
      f.dataset.sent = "1";
      setTimeout(function () {
        f.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.disabled = true; });
      }, 0);
    }, true);
  }

  // <form data-confirm="question"> asks before submitting.
  function confirms() {
    document.addEventListener("submit", function (e) {
      var q = e.target.getAttribute && e.target.getAttribute("data-confirm");
      if (q && !window.confirm(q)) { e.preventDefault(); e.stopImmediatePropagation(); }
    }, true);
  }

  // A token shown once: <input data-select-all> selects itself when
  // focused; <button data-copy="id"> copies that field (shown only where
  // the clipboard is available: a secure context).
  function copiers() {
    document.querySelectorAll("input[data-select-all]").forEach(function (i) {
      i.addEventListener("focus", function () { i.select(); });
      i.addEventListener("click", function () { i.select(); });
    });
    if (!navigator.clipboard || !window.isSecureContext) return;
    document.querySelectorAll("button[data-copy]").forEach(function (b) {
      var field = document.getElementById(b.getAttribute("data-copy"));
      if (!field) return;
      b.hidden = false;
      b.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          b.textContent = "Copied";
        }, function () {
          field.focus();
          b.textContent = "Select and copy it";
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    copiers();
    refreshers(); // first: it keeps the lists as served
    localTimes(document);
    tick();
    setInterval(tick, 1000);
    confirms();
    once();
    bell();
  });
})();
