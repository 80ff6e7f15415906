/* The lead-form editor (/dashboard/leads/form/<agent>): the rows become the API's `fields`
   list, then PUT /api/v1/agents/<agent>/lead-form; errors are said in the status line. */
(function () {
  "use strict";
  var form = document.getElementById("lead-form");
  if (!form) return;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var status = form.querySelector(".form-status");
  function value(name) { return form.elements[name]; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var fields = Array.prototype.slice.call(form.querySelectorAll("[data-row]")).map(function (row) {
      var get = function (n) { return row.querySelector('[name="' + n + '"]'); };
      var label = get("label").value.trim();
      if (!label) return null;
      var key = get("key").value.trim() || label.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "field";
      return { key: key, kind: get("kind").value, label: label, required: get("required").checked,
               options: get("options").value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean) };
    }).filter(Boolean);
    fields.forEach(function (f) { if (f.kind !== "choice") f.options = []; });
    var body = {
      enabled: value("enabled").checked, trigger: value("trigger").value, after_messages: Number(value("after_messages").value),
      intro: value("intro").value, consent_text: value("consent_text").value, privacy_url: value("privacy_url").value.trim() || null,
      retention_months: Number(value("retention_months").value), notify: value("notify").checked, fields: fields,
    };
    status.textContent = "Saving…";
    status.className = "form-status";
    fetch("/api/v1/agents/" + encodeURIComponent(form.getAttribute("data-agent")) + "/lead-form", {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": meta ? meta.content : "" },
      body: JSON.stringify(body),
    }).then(function (res) {
      return res.json().then(function (data) { return { ok: res.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) { status.textContent = "Saved."; status.className = "form-status ok"; return; }
      var errors = (result.data.errors || []).map(function (e) { return e.message; });
      status.textContent = errors.length ? errors.join(" ") : (result.data.detail || "The form could not be saved.");
      status.className = "form-status error";
    }, function () {
      status.textContent = "The server could not be reached. Check your connection and try again.";
      status.className = "form-status error";
    });
  });
})();
