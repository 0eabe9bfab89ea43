// The phone page: live updates over Socket.IO, polling GET /api/v1/tickets/<token> whenever the
// socket is down (websockets blocked, server restarting). A module (see /static/js/live.js), a
// few kilobytes.
import { $, connectLive, fmt, loadSocketIoAfterLoad } from "/static/js/live.js";
import * as dossierView from "./dossier-view.js";

const cfg = JSON.parse($("phone-config").textContent);
const S = cfg.strings;
const baseTitle = document.title;

let view = cfg.view;
let live = false;
let pollTimer = 0;
let gone = false;
let lineVersion = 0; // the last line_changed applied (an older one arriving late is ignored)
let lineService = view.service; // the field whose line_changed this page follows
let socket = null; // the live connection, once Socket.IO's client has loaded (startLive)

// The same rule as phone.views.state_text, for updates that arrive after the first render.
function stateText(v) {
  const counter = v.counter && v.counter.number !== undefined ? v.counter.number : "";
  const counterName = (v.counter && v.counter.name) || "";
  switch (v.status) {
    case "waiting": {
      const ahead = Number(v.ahead) || 0;
      const eta = Number(v.eta_minutes) || 0;
      const etaText = ahead > 0 && eta > 0 ? fmt(S.eta, { m: eta }) : "";
      // Transferred to one counter: say where to wait.
      const moved = v.next_counter ? fmt(S.moved, { n: v.next_counter.number }) : "";
      return {
        head: ahead > 0 ? fmt(S.ahead, { n: ahead }) : S.next_up,
        detail: [moved, etaText].filter(Boolean).join(" "),
      };
    }
    case "called":
      return { head: fmt(S.called, { n: counter }), detail: counterName };
    case "serving":
      return { head: fmt(S.serving, { n: counter }), detail: counterName };
    case "cancelled":
      // Left from this page, or cancelled by the office: either way, a new number at the kiosk.
      return { head: cfg.left ? S.left : S.cancelled, detail: S.new_number };
    case "no_show":
    case "done":
    case "expired":
      return { head: S[v.status], detail: "" };
    default:
      return { head: "", detail: "" };
  }
}

function setStatusClass(status) {
  const body = document.body;
  for (const c of Array.from(body.classList)) if (c.startsWith("status-")) body.classList.remove(c);
  if (view.dossier) body.classList.add("has-dossier");
  body.classList.add(`status-${status}`);
}

function render() {
  setStatusClass(view.status);
  if (!view.rated) renderRating();
  $("number").textContent = view.number;
  if (view.service_name) $("field").textContent = fmt(S.field, { name: view.service_name });
  const text = stateText(view);
  $("state-head").textContent = text.head;
  $("state-detail").textContent = text.detail;
  document.title = view.status === "called" ? `${S.called_title} ${view.number}` : baseTitle;
}

function buzz() {
  try {
    if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]);
  } catch (e) {
    /* some browsers refuse without a tap; the page itself still says it clearly */
  }
}

function apply(update, recalled) {
  if (!update || (update.number && update.number !== view.number)) return;
  const before = view.status;
  view = { ...view, ...update };
  render();
  if (view.dossier) dossierView.render(view.dossier, cfg.ds);
  if (view.status === "called" && (before !== "called" || recalled)) buzz();
}

// The wait estimate, as core.estimate.estimate_wait_minutes: whole minutes, rounded up.
function etaMinutes(ahead, counters, seconds) {
  if (ahead <= 0) return 0;
  const minutes = (ahead * Math.max(0, seconds)) / Math.max(1, counters) / 60;
  return Math.ceil(Math.round(minutes * 1e9) / 1e9);
}

// line_changed: the field's waiting line as opaque keys in call order. This ticket finds its own
// key; a priority ticket has only the priority tickets before it ahead.
function placeIn(line, key) {
  const at = line.line.indexOf(key);
  if (at < 0) return null;
  const p = line.priority.indexOf(at);
  return p >= 0 ? p : at;
}

function applyLine(line) {
  if (!line || line.service !== view.service || !view.line_key) return;
  if (view.status !== "waiting" || view.next_counter) return; // called, or sent to one counter
  if (line.version < lineVersion) return;
  const ahead = placeIn(line, view.line_key);
  if (ahead === null) return; // not in this line (any more): its own event says why
  lineVersion = line.version;
  apply({ ahead, eta_minutes: etaMinutes(ahead, line.counters, line.service_seconds) }, false);
}

// Transferred to another field: follow that field's line instead.
function followLine() {
  if (!socket || !view.service || view.service === lineService) return;
  socket.emit("leave", { room: `line:${lineService}` });
  socket.emit("join", { room: `line:${view.service}` });
  lineService = view.service;
  lineVersion = 0;
}

