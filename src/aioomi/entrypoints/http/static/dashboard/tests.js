/* The test-questions page (/dashboard/agents/<agent>/tests). Each form shows the fields of the
   chosen expectation only (the others are hidden and disabled, so the dashboard's script does not
   send them); "Run tests" queues a run and follows it until the worker has stored it. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');

  function showKind(form) {
    var select = form.querySelector("[data-kind-select]");
    if (!select) return;
    Array.prototype.forEach.call(form.querySelectorAll("[data-kind]"), function (box) {
      var on = box.getAttribute("data-kind") === select.value;
      box.hidden = !on;
      Array.prototype.forEach.call(box.querySelectorAll("input, select, textarea"), function (input) {
        input.disabled = !on;
        input.required = on;
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("form[data-test-form]"), function (form) {
    showKind(form);
    form.addEventListener("change", function (event) {
      if (event.target.matches("[data-kind-select]")) showKind(form);
    });
  });

  var run = document.getElementById("run-tests");
  if (!run) return;
  var status = run.parentElement.querySelector(".form-status");
  var runs = "/api/v1/agents/" + encodeURIComponent(run.getAttribute("data-agent")) + "/test-runs?limit=1";
  function say(text, kind) {
    status.textContent = text;
    status.className = "form-status " + (kind || "");
  }
  function call(method, url) {
    var headers = { "Accept": "application/json" };
    if (meta && method !== "GET") headers["X-CSRF-Token"] = meta.content;
    return fetch(url, { method: method, headers: headers, credentials: "same-origin" }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) { return { ok: res.ok, data: data }; });
    }, function () { return { ok: false, data: null }; });
  }
  // The worker stores a run whole when it ends: wait for one newer than the page's latest.
  function follow(tries) {
    call("GET", runs).then(function (result) {
      var latest = result.ok && result.data && result.data.data[0];
      if (latest && latest.id !== run.getAttribute("data-latest")) {
        say("Done: " + latest.passed + " passed, " + latest.failed + " failed. Showing the results…", "ok");
        location.reload();
      } else if (tries < 90) {
        say("Queued: the worker runs the tests… (" + (tries + 1) + " s)");
        setTimeout(function () { follow(tries + 1); }, 1000);
      } else {
        run.disabled = false;
        say("No new run yet: the tests run at most once a minute. Reload the page in a moment.", "error");
      }
    });
  }
  run.addEventListener("click", function () {
    run.disabled = true;
    say("Queuing the run…");
    var url = "/api/v1/agents/" + encodeURIComponent(run.getAttribute("data-agent")) + "/test-questions/run";
    call("POST", url).then(function (result) {
      if (!result.ok) {
        run.disabled = false;
        say((result.data && result.data.detail) || "The run could not be queued. Try again.", "error");
        return;
      }
      say("Queued: the worker runs the tests…");
      follow(0);
    });
  });
})();
