/* Aioomi dashboard: a little plain JavaScript. Every change calls the JSON API with the
   session cookie and the X-CSRF-Token header; pages are rendered by the server. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = meta ? meta.content : null;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }

  function api(method, url, body, more) {
    var headers = Object.assign({ "Accept": "application/json" }, more || {});
    if (CSRF && method !== "GET") headers["X-CSRF-Token"] = CSRF;
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined && body !== null) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (res) {
      var type = res.headers.get("content-type") || "";
      var read = type.indexOf("json") >= 0 ? res.json() : Promise.resolve(null);
      return read.then(function (data) { return { ok: res.ok, status: res.status, data: data }; });
    }, function () {
      return { ok: false, status: 0, data: { detail: "The server could not be reached. Check your connection and try again." } };
    });
  }

  /* --- theme --------------------------------------------------------------------------- */
  var toggle = $("#theme-toggle");
  function showTheme() {
    var dark = document.documentElement.getAttribute("data-theme") === "dark";
    toggle.setAttribute("aria-pressed", dark ? "true" : "false");
    $(".theme-label", toggle).textContent = dark ? "Light theme" : "Dark theme";
  }
  if (toggle) {
    showTheme();
    toggle.addEventListener("click", function () {
      var next = document.documentElement.getAttribute("data-theme") === "dark" ? "light" : "dark";
      document.documentElement.setAttribute("data-theme", next);
      try { localStorage.setItem("aioomi_theme", next); } catch (e) { /* storage blocked */ }
      showTheme();
    });
  }

  /* --- forms and buttons that call the API ---------------------------------------------- */
  function setPath(obj, path, value) {
    var keys = path.split(".");
    var last = keys.pop();
    keys.forEach(function (k) { obj = obj[k] = obj[k] || {}; });
    obj[last] = value;
  }

  function serialize(form) {
    var body = {};
    var onlyChanged = form.hasAttribute("data-only-changed");
    $$("input, select, textarea", form).forEach(function (input) {
      if (!input.name || input.disabled || input.type === "file" || input.type === "submit") return;
      var type = input.getAttribute("data-type");
      var value;
      if (input.type === "checkbox" && type === "list") { body[input.name] = (body[input.name] || []).concat(input.checked ? [input.value] : []); return; }
      if (input.type === "radio") { if (!input.checked) return; value = input.value; }
      else if (input.type === "checkbox") { value = type === "value-if-checked" ? (input.checked ? input.value : "") : input.checked; }
      else {
        if (onlyChanged && input.value === input.defaultValue) return;
        value = input.value;
        if (type === "number") value = value === "" ? null : Number(value);
        else if (type === "lines") value = value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
        else if (type === "nullable") value = value.trim() === "" ? null : value;
        else if (input.type === "password" && value === "" && !input.required) return;
      }
      setPath(body, input.name, value);
    });
    return body;
  }

  function statusOf(scope) {
    var found = $(".form-status", scope);
    if (!found && scope.parentElement) found = $(".form-status", scope.parentElement);
    return found;
  }

  function say(scope, text, kind) {
    var status = statusOf(scope);
    if (!status) { if (kind === "error") alert(text); return; }
    status.textContent = text;
    status.className = "form-status " + (kind || "");
  }

  function clearErrors(form) {
    $$(".field-error", form).forEach(function (n) { n.remove(); });
    $$("[aria-invalid]", form).forEach(function (n) {
      n.removeAttribute("aria-invalid");
      var described = (n.getAttribute("aria-describedby") || "").split(" ").filter(function (id) { return id.indexOf("err-") !== 0; });
      if (described.length) n.setAttribute("aria-describedby", described.join(" ")); else n.removeAttribute("aria-describedby");
    });
  }

  function showProblem(scope, result) {
    var problem = result.data || {};
    var message = problem.detail || ("The request failed (" + result.status + ").");
    // Only an ended session is told to sign in again; a wrong password says so in the server's words.
    if (result.status === 401 && (!problem.detail || problem.code === "session_expired" || problem.code === "unauthenticated")) {
      message = "Your session has ended. Sign in again.";
    }
    var first = null;
    (problem.errors || []).forEach(function (error) {
      var name = String(error.field || "").replace(/\[\d+\]/g, "");
      var input = scope.querySelector ? scope.querySelector('[name="' + name + '"]') : null;
      if (!input) return;
      var id = "err-" + name.replace(/[^a-z0-9_-]/gi, "-");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + id).trim());
      input.insertAdjacentElement("afterend", el("p", { "class": "field-error", id: id }, error.message));
      first = first || input;
    });
    say(scope, message, "error");
    if (first) first.focus();
  }

  function then(action, scope, result, body) {
    var data = result.data || {};
    if (!action || action === "reload") { location.reload(); return; }
    if (action.indexOf("go:") === 0) {
      location.assign(action.slice(3).replace("{id}", encodeURIComponent(data.id || "")));
    } else if (action === "switch") {
      /* a workspace was created: act in it at once */
      api("POST", "/api/v1/workspaces/current", { workspace_id: data.id }).then(function (switched) {
        if (switched.ok) location.assign("/dashboard"); else showProblem(scope, switched);
      });
    } else if (action === "go-url") {
      location.assign(data.url);
    } else if (action.indexOf("message:") === 0) {
      say(scope, action.slice(8), "ok");
      $$("input, textarea, select", scope).forEach(function (n) { n.defaultValue = n.value; });
    } else if (action === "replace") {
      var done = $("template[data-done]", scope);
      var box = el("div", { role: "status", tabindex: "-1" });
      box.appendChild(done.content.cloneNode(true));
      scope.replaceWith(box);
      box.focus();
    } else if (action === "show-secret") {
      $("#secret-value").textContent = data.secret;
      $("#new-secret").hidden = false;
      scope.reset();
      say(scope, "Key created.", "ok");
    } else if (action === "export") {
      var box = statusOf(scope.parentElement || scope);
      box.className = "form-status ok";
      box.textContent = "Your archive is being prepared…";
      waitForExport(data.id, box, 0);
    } else if (action === "link") {
      var where = scope.nextElementSibling && scope.nextElementSibling.classList.contains("form-status") ? scope.nextElementSibling : statusOf(scope.parentElement || scope);
      showDownload(where, data.url);
    }
  }

  function showDownload(box, url) {
    box.textContent = "";
    box.appendChild(el("a", { href: url, download: "", id: "export-download" }, "Download your archive (zip)"));
  }

  /* The archive is built by the worker: wait for it, then ask for its short-lived link. */
  function waitForExport(id, box, tries) {
    api("GET", "/api/v1/account/exports").then(function (result) {
      var found = result.ok ? result.data.data.filter(function (e) { return e.id === id; })[0] : null;
      if (found && found.status === "ready") {
        api("POST", "/api/v1/account/exports/" + encodeURIComponent(id) + "/link").then(function (link) {
          if (link.ok) showDownload(box, link.data.url); else showProblem(box.parentElement, link);
        });
      } else if (found && found.status === "failed") {
        box.className = "form-status error";
        box.textContent = "The export failed. Try again later.";
      } else if (tries < 120) {
        setTimeout(function () { waitForExport(id, box, tries + 1); }, 1000);
      } else {
        box.textContent = "Your archive is still being prepared; we will e-mail you when it is ready.";
      }
    });
  }

  function busy(control, on) { if (control) control.disabled = on; }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var url = form.getAttribute("data-api");
    if (!url) return;
    event.preventDefault();
    if (form.getAttribute("data-confirm") && !confirm(form.getAttribute("data-confirm"))) return;
    var body = serialize(form);
    if (form.hasAttribute("data-only-changed") && !Object.keys(body).length) { say(form, "Nothing changed.", "ok"); return; }
    var submit = form.querySelector('[type="submit"]');
    clearErrors(form);
    say(form, "Working…");
    busy(submit, true);
    api(form.getAttribute("data-method") || "POST", url, body).then(function (result) {
      busy(submit, false);
      if (result.ok) then(form.getAttribute("data-then"), form, result, body);
      else showProblem(form, result);
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-api]");
    if (button) {
      if (button.getAttribute("data-confirm") && !confirm(button.getAttribute("data-confirm"))) return;
      var raw = button.getAttribute("data-body");
      busy(button, true);
      api(button.getAttribute("data-method") || "POST", button.getAttribute("data-api"), raw ? JSON.parse(raw) : null)
        .then(function (result) {
          busy(button, false);
          var scope = button.closest("form, section, div") || document.body;
          if (result.ok) then(button.getAttribute("data-then"), button, result);
          else showProblem(scope, result);
        });
      return;
    }
    var copy = event.target.closest("button[data-copy]");
    if (copy) {
      var source = $(copy.getAttribute("data-copy"));
      var text = source.textContent;
      var note = copy.parentElement.querySelector(".copy-status");
      var done = function () { if (note) note.textContent = "Copied."; };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
      else { selectText(source); try { document.execCommand("copy"); done(); } catch (e) { /* select stays */ } }
    }
  });

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  /* --- knowledge base: upload with progress, status polling, test retrieval -------------- */
  var upload = $("#upload-form");
  if (upload) {
    var picker = $('input[type="file"]', upload);
    var dropped = null;
    // Files dropped anywhere on the form are uploaded like picked ones.
    ["dragenter", "dragover"].forEach(function (name) {
      upload.addEventListener(name, function (event) { event.preventDefault(); upload.classList.add("dropping"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      upload.addEventListener(name, function () { upload.classList.remove("dropping"); });
    });
    upload.addEventListener("drop", function (event) {
      event.preventDefault();
      dropped = Array.prototype.slice.call(event.dataTransfer.files || []);
      picker.required = !dropped.length;
      say(upload, dropped.length === 1 ? "1 file ready: " + dropped[0].name : dropped.length + " files ready.", "ok");
    });
    picker.addEventListener("change", function () { dropped = null; picker.required = true; });

    function send(file, title) {
      return new Promise(function (resolve) {
        var data = new FormData();
        data.append("file", file);
        if (title) data.append("title", title);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", upload.getAttribute("data-upload"));
        xhr.setRequestHeader("X-CSRF-Token", CSRF);
        xhr.setRequestHeader("Accept", "application/json");
        var bar = $("#upload-progress");
        xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
        xhr.onload = function () {
          var body = null;
          try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
          resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, data: body, name: file.name });
        };
        xhr.onerror = function () {
          resolve({ ok: false, status: 0, data: { detail: "the server could not be reached" }, name: file.name });
        };
        xhr.send(data);
      });
    }

    upload.addEventListener("submit", function (event) {
      event.preventDefault();
      var files = dropped || Array.prototype.slice.call(picker.files || []);
      if (!files.length) { say(upload, "Choose or drop at least one file.", "error"); return; }
      var title = files.length === 1 ? $('input[name="title"]', upload).value.trim() : "";
      var bar = $("#upload-progress");
      var submit = $('[type="submit"]', upload);
      bar.hidden = false; bar.value = 0;
      busy(submit, true);
      var failed = [], done = 0;
      files.reduce(function (previous, file) {
        return previous.then(function () {
          say(upload, "Uploading " + (done + 1) + " of " + files.length + ": " + file.name + "…");
          return send(file, title).then(function (result) {
            done += 1;
            if (!result.ok) failed.push(result);
          });
        });
      }, Promise.resolve()).then(function () {
        busy(submit, false);
        if (!failed.length) { bar.value = 100; say(upload, (files.length === 1 ? "Uploaded" : "Uploaded " + files.length + " files") + ": processing.", "ok"); location.reload(); return; }
        bar.hidden = true;
        if (files.length === 1) { showProblem(upload, failed[0]); return; }
        var lines = failed.map(function (f) { return f.name + ": " + ((f.data && f.data.detail) || "failed (" + f.status + ")"); });
        say(upload, (files.length - failed.length) + " of " + files.length + " uploaded. Not uploaded: " + lines.join(" · "), "error");
      });
    });
  }

  var table = $("#documents[data-poll]");
  function poll() {
    var pending = $$("[data-status]", table).some(function (b) { return /queued|processing/.test(b.textContent); });
    if (!pending) return;
    api("GET", table.getAttribute("data-poll")).then(function (result) {
      if (!result.ok) return;
      var known = $$("tr[data-doc]", table).length;
      if (result.data.data.length !== known) { location.reload(); return; }
      result.data.data.forEach(function (doc) {
        var row = table.querySelector('tr[data-doc="' + doc.id + '"]');
        if (!row) return;
        var badge = $("[data-status]", row);
        var total = doc.progress && doc.progress.total;
        var text = doc.status + (doc.status === "processing" && total ? ": " + doc.progress.done.toLocaleString("en") +
          " of " + total.toLocaleString("en") + (total === 1 ? " chunk" : " chunks") : "");
        if (doc.status === "failed" && badge.textContent !== doc.status) { location.reload(); return; }
        badge.textContent = text;
        badge.className = "badge " + doc.status;
        $("[data-chunks]", row).textContent = doc.chunks;
      });
      setTimeout(poll, 1500);
    });
  }
  if (table) setTimeout(poll, 1000);

  var search = $("#search-form");
  if (search) {
    search.addEventListener("submit", function (event) {
      event.preventDefault();
      var list = $("#search-results");
      say(search, "Searching…");
      api("POST", search.getAttribute("data-search"), { query: $('input[name="query"]', search).value }).then(function (result) {
        if (!result.ok) { showProblem(search, result); return; }
        list.textContent = "";
        var hits = result.data.data;
        say(search, hits.length ? hits.length + " passages found." : "No passage matches: the assistant would have nothing to answer from.", "ok");
        hits.forEach(function (hit) {
          var item = el("li");
          item.appendChild(el("strong", {}, hit.document.title));
          item.appendChild(el("span", { "class": "score" }, " · score " + hit.score.toFixed(3)));
          item.appendChild(el("p", {}, hit.text.length > 400 ? hit.text.slice(0, 400) + "…" : hit.text));
          list.appendChild(item);
        });
      });
    });
  }

  /* The agent editor's live preview is the real widget: static/dashboard/preview.js. */

  // A table wider than the screen scrolls inside itself: make it reachable by keyboard then.
  function scrollableTables() {
    $$("table.list").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) table.setAttribute("tabindex", "0");
      else table.removeAttribute("tabindex");
    });
  }
  scrollableTables();
  window.addEventListener("resize", scrollableTables);

  // Leaving a form with unsaved changes asks first (the browser's own prompt).
  var dirty = false;
  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("form[data-warn-unsaved]")) dirty = true;
  });
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form[data-warn-unsaved]")) dirty = false;
  }, true);
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
