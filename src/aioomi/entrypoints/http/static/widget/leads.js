/* Aioomi widget: the lead form, loaded by widget.js only for an agent that has one (GET
 * /lead-form). window.AioomiLeads(ctx, form) adds "Leave my details" and "My details (see,
 * download, delete)" to the widget's menu, shows the form as the agent's trigger says (before the
 * chat, after the visitor's n-th answered message, on request, or after the assistant's fallback
 * answer), and when "Talk to a person" finds no one (handoff.js's aioomi:handoff-unavailable), and
 * returns the hook widget.js calls after each answer with the answer's status. DOM nodes only, never HTML parsing. */
window.AioomiLeads = (ctx, form) => {
  "use strict";
  const { ui, state, shadow, el, call, visitorId, closeMenu, setStatus, t, human, safeUrl, scroll, API } = ctx;
  // Every error is said in words next to its field (aria-invalid, aria-describedby) and in the status line.
  // The form's own words per language, as the widget's (the owner's intro, labels and consent line stay as written).
  const ALL_WORDS = {
    en: {
      leave: "Leave my details", mine: "My details", submit: "Send my details",
      sent: "Thank you, your details were sent.", required: "required", none: "You have left no details here.",
      downloadMine: "Download my details (JSON)", removeMine: "Delete my details", removed: "Your details were deleted.",
      privacy: "privacy notice", check: "Please check the form: {0}",
    },
    fr: {
      leave: "Laisser mes coordonnées", mine: "Mes coordonnées", submit: "Envoyer mes coordonnées",
      sent: "Merci, vos coordonnées ont été envoyées.", required: "obligatoire", none: "Vous n'avez laissé aucune coordonnée ici.",
      downloadMine: "Télécharger mes coordonnées (JSON)", removeMine: "Supprimer mes coordonnées", removed: "Vos coordonnées ont été supprimées.",
      privacy: "politique de confidentialité", check: "Veuillez vérifier le formulaire : {0}",
    },
    de: {
      leave: "Meine Kontaktdaten hinterlassen", mine: "Meine Kontaktdaten", submit: "Kontaktdaten senden",
      sent: "Danke, Ihre Kontaktdaten wurden gesendet.", required: "Pflichtfeld", none: "Sie haben hier keine Kontaktdaten hinterlassen.",
      downloadMine: "Meine Kontaktdaten herunterladen (JSON)", removeMine: "Meine Kontaktdaten löschen", removed: "Ihre Kontaktdaten wurden gelöscht.",
      privacy: "Datenschutzhinweise", check: "Bitte prüfen Sie das Formular: {0}",
    },
    es: {
      leave: "Dejar mis datos", mine: "Mis datos", submit: "Enviar mis datos",
      sent: "Gracias, sus datos se han enviado.", required: "obligatorio", none: "No ha dejado ningún dato aquí.",
      downloadMine: "Descargar mis datos (JSON)", removeMine: "Eliminar mis datos", removed: "Sus datos se han eliminado.",
      privacy: "aviso de privacidad", check: "Revise el formulario: {0}",
    },
    ar: {
      leave: "اترك بياناتي", mine: "بياناتي", submit: "أرسل بياناتي",
      sent: "شكرًا، تم إرسال بياناتك.", required: "مطلوب", none: "لم تترك أي بيانات هنا.",
      downloadMine: "تنزيل بياناتي (JSON)", removeMine: "حذف بياناتي", removed: "تم حذف بياناتك.",
      privacy: "إشعار الخصوصية", check: "يرجى مراجعة النموذج: {0}",
    },
  };
  const lang = (shadow.querySelector(".root") || {}).lang;
  const LEAD_WORDS = Object.assign({}, ALL_WORDS.en, ALL_WORDS[lang]);
  const lw = (key, arg) => (arg == null ? LEAD_WORDS[key] : LEAD_WORDS[key].replace("{0}", arg));
  const leads = { form, sentMessages: 0, shown: false };
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(`.lead{display:flex;flex-direction:column;gap:6px;padding:10px;border:1px solid var(--border);border-radius:12px;background:var(--surface);font-size:14px}
.lead label{font-weight:600}.lead input,.lead select{font:inherit;padding:6px 8px;border:1px solid var(--border);border-radius:8px;background:var(--bg);color:var(--text)}
.lead .consent{display:flex;gap:6px;align-items:flex-start;font-weight:400}.lead .err{color:var(--danger);font-size:13px;margin:0}
.lead [aria-invalid="true"]{border-color:var(--danger)}.lead a{color:var(--primary-text)}
.lead button{align-self:flex-start;padding:6px 12px;border:0;border-radius:14px;background:var(--primary);color:var(--on-primary)}`);
    shadow.adoptedStyleSheets = [...shadow.adoptedStyleSheets, sheet];
  } catch (e) { /* the form still works unstyled */ }

  // status: the answer's own, from the chat stream's `done` event ("unanswered" for the fallback).
  function leadsAfterAnswer(status) {
    if (!leads.form || leads.shown) return;
    leads.sentMessages += 1;
    const f = leads.form;
    if ((f.trigger === "after_messages" && leads.sentMessages >= f.after_messages)
        || (f.trigger === "on_fallback" && status === "unanswered")) leadsShow(false);
  }

  function leadsShow(focus) {
    const f = leads.form;
    if (!f) return;
    leads.shown = true;
    const box = el("form", { class: "lead", novalidate: "" });
    box.append(el("p", { text: f.intro }));
    const inputs = {};
    f.fields.forEach((field, i) => {
      const id = "aioomi-lead-" + i;
      const label = el("label", { for: id, text: field.label + (field.required ? " (" + lw("required") + ")" : "") });
      let input;
      if (field.kind === "choice") {
        input = el("select", { id }, [el("option", { value: "", text: "—" }), ...field.options.map(o => el("option", { value: o, text: o }))]);
      } else {
        const type = { email: "email", phone: "tel" }[field.kind] || "text";
        const auto = { name: "name", email: "email", phone: "tel", company: "organization" }[field.kind] || "off";
        input = el("input", { id, type, autocomplete: auto, maxlength: "500" });
      }
      if (field.required) input.setAttribute("aria-required", "true");
      inputs[field.key] = input;
      box.append(label, input);
    });
    const consent = el("input", { type: "checkbox", id: "aioomi-lead-consent", "aria-required": "true" });
    const notice = safeUrl(f.privacy_url || "");
    const line = el("label", { class: "consent", for: "aioomi-lead-consent" }, [consent, el("span", { text: f.consent_text + " " })]);
    if (notice) line.lastChild.append(el("a", { href: notice, target: "_blank", rel: "noopener", text: "(" + lw("privacy") + ")" }));
    inputs.consent = consent;
    const submit = el("button", { type: "submit", text: lw("submit") });
    box.append(line, submit);
    box.addEventListener("submit", async event => {
      event.preventDefault();
      box.querySelectorAll(".err").forEach(n => n.remove());
      Object.values(inputs).forEach(n => { n.removeAttribute("aria-invalid"); n.removeAttribute("aria-describedby"); });
      const values = {};
      for (const k in inputs) if (k !== "consent" && inputs[k].value.trim()) values[k] = inputs[k].value;
      submit.disabled = true;
      let response = null;
      try {
        response = await fetch(API + "/leads", { method: "POST", credentials: "omit", mode: "cors",
          headers: { "content-type": "application/json", accept: "application/json", "x-visitor-id": visitorId(true) },
          body: JSON.stringify({ values, consent: consent.checked, session_id: state.session || null }) });
      } catch (e) { /* said below */ }
      submit.disabled = false;
      if (response && response.ok) {
        box.replaceWith(el("div", { class: "msg bot", text: lw("sent") }));
        setStatus(lw("sent"));
        return;
      }
      let body = {};
      try { body = await response.json(); } catch (e) { /* not JSON */ }
      const errors = body.errors || [];
      let first = null;
      errors.forEach((err, i) => {
        const input = inputs[err.field];
        if (!input) return;
        const id = "aioomi-lead-err-" + i;
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", id);
        (err.field === "consent" ? line : input).insertAdjacentElement("afterend", el("p", { class: "err", id, text: err.message }));
        first = first || input;
      });
      const said = errors.length ? lw("check", errors.map(e => e.message).join(" ")) : (body.detail || (response ? t("failed") : t("unreachable")));
      setStatus(said);
      if (first) first.focus();
      else box.append(el("p", { class: "err", role: "alert", text: said }));
    });
    ui.log.append(box);
    scroll();
    if (focus) { const firstInput = box.querySelector("input,select"); if (firstInput) firstInput.focus(); }
  }

  async function leadsMine() {
    const box = el("div", { class: "lead", role: "region", "aria-label": lw("mine") });
    let found = [];
    try { found = visitorId(false) ? (await (await call("/leads")).json()).data : []; } catch (e) { setStatus(human(e)); return; }
    if (!found.length) box.append(el("p", { text: lw("none") }));
    for (const lead of found) {
      const list = el("dl");
      for (const k in lead.values) list.append(el("dt", { text: k }), el("dd", { text: lead.values[k] }));
      box.append(list);
    }
    if (found.length) {
      const get = el("button", { type: "button", text: lw("downloadMine") });
      get.addEventListener("click", async () => {
        const data = await (await call("/leads/export")).json();
        const link = el("a", { href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" })), download: "my-details.json" });
        link.click();
      });
      const drop = el("button", { type: "button", text: lw("removeMine") });
      drop.addEventListener("click", async () => {
        await call("/leads", { method: "DELETE" });
        box.replaceWith(el("div", { class: "msg bot", text: lw("removed") }));
        setStatus(lw("removed"));
      });
      box.append(get, drop);
    }
    ui.log.append(box);
    scroll();
  }

  const mine = el("button", { type: "button", role: "menuitem", text: lw("mine") });
  mine.addEventListener("click", () => { closeMenu(false); leadsMine(); });
  const leave = el("button", { type: "button", role: "menuitem", text: lw("leave") });
  leave.addEventListener("click", () => { closeMenu(false); leadsShow(true); });
  const policy = ui.menu.querySelector("a");
  ui.menu.insertBefore(leave, policy);
  ui.menu.insertBefore(mine, policy);
  if (form.trigger === "before_chat") leadsShow(false);
  // No one can take the conversation (office closed, or the wait ran out: handoff.js says why):
  // the form is offered instead; cancelling the event tells handoff.js that something was offered.
  shadow.host.addEventListener("aioomi:handoff-unavailable", event => {
    event.preventDefault();
    const open = ui.log.querySelector("form.lead");
    if (open) { ui.log.append(open); scroll(); } else leadsShow(event.detail && event.detail.reason === "closed");
  });
  return leadsAfterAnswer;
};
