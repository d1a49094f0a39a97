// flowlab web UI, process owner pages: progressive enhancements only.
// Without this script every page still works: selects have a submit
// button, the editor is a plain textarea and Validate a normal post.
(function () {
  "use strict";

  // <select data-autosubmit> submits its form when changed.
  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
      sel.addEventListener("change", function () {
        if (sel.form) sel.form.requestSubmit ? sel.form.requestSubmit() : sel.form.submit();
      });
    });
  }

  // The YAML editor: line numbers beside the textarea, the lines with
  // problems marked, links of the problems that move the caret to their
  // line, and validation while typing (a fragment of diagnostics).
  function editor(ed) {
    var ta = ed.querySelector("textarea");
    if (!ta) return;
    var box = document.getElementById("diagnostics");
    var status = document.getElementById("validate-status");
    var gutter = document.createElement("pre");
    gutter.className = "gutter";
    gutter.setAttribute("aria-hidden", "true");
    ed.insertBefore(gutter, ta);

    function marks() {
      var m = {};
      if (!box) return m;
      box.querySelectorAll("[data-line]").forEach(function (li) {
        if (!li.classList.contains("diagnostic")) return;
        var n = parseInt(li.getAttribute("data-line"), 10);
        if (!n) return;
        var sev = li.getAttribute("data-severity") === "error" ? "err" : "warn";
        if (m[n] !== "err") m[n] = sev;
      });
      return m;
    }
    var lastCount = -1, lastMarks = "";
    function drawGutter() {
      var count = ta.value.split("\n").length;
      var m = marks();
      var key = JSON.stringify(m);
      if (count === lastCount && key === lastMarks) return;
      lastCount = count; lastMarks = key;
      gutter.textContent = "";
      for (var i = 1; i <= count; i++) {
        var line = document.createElement("span");
        line.textContent = String(i);
        if (m[i]) { line.className = m[i]; line.title = m[i] === "err" ? "error on this line" : "warning on this line"; }
        gutter.appendChild(line);
        gutter.appendChild(document.createTextNode("\n"));
      }
      gutter.scrollTop = ta.scrollTop;
    }
    ta.addEventListener("scroll", function () { gutter.scrollTop = ta.scrollTop; });

    // Move the caret to line:column and scroll it into view.
    function goTo(line, col) {
      var lines = ta.value.split("\n");
      line = Math.max(1, Math.min(line, lines.length));
      var pos = 0;
      for (var i = 0; i < line - 1; i++) pos += lines[i].length + 1;
      pos += Math.max(0, Math.min((col || 1) - 1, lines[line - 1].length));
      ta.focus();
      ta.setSelectionRange(pos, pos);
      var lh = parseFloat(getComputedStyle(ta).lineHeight) || 20;
      ta.scrollTop = Math.max(0, (line - 4) * lh);
    }
    if (box) {
      box.addEventListener("click", function (e) {
        var a = e.target.closest ? e.target.closest("a[data-line]") : null;
        if (!a) return;
        e.preventDefault();
        goTo(parseInt(a.getAttribute("data-line"), 10), parseInt(a.getAttribute("data-column"), 10));
      });
    }

    // Validate while typing: 700 ms after the last key, only the newest
    // answer is shown.
    var url = ta.getAttribute("data-validate");
    var timer = null, seq = 0;
    function validate() {
      if (!url || !box) return;
      var mine = ++seq;
      var body = new URLSearchParams();
      body.set("yaml", ta.value);
      if (status) status.textContent = "Checking…";
      fetch(url, {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "X-Flowlab-Fragment": "1", "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString()
      }).then(function (res) {
        if (res.status === 401) { if (status) status.textContent = "Your session ended: sign in again."; return null; }
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.text();
      }).then(function (html) {
        if (html === null || mine !== seq) return;
        box.innerHTML = html;
        var invalid = !!box.querySelector("[data-severity=error]");
        ta.setAttribute("aria-invalid", invalid ? "true" : "false");
        if (status) status.textContent = "Checked " + new Date().toLocaleTimeString();
        drawGutter();
      }).catch(function () {
        if (mine === seq && status) status.textContent = "Could not check; use Validate.";
      });
    }
    ta.addEventListener("input", function () {
      drawGutter();
      clearTimeout(timer);
      timer = setTimeout(validate, 700);
    });
    // Tab inserts two spaces (YAML has no tabs); Escape then Tab leaves.
    var escaped = false;
    ta.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { escaped = true; return; }
      if (e.key === "Tab" && !e.shiftKey && !escaped && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        var s = ta.selectionStart, t = ta.selectionEnd;
        ta.setRangeText("  ", s, t, "end");
        ta.dispatchEvent(new Event("input"));
      }
      escaped = false;
    });
    drawGutter();
  }

  document.addEventListener("DOMContentLoaded", function () {
    autosubmit();
    document.querySelectorAll("[data-editor]").forEach(editor);
  });
})();
