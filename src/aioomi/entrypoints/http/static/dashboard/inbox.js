/* The owner's inbox: conversations waiting for a person or with one, live over SSE; one
   conversation at a time with its history and its live events (EventSource resumes with
   Last-Event-ID on its own). DOM nodes only, never innerHTML. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = meta ? meta.getAttribute("content") : null;
  var list = document.getElementById("inbox-list");
  if (!list) return;
  var empty = document.getElementById("inbox-empty");
  var status = document.getElementById("inbox-status");
  var thread = document.getElementById("thread");
  var title = document.getElementById("thread-title");
  var stateText = document.getElementById("thread-state");
  var log = document.getElementById("thread-log");
  var take = document.getElementById("thread-take");
  var back = document.getElementById("thread-back");
  var reply = document.getElementById("thread-reply");
  var text = document.getElementById("thread-text");
  var current = null;  // {id, state, last, seen, source}
  var known = {};
  var LABEL = { waiting: "Waiting for a person", with_human: "With you", assistant: "Back with the assistant" };

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (attrs[k] != null) node.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (kid) { node.append(kid); });
    return node;
  }

  function say(message) { status.textContent = message; }

  function api(method, url, body) {
    var headers = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (CSRF && method !== "GET") headers["X-CSRF-Token"] = CSRF;
    return fetch(url, { method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) }).then(function (response) {
      if (response.status === 204) return null;
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.detail || data.title || "The request failed.");
        return data;
      });
    });
  }

  function renderInbox(entries) {
    list.textContent = "";
    empty.hidden = entries.length > 0;
    entries.forEach(function (e) {
      if (!known[e.session_id] && e.state === "waiting") {
        say("A visitor is waiting to talk to a person (" + e.agent_name + ").");
        document.title = "(" + entries.filter(function (x) { return x.state === "waiting"; }).length + ") Inbox · Aioomi";
      }
      known[e.session_id] = e.state;
      var open = el("button", { type: "button", class: "ghost", "data-session": e.session_id,
        text: e.agent_name + " · " + LABEL[e.state] });
      open.addEventListener("click", function () { openThread(e.session_id, e.agent_name); });
      var preview = e.last_message ? el("small", { text: e.last_message.content.slice(0, 120) }) : el("small", { text: "" });
      list.append(el("li", { class: "inbox-item " + e.state }, [open, el("br"), preview]));
    });
  }

  var inbox = new EventSource(list.getAttribute("data-stream"));
  inbox.addEventListener("inbox", function (event) { renderInbox(JSON.parse(event.data).data); });

  function who(role) { return role === "user" ? "Visitor" : role === "owner" ? "You" : "Assistant"; }

  function addMessage(m) {
    if (current.seen[m.id]) return;
    current.seen[m.id] = true;
    var item = el("li", { class: "msg " + m.role }, [el("strong", { text: who(m.role) + ": " }), el("span", { text: m.content })]);
    if (m.role === "owner" && document.getElementById("inbox-list").hasAttribute("data-can-save")) {
      var save = el("button", { type: "button", class: "ghost small", text: "Save as Q&A pair" });
      save.addEventListener("click", function () {
        save.disabled = true;
        api("POST", "/api/v1/handoffs/" + current.id + "/qa-pairs", { message_id: m.id }).then(function (pair) {
          say("Saved as a Q&A pair: " + pair.question);
          save.textContent = "Saved";
        }, function (error) { save.disabled = false; say(error.message); });
      });
      item.append(" ", save);
    }
    log.append(item);
  }

  function showState(state) {
    current.state = state;
    stateText.textContent = LABEL[state] || state;
    take.hidden = state !== "waiting";
    back.hidden = state === "assistant";
    reply.hidden = state !== "with_human";
  }

  function follow() {
    var conversation = current;
    var source = new EventSource("/api/v1/handoffs/" + conversation.id + "/events?after=" + conversation.last);
    conversation.source = source;
    function on(kind) {
      source.addEventListener(kind, function (event) {
        if (current !== conversation) return;
        var data = JSON.parse(event.data);
        if (data.seq <= conversation.last) return;
        conversation.last = data.seq;
        if (data.message) addMessage(data.message);
        else log.append(el("li", { class: "note", text: { requested: "The visitor asked for a person.", taken: "Taken.",
          ended: "Handed back to the assistant.", expired: "No one took it in time.", cancelled: "The visitor stopped waiting." }[kind] }));
        showState(data.state);
        if (data.state === "assistant") source.close();
      });
    }
    ["requested", "taken", "message", "ended", "expired", "cancelled"].forEach(on);
  }

  function openThread(id, agentName) {
    if (current && current.source) current.source.close();
    current = { id: id, state: null, last: 0, seen: {}, source: null };
    var opened = current;
    thread.hidden = false;
    title.textContent = "Conversation with a visitor of " + agentName;
    log.textContent = "";
    Promise.all([api("GET", "/api/v1/chat-sessions/" + id), api("GET", "/api/v1/handoffs")]).then(function (found) {
      if (current !== opened) return;
      found[0].messages.forEach(addMessage);
      var entry = found[1].data.filter(function (e) { return e.session_id === id; })[0];
      opened.last = entry ? entry.last_event_id : 0;
      showState(entry ? entry.state : "assistant");
      if (entry) follow();
      title.focus();
    }, function (error) { say(error.message); });
  }
  title.setAttribute("tabindex", "-1");

  take.addEventListener("click", function () {
    api("POST", "/api/v1/handoffs/" + current.id + "/take").then(function () { say("You took the conversation."); text.focus(); },
      function (error) { say(error.message); });
  });
  back.addEventListener("click", function () {
    api("POST", "/api/v1/handoffs/" + current.id + "/hand-back").then(function () { say("Handed back to the assistant."); },
      function (error) { say(error.message); });
  });
  reply.addEventListener("submit", function (event) {
    event.preventDefault();
    var content = text.value.trim();
    if (!content) return;
    text.value = "";  // cleared now: a reply typed while this one is sent is not lost
    api("POST", "/api/v1/handoffs/" + current.id + "/replies", { content: content }).then(function (sent) {
      addMessage(sent.message);
    }, function (error) { if (!text.value) text.value = content; say(error.message); });
  });

  // Each agent's handoff settings.
  Array.prototype.forEach.call(document.querySelectorAll(".handoff-form"), function (form) {
    var url = form.getAttribute("data-url");
    var out = form.querySelector("[role=status]");
    api("GET", url).then(function (s) {
      form.elements.enabled.checked = s.enabled;
      form.elements.time_zone.value = s.time_zone;
      form.elements.opens.value = s.opens;
      form.elements.closes.value = s.closes;
      form.elements.max_wait_s.value = s.max_wait_s;
      Array.prototype.forEach.call(form.querySelectorAll("[name=days]"), function (box) { box.checked = s.days.indexOf(box.value) >= 0; });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var days = Array.prototype.filter.call(form.querySelectorAll("[name=days]"), function (box) { return box.checked; })
        .map(function (box) { return box.value; });
      api("PATCH", url, { enabled: form.elements.enabled.checked, time_zone: form.elements.time_zone.value.trim(), days: days,
        opens: form.elements.opens.value, closes: form.elements.closes.value,
        max_wait_s: parseInt(form.elements.max_wait_s.value, 10) }).then(function () { out.textContent = "Saved."; },
        function (error) { out.textContent = error.message; });
    });
  });
})();
