/* Aioomi widget: "Talk to a person" (live handoff). Loaded by widget.js only for an agent that
   offers it, into the same shadow root. DOM nodes only (textContent, never innerHTML).
   While a person is asked for or holds the conversation, the visitor's messages go to them; their
   replies arrive over a stream of numbered events. A dropped or ended stream reconnects with
   Last-Event-ID; an event already shown (by number) or a message already shown (by id) is never
   shown twice. */
(function () {
  "use strict";
  const A = window.Aioomi;
  const hand = A && A.hand;
  if (!hand || hand.ready) return;
  hand.ready = true;
  const s = hand.w, call = hand.call, host = hand.host, root = host.shadowRoot;
  const q = selector => root.querySelector(selector);
  const log = q(".log"), status = q("[role=status]"), form = q("form"), input = q("textarea");
  const panel = q(".panel");

  // The handoff's own words per language, as the widget's (the server's office-hours words stay English).
  const ALL_WORDS = {
    en: {
      person: "Talk to a person", who: "Team member", stop: "Stop waiting",
      wait: "Waiting for a person. You can keep writing: they will read it.",
      taken: "A person joined the conversation.", ended: "The assistant is back in the conversation.",
      cancelled: "You stopped waiting. The assistant is back.", reconnect: "Reconnecting…",
      offer: "I couldn't answer that twice. Would you like to talk to a person?",
      failed: "Something went wrong. Please try again.", again: "Try again",
      noForm: "There is no form here to leave your details. Please try again later.",
    },
    fr: {
      person: "Parler à une personne", who: "Membre de l'équipe", stop: "Ne plus attendre",
      wait: "En attente d'une personne. Vous pouvez continuer à écrire : elle le lira.",
      taken: "Une personne a rejoint la conversation.", ended: "L'assistant est de retour dans la conversation.",
      cancelled: "Vous avez cessé d'attendre. L'assistant est de retour.", reconnect: "Reconnexion…",
      offer: "Je n'ai pas pu répondre deux fois de suite. Voulez-vous parler à une personne ?",
      failed: "Une erreur s'est produite. Veuillez réessayer.", again: "Réessayer",
      noForm: "Il n'y a pas de formulaire ici pour laisser vos coordonnées. Veuillez réessayer plus tard.",
    },
    de: {
      person: "Mit einer Person sprechen", who: "Teammitglied", stop: "Nicht mehr warten",
      wait: "Warten auf eine Person. Sie können weiterschreiben: Sie wird es lesen.",
      taken: "Eine Person ist dem Gespräch beigetreten.", ended: "Der Assistent ist wieder im Gespräch.",
      cancelled: "Sie warten nicht mehr. Der Assistent ist wieder da.", reconnect: "Verbindung wird wiederhergestellt…",
      offer: "Das konnte ich zweimal nicht beantworten. Möchten Sie mit einer Person sprechen?",
      failed: "Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.", again: "Erneut versuchen",
      noForm: "Hier gibt es kein Formular für Ihre Kontaktdaten. Bitte versuchen Sie es später erneut.",
    },
    es: {
      person: "Hablar con una persona", who: "Miembro del equipo", stop: "Dejar de esperar",
      wait: "Esperando a una persona. Puede seguir escribiendo: lo leerá.",
      taken: "Una persona se ha unido a la conversación.", ended: "El asistente ha vuelto a la conversación.",
      cancelled: "Ha dejado de esperar. El asistente ha vuelto.", reconnect: "Reconectando…",
      offer: "No he podido responder dos veces seguidas. ¿Quiere hablar con una persona?",
      failed: "Algo salió mal. Inténtelo de nuevo.", again: "Reintentar",
      noForm: "Aquí no hay ningún formulario para dejar sus datos. Inténtelo más tarde.",
    },
    ar: {
      person: "التحدث إلى شخص", who: "عضو في الفريق", stop: "التوقف عن الانتظار",
      wait: "في انتظار شخص. يمكنك مواصلة الكتابة: سيقرأ ما تكتبه.",
      taken: "انضم شخص إلى المحادثة.", ended: "عاد المساعد إلى المحادثة.",
      cancelled: "توقفت عن الانتظار. عاد المساعد.", reconnect: "جارٍ إعادة الاتصال…",
      offer: "لم أتمكن من الإجابة مرتين. هل تريد التحدث إلى شخص؟",
      failed: "حدث خطأ ما. يرجى المحاولة مرة أخرى.", again: "حاول مرة أخرى",
      noForm: "لا يوجد هنا نموذج لترك بياناتك. يرجى المحاولة لاحقًا.",
    },
  };
  const WORDS = Object.assign({}, ALL_WORDS.en, ALL_WORDS[(q(".root") || {}).lang]);
  const CSS = ".handoff{display:flex;gap:6px;justify-content:center;padding:6px 10px 0}" +
    ".handoff button{padding:5px 10px;border:1px solid var(--border);border-radius:14px;background:var(--bg);font-size:13px}" +
    ".msg.person{border-inline-start:3px solid var(--primary)}" +
    ".who{display:block;font-size:12px;font-weight:600;color:var(--muted)}";
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch (e) {
    const style = document.createElement("style");
    style.textContent = CSS;
    root.append(style);
  }

  function el(tag, attrs, kids) {
    const node = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "text") node.textContent = attrs[k];
      else if (attrs[k] != null) node.setAttribute(k, attrs[k]);
    }
    for (const kid of kids || []) node.append(kid);
    return node;
  }
  const scroll = () => { log.scrollTop = log.scrollHeight; };
  const say = text => { status.textContent = text; };
  const label = () => el("span", { class: "who", text: WORDS.who });
  const path = tail => "/sessions/" + encodeURIComponent(s.session) + "/handoff" + (tail || "");
  const json = (method, body) => ({ method, create: true, body: JSON.stringify(body), headers: { "content-type": "application/json" } });

  // State: the last event number shown, message ids shown, texts sent and not yet seen back.
  hand.last = 0;
  hand.seen = new Set();
  const pending = [];
  let following = null, tries = 0;

  const person = el("button", { type: "button", text: WORDS.person });
  const stop = el("button", { type: "button", text: WORDS.stop, hidden: "" });
  const bar = el("div", { class: "handoff", role: "group", "aria-label": WORDS.person }, [person, stop]);
  panel.insertBefore(bar, form);
  person.addEventListener("click", () => request("asked"));
  stop.addEventListener("click", cancel);
  for (const bubble of log.querySelectorAll(".msg.person")) bubble.prepend(label());

  function show() {
    person.hidden = hand.state !== "assistant";
    stop.hidden = hand.state !== "waiting";
  }

  function note(text) {
    log.append(el("p", { class: "note", text }));
    say(text);
    scroll();
  }

  function problem(e, retry) {
    const box = el("div", { class: "error", role: "alert" }, [el("span", { text: (e && e.message) || WORDS.failed })]);
    if (retry) {
      const again = el("button", { type: "button", text: WORDS.again });
      again.addEventListener("click", () => { box.remove(); retry(); });
      box.append(again);
    }
    log.append(box);
    scroll();
  }

  function userBubble(text) {
    const starters = log.querySelector(".starters");
    if (starters) starters.remove();
    log.append(el("div", { class: "msg user", text }));
    scroll();
  }

  function personBubble(text) {
    log.append(el("div", { class: "msg bot person" }, [label(), A.markdown(text)]));
    scroll();
  }

  // No one can take the conversation: the lead form (leads.js, or the host page) listens for this
  // event and cancels it when it offers something; when nothing did, the visitor is told plainly.
  function offerLeadForm(reason, message) {
    const unavailable = new CustomEvent("aioomi:handoff-unavailable", { cancelable: true, detail: { reason, message } });
    if (host.dispatchEvent(unavailable)) note(WORDS.noForm);
  }

  async function request(reason) {
    try {
      if (!s.session) s.session = (await (await call("/sessions", { method: "POST", create: true })).json()).id;
      const answer = await (await call(path(), json("POST", { reason }))).json();
      if (!answer.available) { note(answer.message); offerLeadForm("closed", answer.message); return; }
      hand.state = answer.state;
      note(WORDS.wait);
      show();
      follow(answer.last_event_id);
    } catch (e) {
      problem(e, null);
    }
  }

  async function cancel() {
    try { await call(path(), { method: "DELETE" }); } catch (e) { problem(e, null); }
  }

  hand.send = async function (text) {
    userBubble(text);
    input.value = "";
    pending.push(text);
    try {
      const sent = await (await call(path("/messages"), json("POST", { content: text }))).json();
      hand.seen.add(sent.message.id);
    } catch (e) {
      pending.splice(pending.indexOf(text), 1);
      problem(e, () => hand.send(text));
    }
  };

  hand.offer = function () {
    hand.fell = 0;
    const yes = el("button", { type: "button", text: WORDS.person });
    yes.addEventListener("click", () => { yes.disabled = true; request("fallback"); });
    log.append(el("div", { class: "msg bot" }, [el("p", { text: WORDS.offer }), el("div", { class: "actions" }, [yes])]));
    scroll();
  };

  // quiet: events up to this number were lived through before a reload: only their messages not
  // yet on screen are shown, without the notes.
  function event(kind, data, quiet) {
    if (data.seq <= hand.last) return;
    hand.last = data.seq;
    hand.state = data.state;
    const m = data.message;
    if (kind === "message" && m) {
      if (hand.seen.has(m.id)) return show();
      hand.seen.add(m.id);
      const mine = m.role === "user" ? pending.indexOf(m.content) : -1;
      if (mine >= 0) pending.splice(mine, 1);  // shown when it was sent
      else if (m.role === "user") userBubble(m.content);
      else { personBubble(m.content); say(WORDS.who + ": " + m.content); }
    } else if (data.seq > quiet) {
      if (kind === "taken") note(WORDS.taken);
      else if (kind === "ended") note(WORDS.ended);
      else if (kind === "cancelled") note(WORDS.cancelled);
      else if (kind === "expired") { note(data.notice); offerLeadForm("expired", data.notice); }
    }
    show();
  }

  async function follow(after, quiet) {
    if (following) return;
    hand.last = after;
    const session = following = s.session;
    while (following === session && s.session === session && hand.state !== "assistant") {
      try {
        const response = await call(path("/events"), { headers: { accept: "text/event-stream", "last-event-id": String(hand.last) } });
        tries = 0;
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const chunk = await reader.read();
          if (chunk.done) break;
          buffer += decoder.decode(chunk.value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let name = "", data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("event:")) name = line.slice(6).trim();
              else if (line.startsWith("data:")) data += line.slice(5).trim();
            }
            if (name && data) event(name, JSON.parse(data), quiet || 0);
          }
        }
      } catch (e) {
        if (!["offline", "unreachable", "interrupted"].includes(e && e.code) && e && e.code) break;
        say(WORDS.reconnect);
      }
      // Ended or dropped: wait a little longer each time, then resume after the last event shown.
      if (hand.state !== "assistant") await new Promise(r => setTimeout(r, Math.min(10000, 500 * 2 ** tries++)));
    }
    if (following === session) following = null;
  }

  // After a reload: the messages on screen are the restored history; resume the stream from the
  // start of the handoff, showing only what is not on screen yet.
  (async function resume() {
    if (!s.session) return show();
    try {
      const current = await (await call(path())).json();
      hand.state = current.state;
      show();
      if (current.state === "assistant") return;
      const detail = await (await call("/sessions/" + encodeURIComponent(s.session))).json();
      const shown = log.querySelectorAll(".msg.user, .msg.bot:not(.intro)").length;
      detail.messages.slice(0, shown).forEach(m => hand.seen.add(m.id));
      follow(0, current.last_event_id);
    } catch (e) { show(); }
  })();
})();
