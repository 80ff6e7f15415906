/* Aioomi dashboard, knowledge page: keeps each running sync's progress up to date by polling the
   runs API, and imports Q&A pairs from a CSV file. Loaded from the page (CSP: script-src 'self'). */
(function () {
  "use strict";
  var section = document.getElementById("sources");
  if (!section) return;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = meta ? meta.content : null;
  var POLL_MS = 1000;

  function get(url) {
    return fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.json() : null; }, function () { return null; });
  }

  function note(row, name, text) {  // as templates/_sources.html renders it: hidden when empty
    var small = row.querySelector("[" + name + "]");
    if (!small) return;
    small.textContent = text || "";
    small.hidden = !text;
  }

  function show(row, run) {
    var status = row.querySelector("[data-run-status]");
    status.textContent = run.status;
    status.className = "badge " + run.status;
    var limited = run.counts.plan_limited || 0;
    note(row, "data-run-plan-limited", limited ? limited.toLocaleString("en") + (limited === 1 ? " page" : " pages") +
                                                 " left at the plan's limit" : "");
    note(row, "data-run-error", run.error);
    Array.prototype.forEach.call(row.querySelectorAll("[data-count]"), function (cell) {
      cell.textContent = String(run.counts[cell.getAttribute("data-count")] || 0);
    });
    var active = run.status === "queued" || run.status === "running";
    row.setAttribute("data-active", active ? "yes" : "no");
    var cancel = row.querySelector("[data-cancel]");
    if (cancel) {
      cancel.setAttribute("data-api", section.getAttribute("data-sources") + "/" + row.getAttribute("data-source") +
                          "/runs/" + run.id + "/cancel");
      cancel.hidden = !active;
    }
    var sync = row.querySelector("[data-sync]");
    if (sync) sync.hidden = active;
    var failuresRow = section.querySelector('[data-failures-of="' + row.getAttribute("data-source") + '"]');
    if (failuresRow) {
      var list = failuresRow.querySelector("[data-failures]");
      list.textContent = "";
      run.failures.forEach(function (f) {
        var item = document.createElement("li");
        item.textContent = f.url + ": " + f.reason + " (" + f.detail + ")";
        list.appendChild(item);
      });
      failuresRow.hidden = run.failures.length === 0;
    }
    return active;
  }

  function poll() {
    var rows = Array.prototype.slice.call(section.querySelectorAll('tr[data-active="yes"]'));
    if (!rows.length) return;
    Promise.all(rows.map(function (row) {
      var url = section.getAttribute("data-sources") + "/" + row.getAttribute("data-source") + "/runs?limit=1";
      return get(url).then(function (body) {
        return body && body.data.length ? show(row, body.data[0]) : false;
      });
    })).then(function () { setTimeout(poll, POLL_MS); });
  }
  poll();

  var form = document.getElementById("qa-import");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = form.querySelector(".form-status");
      var data = new FormData();
      data.append("file", form.querySelector('input[type="file"]').files[0]);
      var headers = { "Accept": "application/json" };
      if (CSRF) headers["X-CSRF-Token"] = CSRF;
      status.textContent = "Importing…";
      fetch(form.getAttribute("data-import"), { method: "POST", body: data, headers: headers, credentials: "same-origin" })
        .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
        .then(function (result) {
          if (result.ok) { location.reload(); return; }
          status.textContent = result.body.detail || "The import failed.";
          status.className = "form-status error";
        }, function () {
          status.textContent = "The server could not be reached.";
          status.className = "form-status error";
        });
    });
  }
})();
