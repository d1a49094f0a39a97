// flowlab web UI, event logs: progressive enhancements only. Without this
// script the upload form posts the whole file (preview or import) and the
// map's form has a Show button.
(function () {
  "use strict";

  var MiB = 1024 * 1024;

  function fmtBytes(n) {
    if (n < 1000) return n + " B";
    if (n < 1e6) return (n / 1e3).toFixed(1) + " KB";
    if (n < 1e9) return (n / 1e6).toFixed(1) + " MB";
    return (n / 1e9).toFixed(2) + " GB";
  }
  function fmtSeconds(s) {
    s = Math.max(0, Math.round(s));
    if (s < 60) return s + " s";
    var m = Math.floor(s / 60), r = s % 60;
    if (m < 60) return m + " min " + (r < 10 ? "0" : "") + r + " s";
    var h = Math.floor(m / 60);
    m = m % 60;
    return h + " h " + (m < 10 ? "0" : "") + m + " min";
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // The form's fields, the file last (the server reads the fields before
  // it streams the file).
  function fields(form, extra) {
    var fd = new FormData();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.disabled) return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      fd.append(el.name, el.value);
    });
    Object.keys(extra || {}).forEach(function (k) { fd.append(k, extra[k]); });
    return fd;
  }

  function showError(msg) {
    var box = document.getElementById("upload-error");
    if (!box) return;
    box.textContent = "";
    if (!msg) return;
    var p = document.createElement("p");
    p.className = "error";
    p.setAttribute("data-testid", "upload-error");
    p.textContent = msg;
    box.appendChild(p);
  }

  function markFields(form, errs) {
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    Object.keys(errs || {}).forEach(function (name) {
      var el = form.querySelector("[name='" + name + "']");
      if (el) el.setAttribute("aria-invalid", "true");
    });
  }

  // The preview's detected mapping fills the fields left empty, and its
  // columns become the fields' suggestions.
  function applyPreview(form) {
    var pv = document.querySelector("#preview [data-mapping]");
    if (!pv) return;
    var m = {};
    try { m = JSON.parse(pv.getAttribute("data-mapping")) || {}; } catch (e) { return; }
    function fill(name, v) {
      var el = form.querySelector("[name='" + name + "']");
      if (el && !el.value && v) el.value = v;
    }
    fill("case", m["case"]);
    var acts = m.activity || [];
    fill("activity", acts[0]);
    fill("activity2", acts[1]);
    ["time", "start", "resource", "group", "lifecycle"].forEach(function (k) { fill(k, m[k]); });
    var list = document.getElementById("columns");
    if (list) {
      var cols = [];
      try { cols = JSON.parse(pv.getAttribute("data-columns")) || []; } catch (e) { cols = []; }
      list.textContent = "";
      cols.forEach(function (c) { var o = document.createElement("option"); o.value = c; list.appendChild(o); });
    }
  }

  function upload(form) {
    var file = form.querySelector("input[type=file]");
    var status = document.getElementById("preview-status");
    var box = document.getElementById("preview");
    var previewBtn = form.querySelector("[data-testid=preview-button]");
    var importBtn = form.querySelector("[data-testid=import-button]");
    var busy = false;

    function preview() {
      var f = file.files && file.files[0];
      if (!f) { showError("Choose the file to preview."); return; }
      showError("");
      var fd = fields(form, { sample: f.size > MiB ? "1" : "0" });
      fd.append("file", f.slice(0, MiB), f.name);
      if (status) status.textContent = "Reading the first " + fmtBytes(Math.min(f.size, MiB)) + "…";
      previewBtn.disabled = true;
      fetch(form.getAttribute("data-preview"), {
        method: "POST", body: fd, credentials: "same-origin", cache: "no-store",
        headers: { "X-Flowlab-Fragment": "1" }
      }).then(function (res) {
        if (res.status === 401) throw new Error("Your session ended: sign in again.");
        return res.text().then(function (html) { return { res: res, html: html }; });
      }).then(function (r) {
        if (r.res.headers.get("X-Flowlab-Status") === null && !r.res.ok) throw new Error(r.html);
        box.innerHTML = r.html;
        applyPreview(form);
        if (status) status.textContent = "Previewed " + f.name + ".";
        var err = box.querySelector("[data-testid=upload-error]");
        if (err) { showError(err.textContent); err.remove(); }
      }).catch(function (e) {
        if (status) status.textContent = "";
        showError(e.message || "The preview failed; try again.");
      }).finally(function () { previewBtn.disabled = false; });
    }

    function doImport() {
      var f = file.files && file.files[0];
      if (!f) { showError("Choose the file to import."); markFields(form, { file: "choose a file" }); return; }
      if (busy) return;
      busy = true;
      showError("");
      markFields(form, {});
      var id = uuid();
      var fd = fields(form, { id: id });
      fd.append("file", f, f.name);
      var wrap = document.getElementById("upload-progress");
      var bar = document.getElementById("upload-bar");
      var up = document.getElementById("upload-status");
      var imp = document.getElementById("import-status");
      wrap.hidden = false;
      bar.max = f.size || 1;
      bar.value = 0;
      up.textContent = "Sending " + f.name + " (" + fmtBytes(f.size) + ")…";
      imp.textContent = "";
      previewBtn.disabled = importBtn.disabled = true;
      var started = Date.now(), sent = 0, uploaded = false, done = false;

      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-Flowlab-Fragment", "1");
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        sent = e.loaded;
        bar.max = e.total;
        bar.value = e.loaded;
        bar.textContent = Math.round(100 * e.loaded / e.total) + " %";
        var secs = (Date.now() - started) / 1000;
        var rate = secs > 0 ? e.loaded / secs : 0;
        var left = rate > 0 ? (e.total - e.loaded) / rate : 0;
        up.textContent = "Sent " + fmtBytes(e.loaded) + " of " + fmtBytes(e.total) +
          (rate > 0 ? " · " + fmtBytes(rate) + "/s · " + fmtSeconds(left) + " left" : "");
      };
      xhr.upload.onload = function () {
        uploaded = true;
        bar.value = bar.max;
        up.textContent = "Sent " + fmtBytes(f.size) + " in " + fmtSeconds((Date.now() - started) / 1000) + ".";
        if (!done) imp.textContent = "Writing the log…";
      };
      function poll() {
        if (done) return;
        fetch("/ui/logs/" + id + "/progress", { credentials: "same-origin", cache: "no-store", headers: { "X-Flowlab-Fragment": "1" } })
          .then(function (res) { return res.ok ? res.json() : null; })
          .then(function (p) {
            if (!p || done) return;
            if (p.status === "importing") {
              imp.textContent = p.events + " events read" + (uploaded ? " · writing the log…" : " · reading the file…");
            } else if (p.status === "ready") {
              imp.textContent = p.events + " events read · done.";
            } else if (uploaded) {
              imp.textContent = "Writing the log…";
            }
          })
          .catch(function () {})
          .finally(function () { if (!done) setTimeout(poll, 1000); });
      }
      setTimeout(poll, 1000);
      function finish(msg, fieldsErr) {
        done = true;
        busy = false;
        previewBtn.disabled = importBtn.disabled = false;
        wrap.hidden = true;
        showError(msg);
        markFields(form, fieldsErr);
      }
      xhr.onload = function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = { error: xhr.responseText || ("HTTP " + xhr.status) }; }
        if (xhr.status >= 200 && xhr.status < 300 && body.location) {
          done = true;
          imp.textContent = "Imported; opening the log…";
          window.location.assign(body.location);
          return;
        }
        if (xhr.status === 401) body.error = "Your session ended: sign in again, then import the file again.";
        finish(body.error || ("The import failed (HTTP " + xhr.status + ")."), body.fields);
      };
      xhr.onerror = function () {
        finish("The upload broke off (the connection was lost); nothing was kept. Import the file again.");
      };
      xhr.send(fd);
    }

    previewBtn.addEventListener("click", function (e) { e.preventDefault(); preview(); });
    form.addEventListener("submit", function (e) { e.preventDefault(); doImport(); });
  }

  // The map's settings: a slider shows its value while it moves, and any
  // change redraws the map.
  function mapForm(form) {
    form.querySelectorAll("input[type=range][data-output]").forEach(function (r) {
      var out = document.getElementById(r.getAttribute("data-output"));
      r.addEventListener("input", function () { if (out) out.textContent = r.value + " %"; });
    });
    form.addEventListener("change", function () {
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-log-upload]").forEach(upload);
    document.querySelectorAll("form[data-autosubmit-form]").forEach(mapForm);
  });
})();
