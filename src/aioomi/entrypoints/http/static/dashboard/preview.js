/* The agent editor's live preview: the real widget (/widget.js, loaded with data-preview) drawn
   inside #widget-preview with the form's unsaved settings, again on every change; its chat asks the
   saved agent through /v1/chat/completions with the owner's session. When the widget cannot load,
   the preview collapses to a short message. */
(function () {
  "use strict";
  var box = document.getElementById("widget-preview");
  var form = document.getElementById("agent-form");
  if (!box || !form) return;
  var meta = document.querySelector('meta[name="csrf-token"]');

  function broken() {
    box.hidden = true;
    box.textContent = "";
    document.getElementById("preview-broken").hidden = false;
  }

  function value(name) {
    var field = form.elements[name];
    return field ? field.value.trim() : "";
  }

  // The same shape as the widget's GET …/config, from the form as it is now (saved or not).
  function settings() {
    var name = value("name") || "Assistant";
    return {
      agent_name: name,
      greeting: value("greeting") || null,
      starter_questions: value("starter_questions").split("\n").map(function (s) { return s.trim(); })
        .filter(Boolean).slice(0, 6),
      style: {
        primary_color: value("widget.primary_color"),
        position: value("widget.position"),
        theme: value("widget.theme"),
        locale: value("widget.locale") || "auto",
        title: value("widget.title") || name,
        launcher_text: value("widget.launcher_text") || null
      }
    };
  }

  // The preview's chat: one conversation with the saved agent, continued by its session id.
  function ask(text, session) {
    var headers = { "Accept": "application/json", "Content-Type": "application/json" };
    if (meta) headers["X-CSRF-Token"] = meta.content;
    if (session) headers["X-Aioomi-Session-Id"] = session;
    var body = { model: box.getAttribute("data-agent"), messages: [{ role: "user", content: text }], stream: false };
    return fetch("/v1/chat/completions", { method: "POST", headers: headers, credentials: "same-origin", body: JSON.stringify(body) })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (!res.ok) {
            var error = (data && data.error) || {};
            throw { code: error.code || "http_" + res.status, message: error.message || "The assistant could not answer." };
          }
          return { text: data.choices[0].message.content, citations: data.citations || [], session: data.session_id };
        });
      }, function () {
        throw { code: "unreachable", message: "The server could not be reached." };
      });
  }

  var drawn = null;
  function draw() {
    var config = settings();
    var key = JSON.stringify(config);
    if (key === drawn) return;  // a change elsewhere in the form (the prompt, say): nothing to redraw
    drawn = key;
    try {
      window.Aioomi.preview(box, config, ask);
    } catch (e) {
      broken();
    }
  }

  if (!window.Aioomi || typeof window.Aioomi.preview !== "function") { broken(); return; }
  draw();
  form.addEventListener("input", draw);
  form.addEventListener("change", draw);
})();