// --- rating, once per ticket, after service -------------------------------------------------

function renderRating() {
  const card = $("rating");
  if (card) card.hidden = !(view.status === "done" && !view.rated);
}

for (const button of document.querySelectorAll("#rating [data-level]")) {
  button.addEventListener("click", async () => {
    const msg = $("rating-msg");
    for (const b of document.querySelectorAll("#rating [data-level]")) b.disabled = true;
    try {
      const r = await fetch(`/api/v1/tickets/${encodeURIComponent(cfg.token)}/rating`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ level: button.dataset.level, comment: $("rating-comment").value }),
      });
      const body = await r.json().catch(() => ({}));
      if (r.status === 201 || r.status === 409) {
        // Say back what was chosen, so a slip of the finger is seen.
        const label = button.querySelector("span").textContent;
        msg.textContent =
          r.status === 201 ? `${S.rate_done} ${fmt(S.rate_chosen, { level: label })}` : body.message;
        document.querySelector("#rating .levels").hidden = true;
        document.querySelector("#rating .comment").hidden = true;
        view.rated = true;
        return;
      }
      msg.textContent = body.message || S.rate_error;
    } catch (e) {
      msg.textContent = S.rate_error;
    }
    for (const b of document.querySelectorAll("#rating [data-level]")) b.disabled = false;
  });
}

function showGone() {
  gone = true;
  setStatusClass("not-found");
  $("state-head").textContent = S.not_found;
  $("state-detail").textContent = "";
}

function setConn(state) {
  const el = $("conn");
  el.dataset.conn = state;
  el.textContent = state === "live" ? S.live : state === "polling" ? S.polling : S.offline;
}

// --- polling fallback ---------------------------------------------------------------------

async function poll() {
  try {
    const r = await fetch(`/api/v1/tickets/${encodeURIComponent(cfg.token)}`, {
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (r.status === 404) {
      showGone();
      stopPolling();
      return;
    }
    if (!r.ok) throw new Error(String(r.status));
    apply(await r.json(), false);
    if (!live) setConn("polling");
  } catch (e) {
    if (!live) setConn("offline");
  }
}

function startPolling() {
  if (pollTimer || gone) return;
  poll();
  pollTimer = setInterval(poll, cfg.poll_seconds * 1000);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = 0;
}

// --- live updates -------------------------------------------------------------------------

// Socket.IO's client (15 KB gzipped) comes after the page's load event: the ticket's state is
// already on the page, and on a slow phone line the page is whole ~0.3 s sooner (issue 16).
function startLive() {
  socket = connectLive({
    auth: { ticket: cfg.token },
    options: { reconnectionDelay: 1000, reconnectionDelayMax: 8000, timeout: 8000 },
    onConnect: () => {
      const el = $("conn");
      el.dataset.connects = String(Number(el.dataset.connects || 0) + 1);
      live = true;
      stopPolling();
      setConn("live");
    },
    onDisconnect: () => {
      live = false;
      startPolling();
    },
    onConnectError: (err) => {
      live = false;
      startPolling();
      // A refusal from the server (not a network error) stops Socket.IO's own retries.
      if (err && err.data && !gone) setTimeout(() => socket.connect(), 30000);
    },
    onSnapshot: (snap) => {
      lineService = snap.service || lineService; // a new connection joins its field's line
      apply(snap, false);
    },
    events: {
      dossier_updated: (d) => apply({ dossier: d }, false),
      ticket_updated: (ev) => {
        apply(ev, false);
        followLine();
      },
      line_changed: applyLine,
      ticket_called: (ev) => apply({ number: ev.number, status: "called", counter: ev.counter }, false),
      ticket_recalled: (ev) => apply({ number: ev.number, status: "called", counter: ev.counter }, true),
    },
  });
  if (socket) {
    // If the socket has not come up soon (a proxy that blocks it), start polling meanwhile.
    setTimeout(() => {
      if (!live) startPolling();
    }, 5000);
  } else {
    startPolling();
  }
}

loadSocketIoAfterLoad(cfg.socketio).then(startLive, startPolling);

// A phone wakes from sleep with stale numbers: ask at once instead of waiting.
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && !live) poll();
});

// Leave and delay are plain forms (they work without JavaScript); a second tap while the first
// is on its way sends nothing more.
for (const form of document.querySelectorAll("form.confirm")) {
  form.addEventListener("submit", () => {
    for (const b of form.querySelectorAll("button")) b.disabled = true;
  });
}

dossierView.hydrate();
render();
