/* Aioomi chat widget. Plain JavaScript, no dependencies, no build step.
 * Embed: <script src="https://HOST/widget.js" data-agent-key="pk_..." async></script>
 * Optional: data-position="left|right", data-theme="light|dark|auto", data-open="true",
 * data-locale="auto|en|fr|de|es|ar", data-z-index="<integer>" (when a page element covers it).
 * Preview (the dashboard): <script src="/widget.js" data-preview>, then
 * Aioomi.preview(element, config, ask) draws the widget inside element with a /config-shaped object
 * (again on every change) and answers with ask(text, session) → {text, citations, session}.
 * Stores one thing in the browser: the random visitor id under localStorage "aioomi_visitor_id",
 * created when the visitor first sends a message. Everything else lives on the server. */
(() => {
  "use strict";
  const script = document.currentScript || document.querySelector("script[data-agent-key]");
  const opts = script ? script.dataset : {};
  const inPreview = "preview" in opts;
  if (!(opts.agentKey || inPreview) || window.Aioomi) return;
  const API = new URL(script.src, location.href).origin + "/api/v1/widget/" + encodeURIComponent(opts.agentKey);
  const STORE = "aioomi_visitor_id";
  let memoryId = null;

  // --- the visitor id: the only thing kept in the browser ------------------------------------
  function visitorId(create) {
    let id = memoryId;
    try { id = localStorage.getItem(STORE) || id; } catch (e) { /* storage blocked */ }
    if (id && /^[A-Za-z0-9_-]{16,64}$/.test(id)) return id;
    if (!create) return null;
    const bytes = crypto.getRandomValues(new Uint8Array(18));
    id = btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_");
    memoryId = id;
    try { localStorage.setItem(STORE, id); } catch (e) { /* kept in memory for this page */ }
    return id;
  }

  // --- safe Markdown: DOM nodes only, never HTML parsing -------------------------------------
  // Paragraphs, line breaks, **bold**, *emphasis*, `code`, fenced code, lists, and links to
  // http(s) addresses (new tab, rel="noopener nofollow"). Images are shown as their alt text.
  const INLINE = /`([^`\n]+)`|!\[([^\]\n]*)\]\([^)\n]*\)|\[([^\]\n]+)\]\(([^)\s]+)\)|\*\*([^\n]+?)\*\*|(?<!\w)__([^_\n]+?)__(?!\w)|\*([^*\s](?:[^*\n]*[^*\s])?)\*|(?<!\w)_([^_\s](?:[^_\n]*[^_\s])?)_(?!\w)/g;

  function el(tag, attrs, kids) {
    const node = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "text") node.textContent = attrs[k];
      else if (attrs[k] != null) node.setAttribute(k, attrs[k]);
    }
    for (const kid of kids || []) node.append(kid);
    return node;
  }

  function safeUrl(raw) {
    try {
      const url = new URL(raw);
      return /^https?:$/.test(url.protocol) ? url.href : null;
    } catch (e) { return null; }
  }

  function inline(text, parent) {
    let last = 0;
    for (const m of text.matchAll(INLINE)) {
      if (m.index > last) parent.append(text.slice(last, m.index));
      last = m.index + m[0].length;
      if (m[1] != null) parent.append(el("code", { text: m[1] }));
      else if (m[2] != null) parent.append(m[2]);
      else if (m[3] != null) {
        const href = safeUrl(m[4]);
        const target = href ? el("a", { href, target: "_blank", rel: "noopener nofollow noreferrer" }) : el("span");
        inline(m[3], target);
        parent.append(target);
      } else if (m[5] != null || m[6] != null) inline(m[5] != null ? m[5] : m[6], parent.appendChild(el("strong")));
      else inline(m[7] != null ? m[7] : m[8], parent.appendChild(el("em")));
    }
    if (last < text.length) parent.append(text.slice(last));
    return parent;
  }

  function lines(parent, rows) {
    rows.forEach((row, i) => { if (i) parent.append(el("br")); inline(row, parent); });
    return parent;
  }

  function markdown(src) {
    const root = el("div", { class: "md" });
    const rows = String(src == null ? "" : src).replace(/\r\n?/g, "\n").split("\n");
    let para = [], list = null, fence = null;
    const flush = () => {
      if (para.length) root.append(lines(el("p"), para));
      para = [];
      list = null;
    };
    for (const row of rows) {
      if (fence) {
        if (/^\s*```/.test(row)) { root.append(el("pre", {}, [el("code", { text: fence.join("\n") })])); fence = null; }
        else fence.push(row);
        continue;
      }
      if (/^\s*```/.test(row)) { flush(); fence = []; continue; }
      const item = /^\s*(?:([-*+])|(\d{1,9})[.)])\s+(.*)$/.exec(row);
      if (item) {
        const tag = item[1] ? "ul" : "ol";
        if (para.length) flush();
        if (!list || list.tagName.toLowerCase() !== tag) {
          list = el(tag, tag === "ol" && item[2] !== "1" ? { start: item[2] } : {});
          root.append(list);
        }
        list.append(inline(item[3], el("li")));
        continue;
      }
      if (!row.trim()) { flush(); continue; }
      const heading = /^\s*#{1,6}\s+(.*)$/.exec(row);
      if (heading) { flush(); root.append(el("p", {}, [inline(heading[1], el("strong"))])); continue; }
      list = null;
      para.push(row.replace(/^\s*>\s?/, ""));
    }
    if (fence) root.append(el("pre", {}, [el("code", { text: fence.join("\n") })]));
    flush();
    return root;
  }

  // --- styles --------------------------------------------------------------------------------
  const CSS = `
:host{all:initial!important;display:block!important;position:fixed!important;z-index:Z!important;inset:auto!important;width:0!important;height:0!important;margin:0!important;padding:0!important;border:0!important;transform:none!important;filter:none!important;opacity:1!important;visibility:visible!important}
*{box-sizing:border-box}
.root{--bg:#fff;--surface:#f3f4f6;--text:#111827;--muted:#4b5563;--border:#d1d5db;--focus:#1d4ed8;--danger:#b91c1c;--on-danger:#fff;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--text);letter-spacing:normal;text-transform:none;-webkit-font-smoothing:antialiased;text-align:start}
.root.dark{--bg:#111827;--surface:#1f2937;--text:#f9fafb;--muted:#d1d5db;--border:#4b5563;--focus:#93c5fd;--danger:#fca5a5;--on-danger:#111827}
button,textarea{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.launcher{position:fixed;bottom:20px;right:20px;display:flex;align-items:center;gap:8px;min-width:56px;height:56px;padding:0 16px;border:0;border-radius:28px;background:var(--primary);color:var(--on-primary);box-shadow:0 4px 14px rgba(0,0,0,.25);font-weight:600}
.left .launcher{right:auto;left:20px}
.launcher svg,.icon svg{width:24px;height:24px;fill:currentColor;flex:none}
.panel{position:fixed;bottom:88px;right:20px;width:380px;max-width:calc(100vw - 40px);height:min(620px,calc(100vh - 108px));display:flex;flex-direction:column;background:var(--bg);color:var(--text);border:1px solid var(--border);border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.3);overflow:hidden}
.left .panel{right:auto;left:20px}
.panel[hidden],[hidden]{display:none!important}
header{display:flex;align-items:center;gap:8px;padding:10px 10px 10px 14px;background:var(--primary);color:var(--on-primary)}
header h2{flex:1;margin:0;font-size:16px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
header img{width:28px;height:28px;border-radius:50%;object-fit:cover}
.icon{display:inline-flex;align-items:center;justify-content:center;min-width:36px;height:36px;padding:0 8px;border:0;border-radius:8px;background:transparent;color:inherit;font-size:13px;font-weight:600}
header .icon:hover{background:rgba(127,127,127,.2)}
header .icon:focus-visible{outline-color:var(--on-primary)}
.menu{position:absolute;top:56px;inset-inline-end:10px;display:flex;flex-direction:column;min-width:230px;padding:6px;background:var(--bg);border:1px solid var(--border);border-radius:10px;box-shadow:0 6px 24px rgba(0,0,0,.25);z-index:2}
.menu button,.menu a,.ghost{padding:9px 10px;border:0;border-radius:6px;background:transparent;text-align:start}
.menu a{color:inherit;font-size:14px}
.menu button:hover,.menu a:hover,.ghost:hover{background:var(--surface)}
.menu button:disabled{opacity:.55;cursor:default}
.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.msg{max-width:88%;padding:9px 12px;border-radius:12px;background:var(--surface);overflow-wrap:anywhere}
.msg.user{align-self:flex-end;background:var(--primary);color:var(--on-primary);white-space:pre-wrap}
.msg.bot{align-self:flex-start}
.md p,.md ul,.md ol,.md pre{margin:0 0 8px}
.md>:last-child{margin-bottom:0}
.md ul,.md ol{padding-inline-start:20px}
.md code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:rgba(127,127,127,.18);padding:1px 4px;border-radius:4px}
.md pre{overflow-x:auto;padding:8px;background:rgba(127,127,127,.14);border-radius:6px}
.md pre code{background:none;padding:0}
.md a,.sources a{color:inherit;text-decoration:underline}
.sources{margin-top:8px;padding-top:6px;border-top:1px solid var(--border);font-size:13px;color:var(--muted)}
.sources ol{margin:4px 0 0;padding-inline-start:20px}
.sources details{display:inline;margin-inline-start:6px}.sources summary{display:inline;cursor:pointer}.sources q{display:block;font-style:italic}
.actions{display:flex;gap:6px;margin-top:6px}
.rate svg{width:14px;fill:currentColor}.down svg{rotate:180deg}.rate[aria-pressed=true]{background:var(--primary);color:var(--on-primary)}
.why{display:flex;gap:6px;margin-top:6px}
.actions button,.starters button,.confirm button{padding:5px 10px;border:1px solid var(--border);border-radius:14px;background:var(--bg);font-size:13px}
.starters{display:flex;flex-wrap:wrap;gap:6px}
.starters button{border-color:var(--primary-text);color:var(--primary-text);text-align:start}
.error{align-self:stretch;padding:9px 12px;border-radius:10px;border:1px solid var(--danger);color:var(--danger);background:var(--bg)}
.error button{margin-inline-start:8px;padding:5px 12px;border:1px solid var(--danger);border-radius:14px;background:var(--danger);color:var(--on-danger);font-size:13px;font-weight:600}
.note{font-size:13px;color:var(--muted)}
.typing{display:inline-flex;gap:4px;padding:4px 0}
.typing i{width:7px;height:7px;border-radius:50%;background:var(--muted);animation:b 1s infinite ease-in-out}
.typing i:nth-child(2){animation-delay:.15s}.typing i:nth-child(3){animation-delay:.3s}
@keyframes b{0%,80%,100%{opacity:.3;transform:translateY(0)}40%{opacity:1;transform:translateY(-3px)}}
@media (prefers-reduced-motion:reduce){.typing i{animation:none}}
.confirm{margin:0 10px 8px;padding:10px;border:1px solid var(--danger);border-radius:10px;background:var(--bg)}
.confirm p{margin:0 0 8px}
.confirm .danger{background:var(--danger);border-color:var(--danger);color:#fff}
.dark .confirm .danger{color:#111827}
form{display:flex;gap:8px;align-items:flex-end;padding:10px;border-top:1px solid var(--border)}
textarea{flex:1;min-height:40px;max-height:120px;resize:none;padding:9px 10px;border:1px solid var(--border);border-radius:10px;background:var(--bg);font-size:16px}
form .icon{background:var(--primary);color:var(--on-primary);height:40px;min-width:40px}
form .icon:disabled{opacity:.55;cursor:default}
.foot{margin:0;padding:0 10px 8px;font-size:11px;color:var(--muted);text-align:center}
.preview .panel{max-width:calc(100% - 40px);height:calc(100% - 108px)}
@media (max-width:480px){.panel,.left .panel{inset:0;width:100%;max-width:none;height:100%;border-radius:0;border:0}.open .launcher{display:none}}
`;

  const ICON_CHAT = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z";
  const ICON_SEND = "M3 20.5 21 12 3 3.5 3 10l12 2-12 2z";
  const ICON_THUMB = "M1 21h4V9H1zM23 10a2 2 0 0 0-2-2h-6l1-5-2-2-7 7v13h11l4-9z";
  const ICON_CLOSE = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z";

  function svg(path) {  // DOM nodes, no HTML parsing: works under Trusted Types
    const NS = "http://www.w3.org/2000/svg";
    const icon = document.createElementNS(NS, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    const shape = document.createElementNS(NS, "path");
    shape.setAttribute("d", path);
    icon.append(shape);
    return icon;
  }

  // Colour contrast: the text colour (near-black or white) that reads best on a background.
  function luminance(hex) {
    const c = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map(v => (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  const contrast = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

  // --- the widget's own words, per language (the owner's greeting and starters stay as written)
  const WORDS = {
    en: {
      open: "Open chat: {0}", close: "Close chat", data: "Your data", policy: "Privacy policy", fresh: "New conversation",
      download: "Download my conversation (JSON)", remove: "Delete my conversation",
      confirm: "Delete this conversation from our servers? This cannot be undone.", forGood: "Delete for good",
      cancel: "Cancel", log: "Conversation", ask: "Ask a question…", mine: "Your message", send: "Send",
      foot: "Answers come from this site's documents. Powered by Aioomi.", starters: "Suggested questions",
      typing: "The assistant is typing…", received: "Answer received.", again: "Try again",
      restored: "Your earlier conversation was restored.", started: "New conversation started.",
      downloaded: "Your conversation was downloaded.", deleted: "Your conversation was deleted.",
      online: "You're back online.",
      rate_limited: "You're sending messages too quickly. Please wait a moment and try again.",
      rate_wait: "You're sending messages too quickly. Please wait {0} seconds and try again.",
      quota_exceeded: "This assistant has reached its usage limit for now. Please try again later.",
      agent_paused: "This assistant is paused right now. Please come back later.",
      agent_restricted: "This assistant isn't available right now.",
      offline: "You appear to be offline. Check your connection and try again.",
      unreachable: "The assistant can't be reached right now. Please try again.",
      interrupted: "The connection was interrupted. Please try again.",
      session_not_found: "This conversation no longer exists. Start a new one.",
      message_in_progress: "The previous answer is still on its way.",
      empty: "The assistant sent no answer. Please try again.", failed: "Something went wrong. Please try again.",
      sources: "Sources", quote: "Quote", copy: "Copy", copied: "Copied", copyFailed: "Copy failed", copyAnswer: "Copy answer",
      answerCopied: "Answer copied.", cut: "This answer was interrupted.",
      up: "Helpful", down: "Not helpful", thanks: "Thanks for your feedback.", why: "What was wrong? (optional)",
    },
    fr: {
      open: "Ouvrir le chat : {0}", close: "Fermer le chat", data: "Vos données", policy: "Politique de confidentialité", fresh: "Nouvelle conversation",
      download: "Télécharger ma conversation (JSON)", remove: "Supprimer ma conversation",
      confirm: "Supprimer cette conversation de nos serveurs ? C'est définitif.", forGood: "Supprimer définitivement",
      cancel: "Annuler", log: "Conversation", ask: "Posez une question…", mine: "Votre message", send: "Envoyer",
      foot: "Les réponses viennent des documents de ce site. Propulsé par Aioomi.", starters: "Questions suggérées",
      typing: "L'assistant écrit…", received: "Réponse reçue.", again: "Réessayer",
      restored: "Votre conversation précédente a été restaurée.", started: "Nouvelle conversation commencée.",
      downloaded: "Votre conversation a été téléchargée.", deleted: "Votre conversation a été supprimée.",
      online: "Vous êtes de nouveau en ligne.",
      rate_limited: "Vous envoyez des messages trop vite. Patientez un instant puis réessayez.",
      rate_wait: "Vous envoyez des messages trop vite. Patientez {0} secondes puis réessayez.",
      quota_exceeded: "Cet assistant a atteint sa limite d'utilisation pour le moment. Réessayez plus tard.",
      agent_paused: "Cet assistant est en pause. Revenez plus tard.",
      agent_restricted: "Cet assistant n'est pas disponible pour le moment.",
      offline: "Vous semblez hors ligne. Vérifiez votre connexion et réessayez.",
      unreachable: "Impossible de joindre l'assistant pour le moment. Réessayez.",
      interrupted: "La connexion a été interrompue. Réessayez.",
      session_not_found: "Cette conversation n'existe plus. Commencez-en une nouvelle.",
      message_in_progress: "La réponse précédente est encore en route.",
      empty: "L'assistant n'a pas répondu. Réessayez.", failed: "Une erreur s'est produite. Réessayez.",
      sources: "Sources", quote: "Citation", copy: "Copier", copied: "Copié", copyFailed: "Échec de la copie",
      copyAnswer: "Copier la réponse", answerCopied: "Réponse copiée.", cut: "Cette réponse a été interrompue.",
      up: "Utile", down: "Pas utile", thanks: "Merci pour votre avis.", why: "Qu'est-ce qui n'allait pas ? (facultatif)",
    },
    de: {
      open: "Chat öffnen: {0}", close: "Chat schließen", data: "Ihre Daten", policy: "Datenschutzerklärung", fresh: "Neues Gespräch",
      download: "Mein Gespräch herunterladen (JSON)", remove: "Mein Gespräch löschen",
      confirm: "Dieses Gespräch von unseren Servern löschen? Das lässt sich nicht rückgängig machen.",
      forGood: "Endgültig löschen", cancel: "Abbrechen", log: "Gespräch", ask: "Stellen Sie eine Frage…",
      mine: "Ihre Nachricht", send: "Senden",
      foot: "Die Antworten stammen aus den Dokumenten dieser Website. Bereitgestellt von Aioomi.",
      starters: "Vorgeschlagene Fragen", typing: "Der Assistent schreibt…", received: "Antwort erhalten.",
      again: "Erneut versuchen", restored: "Ihr früheres Gespräch wurde wiederhergestellt.",
      started: "Neues Gespräch begonnen.", downloaded: "Ihr Gespräch wurde heruntergeladen.",
      deleted: "Ihr Gespräch wurde gelöscht.", online: "Sie sind wieder online.",
      rate_limited: "Sie senden Nachrichten zu schnell. Bitte warten Sie kurz und versuchen Sie es erneut.",
      rate_wait: "Sie senden Nachrichten zu schnell. Bitte warten Sie {0} Sekunden und versuchen Sie es erneut.",
      quota_exceeded: "Dieser Assistent hat sein Nutzungslimit erreicht. Bitte versuchen Sie es später erneut.",
      agent_paused: "Dieser Assistent ist pausiert. Bitte kommen Sie später wieder.",
      agent_restricted: "Dieser Assistent ist gerade nicht verfügbar.",
      offline: "Sie scheinen offline zu sein. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
      unreachable: "Der Assistent ist gerade nicht erreichbar. Bitte versuchen Sie es erneut.",
      interrupted: "Die Verbindung wurde unterbrochen. Bitte versuchen Sie es erneut.",
      session_not_found: "Dieses Gespräch gibt es nicht mehr. Beginnen Sie ein neues.",
      message_in_progress: "Die vorige Antwort ist noch unterwegs.",
      empty: "Der Assistent hat nicht geantwortet. Bitte versuchen Sie es erneut.",
      failed: "Etwas ist schiefgegangen. Bitte versuchen Sie es erneut.",
      sources: "Quellen", quote: "Zitat", copy: "Kopieren", copied: "Kopiert", copyFailed: "Kopieren fehlgeschlagen",
      copyAnswer: "Antwort kopieren", answerCopied: "Antwort kopiert.", cut: "Diese Antwort wurde unterbrochen.",
      up: "Hilfreich", down: "Nicht hilfreich", thanks: "Danke für Ihr Feedback.", why: "Was war falsch? (optional)",
    },
    es: {
      open: "Abrir chat: {0}", close: "Cerrar chat", data: "Tus datos", policy: "Política de privacidad", fresh: "Nueva conversación",
      download: "Descargar mi conversación (JSON)", remove: "Eliminar mi conversación",
      confirm: "¿Eliminar esta conversación de nuestros servidores? No se puede deshacer.",
      forGood: "Eliminar definitivamente", cancel: "Cancelar", log: "Conversación", ask: "Haz una pregunta…",
      mine: "Tu mensaje", send: "Enviar",
      foot: "Las respuestas provienen de los documentos de este sitio. Con la tecnología de Aioomi.",
      starters: "Preguntas sugeridas", typing: "El asistente está escribiendo…", received: "Respuesta recibida.",
      again: "Reintentar", restored: "Se ha restaurado tu conversación anterior.",
      started: "Nueva conversación iniciada.", downloaded: "Tu conversación se ha descargado.",
      deleted: "Tu conversación se ha eliminado.", online: "Vuelves a estar en línea.",
      rate_limited: "Estás enviando mensajes demasiado rápido. Espera un momento y vuelve a intentarlo.",
      rate_wait: "Estás enviando mensajes demasiado rápido. Espera {0} segundos y vuelve a intentarlo.",
      quota_exceeded: "Este asistente ha alcanzado su límite de uso por ahora. Inténtalo más tarde.",
      agent_paused: "Este asistente está en pausa. Vuelve más tarde.",
      agent_restricted: "Este asistente no está disponible ahora mismo.",
      offline: "Parece que no tienes conexión. Compruébala y vuelve a intentarlo.",
      unreachable: "No se puede contactar con el asistente ahora mismo. Vuelve a intentarlo.",
      interrupted: "Se interrumpió la conexión. Vuelve a intentarlo.",
      session_not_found: "Esta conversación ya no existe. Empieza una nueva.",
      message_in_progress: "La respuesta anterior todavía está en camino.",
      empty: "El asistente no envió ninguna respuesta. Vuelve a intentarlo.",
      failed: "Algo salió mal. Vuelve a intentarlo.",
      sources: "Fuentes", quote: "Cita", copy: "Copiar", copied: "Copiado", copyFailed: "No se pudo copiar",
      copyAnswer: "Copiar respuesta", answerCopied: "Respuesta copiada.", cut: "Esta respuesta se interrumpió.",
      up: "Útil", down: "No útil", thanks: "Gracias por tu opinión.", why: "¿Qué estaba mal? (opcional)",
    },
    ar: {
      open: "افتح المحادثة: {0}", close: "أغلق المحادثة", data: "بياناتك", policy: "سياسة الخصوصية", fresh: "محادثة جديدة",
      download: "نزّل محادثتي (JSON)", remove: "احذف محادثتي",
      confirm: "هل تريد حذف هذه المحادثة من خوادمنا؟ لا يمكن التراجع عن ذلك.", forGood: "احذف نهائيًا",
      cancel: "إلغاء", log: "المحادثة", ask: "اطرح سؤالًا…", mine: "رسالتك", send: "إرسال",
      foot: "تأتي الإجابات من مستندات هذا الموقع. بدعم من Aioomi.", starters: "أسئلة مقترحة",
      typing: "المساعد يكتب…", received: "وصلت الإجابة.", again: "حاول مرة أخرى",
      restored: "تمت استعادة محادثتك السابقة.", started: "بدأت محادثة جديدة.",
      downloaded: "تم تنزيل محادثتك.", deleted: "تم حذف محادثتك.", online: "عدت متصلًا بالإنترنت.",
      rate_limited: "أنت ترسل الرسائل بسرعة كبيرة. انتظر قليلًا ثم حاول مرة أخرى.",
      rate_wait: "أنت ترسل الرسائل بسرعة كبيرة. انتظر {0} ثانية ثم حاول مرة أخرى.",
      quota_exceeded: "بلغ هذا المساعد حد الاستخدام الآن. حاول لاحقًا.",
      agent_paused: "هذا المساعد متوقف مؤقتًا. عد لاحقًا.",
      agent_restricted: "هذا المساعد غير متاح الآن.",
      offline: "يبدو أنك غير متصل. تحقق من اتصالك وحاول مرة أخرى.",
      unreachable: "تعذر الوصول إلى المساعد الآن. حاول مرة أخرى.",
      interrupted: "انقطع الاتصال. حاول مرة أخرى.",
      session_not_found: "لم تعد هذه المحادثة موجودة. ابدأ محادثة جديدة.",
      message_in_progress: "الإجابة السابقة ما زالت في الطريق.",
      empty: "لم يرسل المساعد أي إجابة. حاول مرة أخرى.", failed: "حدث خطأ ما. حاول مرة أخرى.",
      sources: "المصادر", quote: "اقتباس", copy: "نسخ", copied: "تم النسخ", copyFailed: "تعذر النسخ",
      copyAnswer: "انسخ الإجابة", answerCopied: "تم نسخ الإجابة.", cut: "انقطعت هذه الإجابة.",
      up: "مفيدة", down: "غير مفيدة", thanks: "شكرًا على ملاحظاتك.", why: "ما الخطأ؟ (اختياري)",
    },
  };
  const RTL = ["ar"];
  let lang = "en";

  // The agent's locale, or with "auto" the host page's <html lang> ("fr-CA" → "fr"), else English.
  function pickLocale(wanted) {
    const page = (document.documentElement.lang || "").toLowerCase().split(/[-_]/)[0];
    const choice = wanted && wanted !== "auto" ? wanted : page;
    return WORDS[choice] ? choice : "en";
  }

  function t(key, arg) {
    const text = WORDS[lang][key] || WORDS.en[key] || key;
    return arg == null ? text : text.replace("{0}", arg);
  }

  class Problem extends Error {
    constructor(code, message, retryAfter) { super(message); this.code = code; this.retryAfter = retryAfter; }
  }

  function human(problem) {
    if (problem.code === "rate_limited" && problem.retryAfter) return t("rate_wait", problem.retryAfter);
    const known = ["rate_limited", "quota_exceeded", "agent_paused", "agent_restricted", "offline", "unreachable",
      "interrupted", "session_not_found", "message_in_progress", "empty"];
    return (known.includes(problem.code) ? t(problem.code) : problem.message) || t("failed");
  }

  // Any failure to reach the server: "offline" only when the browser says so.
  function unreachable(key) {
    return navigator.onLine === false ? new Problem("offline", t("offline")) : new Problem(key || "unreachable", t(key || "unreachable"));
  }

  async function call(path, init) {
    init = init || {};
    const headers = Object.assign({ accept: "application/json" }, init.headers || {});
    const id = init.anonymous ? null : visitorId(init.create);  // no custom header: no CORS preflight
    if (id) headers["x-visitor-id"] = id;
    if (navigator.onLine === false) throw unreachable();
    let response;
    try {
      response = await fetch(API + path, Object.assign({}, init, { headers, credentials: "omit", mode: "cors" }));
    } catch (e) {
      throw unreachable();
    }
    if (!response.ok) {
      let body = {};
      try { body = await response.json(); } catch (e) { /* not JSON */ }
      const code = body.code || (response.status === 429 ? "rate_limited" : response.status === 402 ? "quota_exceeded" : "http_" + response.status);
      throw new Problem(code, body.detail, response.headers.get("retry-after"));
    }
    return response;
  }

  // --- the widget ----------------------------------------------------------------------------
  const host = document.createElement("aioomi-widget");
  const shadow = host.attachShadow({ mode: "open" });
  const zIndex = /^-?\d{1,10}$/.test(opts.zIndex || "") ? opts.zIndex : "2147483000";
  const css = CSS.replace("z-index:Z", "z-index:" + zIndex);
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    shadow.adoptedStyleSheets = [sheet];
  } catch (e) {
    shadow.append(el("style", { text: css }));
  }

  const ui = {};
  const state = { config: null, session: null, busy: false, loaded: false, lastText: null, dark: false };
  let previewAsk = null, leads = null;

  function build(config) {
    state.config = config;
    const style = config.style || {};
    lang = pickLocale(opts.locale || style.locale);
    const title = style.title || config.agent_name || "Chat";
    const primary = /^#[0-9a-fA-F]{6}$/.test(style.primary_color || "") ? style.primary_color : "#2563eb";
    const lum = luminance(primary);
    // The direction comes from the widget's language, never from the page around it.
    const root = el("div", { class: "root", lang, dir: RTL.includes(lang) ? "rtl" : "ltr" });
    root.style.setProperty("--primary", primary);
    root.style.setProperty("--on-primary", contrast(lum, 1) >= contrast(lum, 0.012) ? "#fff" : "#111827");
    ui.root = root;
    applyPosition(opts.position || style.position);
    applyTheme(opts.theme || style.theme || "auto", primary);

    ui.launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "aioomi-panel" });
    ui.launcher.append(svg(ICON_CHAT));
    // The accessible name starts with the visible text (WCAG 2.5.3, label in name).
    ui.openLabel = style.launcher_text ? style.launcher_text + " – " + title : t("open", title);
    ui.launcher.setAttribute("aria-label", ui.openLabel);
    if (style.launcher_text) ui.launcher.append(el("span", { text: style.launcher_text }));

    ui.title = el("h2", { id: "aioomi-title", text: title });
    ui.menuButton = el("button", { class: "icon", type: "button", "aria-haspopup": "menu", "aria-expanded": "false", "aria-controls": "aioomi-menu", text: t("data") });
    ui.close = el("button", { class: "icon", type: "button", "aria-label": t("close") }, [svg(ICON_CLOSE)]);
    const head = el("header", {}, [ui.title, ui.menuButton, ui.close]);
    const avatar = style.avatar_url && safeUrl(style.avatar_url);
    if (avatar && avatar.startsWith("https:")) head.prepend(el("img", { src: avatar, alt: "", referrerpolicy: "no-referrer" }));

    ui.newChat = el("button", { type: "button", role: "menuitem", text: t("fresh") });
    ui.download = el("button", { type: "button", role: "menuitem", text: t("download") });
    ui.remove = el("button", { type: "button", role: "menuitem", text: t("remove") });
    ui.policy = el("a", { role: "menuitem", href: new URL(script.src, location.href).origin + "/privacy", target: "_blank", rel: "noopener", text: t("policy") });
    ui.menu = el("div", { class: "menu", id: "aioomi-menu", role: "menu", "aria-label": t("data"), hidden: "" }, [ui.newChat, ui.download, ui.remove, ui.policy]);

    ui.confirmYes = el("button", { type: "button", class: "danger", text: t("forGood") });
    ui.confirmNo = el("button", { type: "button", text: t("cancel") });
    ui.confirm = el("div", { class: "confirm", role: "alertdialog", "aria-labelledby": "aioomi-confirm", hidden: "" }, [
      el("p", { id: "aioomi-confirm", text: t("confirm") }),
      el("div", { class: "actions" }, [ui.confirmYes, ui.confirmNo]),
    ]);

    ui.log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": t("log"), tabindex: "0" });
    ui.status = el("div", { class: "sr", role: "status", "aria-live": "polite" });
    ui.input = el("textarea", { id: "aioomi-input", rows: "1", maxlength: "4000", placeholder: t("ask"), autocomplete: "off" });
    ui.send = el("button", { class: "icon", type: "submit", "aria-label": t("send") }, [svg(ICON_SEND)]);
    ui.form = el("form", {}, [el("label", { class: "sr", for: "aioomi-input", text: t("mine") }), ui.input, ui.send]);
    ui.panel = el("section", { class: "panel", id: "aioomi-panel", role: "dialog", "aria-labelledby": "aioomi-title", hidden: "" }, [
      head, ui.menu, ui.log, ui.status, ui.confirm, ui.form, el("p", { class: "foot", text: t("foot") }),
    ]);
    root.append(ui.launcher, ui.panel);
    shadow.append(root);
    wire();
    welcome();
    if (opts.open === "true" || opts.open === "") open(false);
  }

  function applyPosition(position) {
    ui.root.classList.toggle("left", position === "left");
  }

  function applyTheme(theme, primary) {
    const query = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
    const set = () => {
      state.dark = theme === "dark" || (theme !== "light" && !!(query && query.matches));
      ui.root.classList.toggle("dark", state.dark);
      // Accent text (starter questions) must read on the panel: fall back to the text colour.
      const bg = state.dark ? luminance("#111827") : 1;
      ui.root.style.setProperty("--primary-text", contrast(luminance(primary), bg) >= 4.5 ? primary : "var(--text)");
    };
    set();
    if (state.unTheme) state.unTheme();
    if (query && theme === "auto" && query.addEventListener) {
      query.addEventListener("change", set);
      state.unTheme = () => query.removeEventListener("change", set);
    }
  }

  function wire() {
    ui.launcher.addEventListener("click", () => (ui.panel.hidden ? open(true) : close()));
    ui.close.addEventListener("click", close);
    ui.menuButton.addEventListener("click", () => (ui.menu.hidden ? openMenu() : closeMenu(true)));
    ui.newChat.addEventListener("click", () => { closeMenu(false); newConversation(); });
    ui.download.addEventListener("click", () => { closeMenu(false); download(); });
    ui.remove.addEventListener("click", () => { closeMenu(false); ui.confirm.hidden = false; ui.confirmNo.focus(); });
    ui.confirmNo.addEventListener("click", () => { ui.confirm.hidden = true; ui.input.focus(); });
    ui.confirmYes.addEventListener("click", removeConversation);
    ui.form.addEventListener("submit", event => { event.preventDefault(); send(ui.input.value); });
    ui.input.addEventListener("keydown", event => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); send(ui.input.value); }
    });
    ui.input.addEventListener("input", () => {
      ui.input.style.height = "auto";
      ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 120) + "px";
    });
    ui.menu.addEventListener("keydown", event => {
      const items = [...ui.menu.querySelectorAll("button:not(:disabled), a")];
      const at = items.indexOf(shadow.activeElement);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        items[(at + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length].focus();
      }
    });
    ui.root.addEventListener("keydown", event => {
      if (event.key === "Tab" && fullScreen() && !ui.panel.hidden && !previewAsk) trapFocus(event);
      if (event.key !== "Escape") return;
      if (!ui.menu.hidden) closeMenu(true);
      else if (!ui.confirm.hidden) { ui.confirm.hidden = true; ui.input.focus(); }
      else if (!ui.panel.hidden) close();
    });
    window.addEventListener("online", () => setStatus(t("online")));
  }

  // Under 480 px the panel covers the page: Tab stays inside it.
  function fullScreen() { return !!(window.matchMedia && window.matchMedia("(max-width: 480px)").matches); }

  function trapFocus(event) {
    const items = [...ui.panel.querySelectorAll("button,textarea,[tabindex='0'],a[href]")]
      .filter(node => !node.disabled && !node.closest("[hidden]"));
    if (!items.length) return;
    const first = items[0], last = items[items.length - 1], at = shadow.activeElement;
    if (event.shiftKey && (at === first || !ui.panel.contains(at))) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && (at === last || !ui.panel.contains(at))) { event.preventDefault(); first.focus(); }
  }

  function setStatus(text) { ui.status.textContent = text; }

  function openMenu() {
    const has = !!state.session;
    ui.download.disabled = ui.remove.disabled = !has || inPreview;
    ui.menu.hidden = false;
    ui.menuButton.setAttribute("aria-expanded", "true");
    ui.newChat.focus();
  }

  function closeMenu(refocus) {
    ui.menu.hidden = true;
    ui.menuButton.setAttribute("aria-expanded", "false");
    if (refocus) ui.menuButton.focus();
  }

  function open(focus) {
    ui.panel.hidden = false;
    ui.root.classList.add("open");
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.launcher.setAttribute("aria-label", t("close"));
    // On a phone, focusing the box would raise the keyboard over the answers: focus the panel's close button.
    if (focus !== false) (fullScreen() ? ui.close : ui.input).focus();
    if (!state.loaded) { state.loaded = true; restore().then(handoffStart); }
  }

  function close() {
    closeMenu(false);
    ui.panel.hidden = true;
    ui.root.classList.remove("open");
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.setAttribute("aria-label", ui.openLabel);
    ui.launcher.focus();
  }

  function scroll() { ui.log.scrollTop = ui.log.scrollHeight; }

  function welcome() {
    ui.log.textContent = "";
    const config = state.config;
    if (config.greeting) ui.log.append(el("div", { class: "msg bot intro" }, [markdown(config.greeting)]));
    const starters = (config.starter_questions || []).map(q => {
      const b = el("button", { type: "button", text: q });
      b.addEventListener("click", () => send(q));
      return b;
    });
    if (starters.length) {
      ui.starters = el("div", { class: "starters intro", role: "group", "aria-label": t("starters") }, starters);
      ui.log.append(ui.starters);
    }
  }

  function userBubble(text) {
    if (ui.starters) { ui.starters.remove(); ui.starters = null; }
    ui.log.append(el("div", { class: "msg user", text }));
    scroll();
  }

  function botBubble() {
    const body = el("div", { class: "md" });
    const bubble = el("div", { class: "msg bot" }, [body]);
    ui.log.append(bubble);
    return { bubble, body, text: "" };
  }

  function renderBody(answer) {
    answer.body.replaceWith(answer.body = markdown(answer.text));
  }

  // Sources: DOM nodes only (text set as textContent); a link only for an http(s) address, opened in a
  // new tab without referrer or opener; the quote on demand (<details>).
  function renderSources(citations) {
    const list = el("ol");
    const seen = new Set();
    for (const c of citations) {
      const key = c.document_id || c.document_title;
      if (seen.has(key)) continue;
      seen.add(key);
      const label = (c.number ? "[" + c.number + "] " : "") + (c.document_title || "");
      const href = c.url ? safeUrl(c.url) : null;
      const name = href
        ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer nofollow", text: label })
        : el("span", { text: label });
      const item = el("li", {}, [name]);
      if (c.excerpt) {
        item.append(el("details", { class: "quote" }, [el("summary", { text: t("quote") }), el("q", { text: c.excerpt })]));
      }
      list.append(item);
    }
    return el("div", { class: "sources" }, [el("span", { text: t("sources") }), list]);
  }

  function finish(answer, citations, failed, rated) {
    if (citations && citations.length) answer.bubble.append(renderSources(citations));
    if (failed) answer.bubble.append(el("p", { class: "note", text: t("cut") }));
    if (answer.text) {
      const copy = el("button", { type: "button", text: t("copy"), "aria-label": t("copyAnswer") });
      copy.addEventListener("click", async () => {
        try { await navigator.clipboard.writeText(answer.text); copy.textContent = t("copied"); setStatus(t("answerCopied")); }
        catch (e) { copy.textContent = t("copyFailed"); }
        setTimeout(() => { copy.textContent = t("copy"); }, 2000);
      });
      const actions = el("div", { class: "actions" }, [copy]);
      answer.bubble.append(actions);
      if (rated.id && !failed) feedback(actions, rated);
    }
  }

  // Thumbs up / down (toggle buttons); after a thumbs-down, an optional comment. A new vote replaces the last.
  function feedback(actions, rated) {
    const path = "/sessions/" + encodeURIComponent(rated.session) + "/messages/" + encodeURIComponent(rated.id) + "/feedback";
    const buttons = {};
    let why;
    const show = v => { for (const k in buttons) buttons[k].setAttribute("aria-pressed", k === v); };
    const rate = (rating, comment) => call(path, { method: "POST", body: JSON.stringify({ rating, comment }),
      headers: { "content-type": "application/json" } }).then(r => r.json()).then(f => { show(f.rating); setStatus(t("thanks")); return 1; },
      e => showError(human(e)) && 0);
    for (const v of ["up", "down"]) {
      const b = buttons[v] = el("button", { type: "button", class: "rate " + v, "aria-label": t(v), title: t(v) }, [svg(ICON_THUMB)]);
      b.onclick = async () => {
        if (!await rate(v)) return;
        if (why) why = why.remove();
        if (v < "e") {
          const text = el("textarea", { "aria-label": t("why"), placeholder: t("why"), maxlength: 1000 });
          const send = el("button", { type: "button", text: t("send") });
          send.onclick = async () => { if (await rate(v, text.value.trim() || null)) why = why.remove(); };
          actions.after(why = el("div", { class: "why" }, [text, send]));
          text.focus();
        }
      };
      actions.append(b);
    }
    show(rated.feedback && rated.feedback.rating);
  }

  function showError(message, retry) {
    const box = el("div", { class: "error", role: "alert" }, [el("span", { text: message })]);
    if (retry) {
      const again = el("button", { type: "button", text: t("again") });
      again.addEventListener("click", () => { box.remove(); retry(); });
      box.append(again);
    }
    ui.log.append(box);
    scroll();
    return box;
  }

  async function restore() {
    if (!visitorId(false)) return;
    try {
      const sessions = await (await call("/sessions")).json();
      const latest = sessions.data && sessions.data[0];
      if (!latest) return;
      const detail = await (await call("/sessions/" + encodeURIComponent(latest.id))).json();
      state.session = latest.id;
      if (!detail.messages.length) return;
      if (ui.starters) { ui.starters.remove(); ui.starters = null; }
      for (const m of detail.messages) {
        if (m.role === "user") { userBubble(m.content); continue; }
        const answer = botBubble();
        if (m.role === "owner") answer.bubble.classList.add("person");
        answer.text = m.content;
        renderBody(answer);
        finish(answer, m.citations, m.status === "failed", { id: m.id, session: latest.id, feedback: m.feedback });
      }
      scroll();
      setStatus(t("restored"));
    } catch (e) {
      if (e instanceof Problem && !["offline", "unreachable"].includes(e.code)) return;  // nothing to restore
      showError(human(e), null);
    }
  }

  async function newConversation() {
    state.session = null;
    welcome();
    setStatus(t("started"));
    ui.input.focus();
  }

  async function download() {
    try {
      const response = await call("/sessions/" + encodeURIComponent(state.session) + "/export");
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { href: url, download: "conversation-" + state.session + ".json" });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      setStatus(t("downloaded"));
    } catch (e) {
      showError(human(e), download);
    }
  }

  async function removeConversation() {
    ui.confirm.hidden = true;
    try {
      if (state.session) await call("/sessions/" + encodeURIComponent(state.session), { method: "DELETE" });
      state.session = null;
      welcome();
      ui.log.append(el("p", { class: "note", role: "status", text: t("deleted") }));
      setStatus(t("deleted"));
      ui.input.focus();
    } catch (e) {
      showError(human(e), removeConversation);
    }
  }

  function key() {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    return "w-" + Array.from(bytes, b => b.toString(16).padStart(2, "0")).join("");
  }

  async function send(raw, again) {
    const text = (raw || "").trim();
    if (!text || state.busy) return;
    if (hand.state !== "assistant") return hand.send(text);
    state.busy = true;
    ui.send.disabled = true;
    if (!again) { userBubble(text); ui.input.value = ""; ui.input.style.height = ""; }
    const attempt = again || { text, key: key() };
    const typing = el("div", { class: "msg bot", "aria-label": t("typing") }, [el("span", { class: "typing" }, [el("i"), el("i"), el("i")])]);
    ui.log.append(typing);
    ui.log.setAttribute("aria-busy", "true");
    setStatus(t("typing"));
    scroll();
    let answer = null, citations = [], failure = null, started = false, answerId = null, status = null;
    try {
      if (previewAsk) {
        const reply = await previewAsk(text, state.session).catch(e => { throw new Problem(e.code, e.message); });
        state.session = reply.session;
        answer = botBubble();
        answer.text = reply.text;
        citations = reply.citations || [];
      } else {
        if (!state.session) {
          const session = await (await call("/sessions", { method: "POST", create: true })).json();
          state.session = session.id;
        }
        const response = await call("/sessions/" + encodeURIComponent(state.session) + "/messages", {
          method: "POST", create: true, body: JSON.stringify({ content: text }),
          headers: { "content-type": "application/json", accept: "text/event-stream", "idempotency-key": attempt.key },
        });
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "", pending = false;
        const paint = () => { pending = false; renderBody(answer); scroll(); };
        for (;;) {
          const chunk = await reader.read();
          if (chunk.done) break;
          buffer += decoder.decode(chunk.value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let name = "message", data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("event:")) name = line.slice(6).trim();
              else if (line.startsWith("data:")) data += line.slice(5).trim();
            }
            const payload = data ? JSON.parse(data) : {};
            if (name === "start") started = true;
            else if (name === "token") {
              if (!answer) { typing.remove(); answer = botBubble(); }
              answer.text += payload.text || "";
              if (!pending) { pending = true; requestAnimationFrame(paint); }
            } else if (name === "sources") citations = payload.citations || [];
            else if (name === "done") { answerId = payload.message_id; status = payload.status; hand.fell = status == "unanswered" && hand.fell + 1; }
            else if (name === "error") failure = new Problem(payload.code, payload.message);
          }
        }
      }
      if (!failure && !answer) failure = new Problem("empty", t("empty"));
    } catch (e) {
      failure = e instanceof Problem ? e : unreachable("interrupted");
    }
    typing.remove();
    if (answer) { renderBody(answer); finish(answer, citations, !!failure, { id: answerId, session: state.session }); }
    ui.log.removeAttribute("aria-busy");
    state.busy = false;
    ui.send.disabled = false;
    if (failure) {
      if (failure.code === "session_not_found") state.session = null;
      // A request the server never saw is retried with the same key; otherwise with a new one.
      const next = { text, key: ["offline", "unreachable"].includes(failure.code) && !started ? attempt.key : key() };
      showError(human(failure), ["agent_paused", "agent_restricted", "quota_exceeded"].includes(failure.code) ? null : () => send(text, next));
      setStatus(human(failure));
    } else {
      setStatus(t("received"));
      if (leads) leads(status);  // a lead form due after this answer (its status: "unanswered" for the fallback)
      if (hand.fell > 1 && hand.offer) hand.offer();
    }
    scroll();
  }

  const hand = { state: "assistant", fell: 0, w: state, call, host };
  function handoffStart() {
    if (previewAsk || hand.on) return;
    hand.on = call("/handoff").then(r => r.json()).then(f => {
      if (f.enabled) document.head.append(el("script", { src: new URL(script.src, location.href).origin + "/widget/handoff.js" }));
    }, () => {});
  }

  async function init() {
    let config;
    try {
      config = await (await call("/config", { anonymous: true })).json();
    } catch (e) {
      // Nothing shows on the page (as for an unknown key); the console says why, for the owner.
      const why = e instanceof Problem ? e : unreachable();
      if (why.code === "origin_not_allowed") console.error("Aioomi widget: " + (why.message || "this page's origin " + location.origin + " is not allowed") + " (" + location.origin + ")");
      else console.warn("Aioomi widget:", why.code === "agent_paused" ? "the assistant is paused by its owner; nothing is shown." : why.message || human(why));
      return;
    }
    document.body.append(host);
    build(config);
    // An agent's lead form: its code (/widget-leads.js) is loaded only when there is one.
    call("/lead-form", { anonymous: true }).then(r => r.json()).then(d => {
      if (!d.form) return;
      const s = el("script", { src: API.split("/api/")[0] + "/widget-leads.js" });
      s.onload = () => { leads = window.AioomiLeads({ ui, state, shadow, el, call, visitorId, closeMenu, setStatus, t, human, safeUrl, scroll, API }, d.form); };
      document.head.append(s);
    }, () => {});
  }

  // The dashboard's live preview: the real widget inside box, drawn again on every change of the
  // settings; the conversation so far stays (only the greeting and starters are redrawn).
  function preview(box, config, ask) {
    previewAsk = ask;
    const kept = ui.log ? [...ui.log.children].filter(n => !n.classList.contains("intro")) : [];
    const shut = ui.panel && ui.panel.hidden;
    if (ui.root) ui.root.remove();
    box.append(host);
    state.loaded = true;  // nothing to restore: the preview keeps no visitor
    build(config);
    ui.root.classList.add("preview");
    if (kept.length) {
      if (kept.some(n => n.matches(".msg.user")) && ui.starters) { ui.starters.remove(); ui.starters = null; }
      ui.log.append(...kept);
    }
    if (!shut) open(false);
  }

  window.Aioomi = {
    open: () => ui.panel && open(true),
    close: () => ui.panel && close(),
    markdown,
    sources: renderSources,
    preview,
    hand,
  };
  if (inPreview) return;
  if (document.body) init();
  else document.addEventListener("DOMContentLoaded", init);
})();
