// The counter console: takes the counter, shows its ticket and lines live, sends the officer's
// actions to the API (CSRF header, one Idempotency-Key per click) and shows the API's message.
import {
  $,
  connectLive,
  csrfToken,
  el,
  fmt,
  KEEP_TRYING,
  newKey,
  noteServerTime,
  serverNow,
  sleep,
} from "/static/js/live.js";

const DATA = JSON.parse($("console-data").textContent);
const T = JSON.parse($("console-text").textContent);
const CSRF = csrfToken();
const N = DATA.counter;
const SHOWN_WAITING = 12;
const REFRESH_DEBOUNCE_MS = 250;

let snap = null; // GET /api/v1/counters/<n>/queue, or the socket's snapshot of the same shape
let busy = false;

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Call the API; a network failure is retried with the same Idempotency-Key, so it acts once. */
async function api(method, path, body, key) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = CSRF;
    headers["Idempotency-Key"] = key || newKey();
    init.body = JSON.stringify(body || {});
  }
  for (let attempt = 0; ; attempt += 1) {
    let response;
    try {
      response = await fetch(path, init);
    } catch (_) {
      if (attempt >= 2) throw new ApiError(0, "network", T.network);
      await sleep(700 * (attempt + 1));
      continue;
    }
    // The server's clock, from the Date header: elapsed times are counted by it.
    noteServerTime(Date.parse(response.headers.get("Date") || ""));
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (response.status === 401) sessionExpired();
      throw new ApiError(response.status, data.error || "error", data.message || T.network);
    }
    return data;
  }
}

// --- messages -----------------------------------------------------------------------------------

let toastTimer = null;
function toast(message, kind = "info") {
  const box = $("toast");
  box.textContent = message;
  box.className = `toast ${kind}`;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (box.hidden = true), kind === "error" ? 9000 : 3500);
}
const showError = (err) => toast(err && err.message ? err.message : T.network, "error");
/** A message belongs to the action that caused it: gone once the officer does the next thing. */
function clearToast() {
  clearTimeout(toastTimer);
  $("toast").hidden = true;
}

let expired = false;
function sessionExpired() {
  if (expired) return;
  expired = true;
  toast(T.sessionExpired, "error");
  const next = encodeURIComponent(`/counter?counter=${N}`);
  setTimeout(() => window.location.assign(`/login?next=${next}`), 3000);
}

// --- what is legal now --------------------------------------------------------------------------

function legal() {
  const state = snap && snap.counter ? snap.counter.state : null;
  const current = snap ? snap.current : null;
  const status = current ? current.status : null;
  const waiting = snap ? snap.waiting_total : 0;
  return {
    next: state === "open" && !current && waiting > 0,
    call: state === "open" && !current,
    recall: status === "called",
    start: status === "called",
    // Finishing needs SERVING; from CALLED the console records start, then finish.
    finish: status === "called" || status === "serving",
    noshow: status === "called",
    transfer: status === "called" || status === "serving",
    // Accepting a dossier (Mẫu 01) happens while the citizen is being served.
    dossier: status === "serving",
    reprint: status === "called" || status === "serving",
    pause: state === "open",
    resume: state === "paused",
    open: state === "closed",
    close: (state === "open" || state === "paused") && !current,
    requeue: state === "open" || state === "paused",
  };
}

// --- rendering ----------------------------------------------------------------------------------

function render() {
  const can = legal();
  for (const button of document.querySelectorAll("[data-action]")) {
    const action = button.dataset.action;
    button.disabled = busy || !snap || !can[action];
  }
  const state = snap && snap.counter ? snap.counter.state : null;
  document.querySelector('[data-action="pause"]').hidden = state === "paused" || state === "closed";
  document.querySelector('[data-action="resume"]').hidden = state !== "paused";
  document.querySelector('[data-action="open"]').hidden = state !== "closed";
  document.querySelector('[data-action="close"]').hidden = !(state === "open" || state === "paused");
  if (!snap) return;

  $("counter-title").textContent = snap.counter.name || `${N}`;
  const pill = $("counter-state");
  pill.hidden = false;
  pill.dataset.state = state;
  pill.textContent =
    state === "paused"
      ? `${T.paused}${snap.counter.pause_reason ? `: ${snap.counter.pause_reason}` : ""}`
      : T[state] || state;

  const cur = snap.current;
  const box = $("current");
  box.dataset.status = cur ? cur.status : "none";
  $("current-number").textContent = cur ? cur.number : "—";
  // No current number: say what the counter is ready for (never "no number called yet" after a
  // finish).
  const idle = state === "paused" ? T.readyPaused : state === "closed" ? T.readyClosed : T.ready;
  $("current-service").textContent = cur ? cur.service_name : idle;
  $("current-status").textContent = cur ? DATA.statuses[cur.status] || cur.status : "";
  $("current-priority").hidden = !(cur && cur.priority);
  $("recalls").textContent = cur && cur.recall_count ? fmt(T.recalled, { n: cur.recall_count }) : "";
  const moved = cur ? transferText(cur.transfer) : "";
  $("current-transfer").textContent = moved;
  $("current-transfer").hidden = !moved;
  const dossier = cur && cur.dossier ? fmt(T.dossier, { code: cur.dossier.code }) : "";
  $("current-dossier").textContent = dossier;
  $("current-dossier").hidden = !dossier;
  tick();
  renderQueue(can);
  renderNoShow(can);
}

/** "Chuyển từ quầy 1: <the transferring officer's note>", or "" for a ticket never transferred. */
function transferText(transfer) {
  if (!transfer) return "";
  const from = transfer.from_counter ? fmt(T.fromCounter, { n: transfer.from_counter }) : T.transferredIn;
  return transfer.note ? `${from}: ${transfer.note}` : from;
}

function renderQueue(can) {
  $("waiting-total").textContent = String(snap.waiting_total);
  const names = new Map((snap.services || []).map((s) => [s.code, `${s.prefix} · ${s.name}`]));
  const counts = new Map();
  for (const t of snap.waiting) {
    counts.set(t.service, (counts.get(t.service) || 0) + 1);
    // A number transferred here from a field this counter does not serve: its field's name,
    // never the raw code.
    if (!names.has(t.service)) names.set(t.service, t.service_name);
  }
  const chips = $("field-counts");
  chips.replaceChildren();
  for (const [code, n] of counts) chips.append(el("li", null, `${names.get(code) || code}: ${n}`));
  const list = $("queue-list");
  list.replaceChildren();
  const now = serverNow();
  for (const t of snap.waiting.slice(0, SHOWN_WAITING)) {
    const li = el("li", t.priority ? "priority" : "");
    li.dataset.number = t.number;
    const info = el("span", "q-info");
    info.append(el("b", null, t.service_name));
    if (t.priority) info.append(" ", el("span", "badge-priority", T.priority));
    const minutes = Math.max(0, Math.floor((now - Date.parse(t.issued_at)) / 60000));
    info.append(el("br"), fmt(T.waitedFor, { m: minutes }));
    if (t.transfer) info.append(el("br"), el("span", "q-transfer", transferText(t.transfer)));
    // The citizen let the next people go first from the phone ("Để người sau lên trước").
    if (t.delays) info.append(el("br"), el("span", "q-transfer", fmt(T.delayed, { n: t.delays })));
    const call = el("button", "button", T.callThis);
    call.type = "button";
    call.disabled = busy || !can.call;
    call.addEventListener("click", () => act(() => callNumber(t.number)));
    li.append(el("span", "q-num", t.number), info, call);
    list.append(li);
  }
  const rest = snap.waiting_total - Math.min(snap.waiting.length, SHOWN_WAITING);
  if (rest > 0) list.append(el("li", "more", fmt(T.moreWaiting, { n: rest })));
  if (!snap.waiting_total) list.append(el("li", "empty", T.emptyQueue));
}

function renderNoShow(can) {
  const list = $("noshow-list");
  list.replaceChildren();
  for (const t of snap.no_show || []) {
    const li = el("li");
    li.dataset.number = t.number;
    const again = el("button", "button", T.requeue);
    again.type = "button";
    again.disabled = busy || !can.requeue;
    again.addEventListener("click", () =>
      act(async () => {
        await api("POST", `/api/v1/tickets/${t.id}/requeue`, {}, newKey());
        toast(fmt(T.requeued, { number: t.number }));
      }),
    );
    li.append(el("span", "q-num", t.number), el("span", "q-info", t.service_name), again);
    list.append(li);
  }
  if (!(snap.no_show || []).length) list.append(el("li", "empty", T.emptyNoShow));
}

function clockText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

function tick() {
  const cur = snap && snap.current;
  const timer = $("timer");
  if (!cur) {
    timer.textContent = "";
    return;
  }
  const serving = cur.status === "serving" && cur.serving_started_at;
  const since = Date.parse(serving ? cur.serving_started_at : cur.called_at);
  if (Number.isNaN(since)) {
    timer.textContent = "";
    return;
  }
  timer.replaceChildren(
    clockText((serverNow() - since) / 1000),
    el("small", null, serving ? T.servingFor : T.calledFor),
  );
}
setInterval(tick, 1000);

// --- loading the queue --------------------------------------------------------------------------

let refreshTimer = null;
let refreshSeq = 0;
// Data asked for before the last action finished may not show that action: it is dropped.
let actionEpoch = 0;
let lastActionAt = 0;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, REFRESH_DEBOUNCE_MS);
}

async function refresh(quiet = false) {
  const seq = ++refreshSeq;
  const epoch = actionEpoch;
  try {
    const data = await api("GET", `/api/v1/counters/${N}/queue`);
    if (seq === refreshSeq && epoch === actionEpoch && !busy) {
      snap = data;
      render();
    }
  } catch (err) {
    if (!quiet && err.status !== 401 && err.status !== 0) showError(err);
  }
}

function applyTicket(ticket) {
  if (!snap || !ticket) return;
  snap.current = ticket.status === "called" || ticket.status === "serving" ? ticket : null;
  render();
}

/** Run one officer action: buttons stay disabled until it is done and the queue reloaded. */
async function act(work) {
  if (busy) return;
  busy = true;
  clearToast();
  render();
  try {
    await work();
  } catch (err) {
    showError(err);
  } finally {
    busy = false;
    actionEpoch += 1;
    lastActionAt = Date.now();
    render();
    await refresh();
  }
}

// --- actions ------------------------------------------------------------------------------------

async function callNext() {
  const r = await api("POST", `/api/v1/counters/${N}/call-next`, {}, newKey());
  applyTicket(r.ticket);
  toast(fmt(T.called, { number: r.ticket.number }));
}

async function callNumber(number) {
  const r = await api("POST", `/api/v1/counters/${N}/call`, { number }, newKey());
  applyTicket(r.ticket);
  toast(fmt(T.called, { number: r.ticket.number }));
}

async function ticketAction(name, body) {
  const r = await api("POST", `/api/v1/tickets/${snap.current.id}/${name}`, body || {}, newKey());
  applyTicket(r.ticket);
  return r.ticket;
}

async function finish(outcome) {
  const cur = snap && snap.current;
  if (!cur) return;
  if (cur.status === "called") await ticketAction("start");
  const ticket = await ticketAction("finish", { outcome });
  toast(fmt(T.done, { number: ticket.number }));
}

async function counterAction(name, body) {
  const r = await api("POST", `/api/v1/counters/${N}/${name}`, body || {}, newKey());
  if (snap && r.counter) {
    snap.counter = r.counter;
    render();
  }
  return r;
}

/** Take the counter; if another officer holds it, ask first and then take it with force. */
async function take() {
  try {
    await counterAction("open");
  } catch (err) {
    if (err.status !== 409 && err.status !== 403) throw err;
    if (!(await confirmTake(err.message))) return;
    await counterAction("open", { force: true });
  }
  toast(fmt(T.taken, { n: N }));
}

// --- dialogs ------------------------------------------------------------------------------------

function openDialog(id, onChoice, focus) {
  const dialog = $(id);
  const form = dialog.querySelector("form");
  return new Promise((resolve) => {
    const onSubmit = (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      const value = event.submitter ? event.submitter.value : "ok";
      cleanup();
      dialog.close();
      resolve(onChoice(value, form));
    };
    const onClose = () => {
      cleanup();
      resolve(undefined);
    };
    const cleanup = () => {
      form.removeEventListener("submit", onSubmit);
      dialog.removeEventListener("close", onClose);
    };
    form.addEventListener("submit", onSubmit);
    dialog.addEventListener("close", onClose);
    clearToast();
    dialog.showModal();
    if (focus) focus.focus();
  });
}

for (const button of document.querySelectorAll("dialog [data-close]")) {
  button.addEventListener("click", () => button.closest("dialog").close());
}
// Outcome keys 1–5 inside the finish dialog.
$("dlg-finish").addEventListener("keydown", (event) => {
  const buttons = $("dlg-finish").querySelectorAll("button.outcome");
  const index = Number(event.key) - 1;
  if (index >= 0 && index < buttons.length) {
    event.preventDefault();
    buttons[index].click();
  }
});

$("dlg-transfer")
  .querySelector("input[name=note]")
  .addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });

function confirmTake(message) {
  $("confirm-message").textContent = message;
  return openDialog("dlg-confirm", () => true).then((ok) => ok === true);
}

async function askCall() {
  const input = $("dlg-call").querySelector("input[name=number]");
  input.value = "";
  const number = await openDialog("dlg-call", (_, form) => form.elements.number.value.trim());
  if (number) await callNumber(number.toUpperCase());
}

// With a dossier accepted from the current number, only these outcomes fit it (the API refuses
// the others); "Tiếp nhận hồ sơ" comes first and is the default.
const DOSSIER_OUTCOMES = ["dossier_accepted", "result_returned"];

async function askFinish() {
  // The dossier may have been accepted in another tab a moment ago: ask the server first.
  const fresh = await api("GET", `/api/v1/counters/${N}/queue`).catch(() => null);
  if (fresh && fresh.current && snap.current && fresh.current.id === snap.current.id) {
    snap = fresh;
    render();
  }
  const cur = snap.current;
  if (!cur) return;
  $("finish-note").hidden = cur.status !== "called";
  const dossier = cur.dossier;
  $("finish-dossier").hidden = !dossier;
  $("finish-dossier").textContent = dossier ? fmt(T.finishDossier, { code: dossier.code }) : "";
  const box = $("dlg-finish").querySelector(".outcomes");
  const buttons = DATA.outcomes.map((o) => box.querySelector(`button.outcome[value="${o.code}"]`));
  const order = dossier
    ? [
        ...DOSSIER_OUTCOMES.map((code) => buttons.find((b) => b.value === code)),
        ...buttons.filter((b) => !DOSSIER_OUTCOMES.includes(b.value)),
      ]
    : buttons;
  order.forEach((button, i) => {
    button.disabled = Boolean(dossier) && !DOSSIER_OUTCOMES.includes(button.value);
    button.querySelector("kbd").textContent = String(i + 1);
    box.append(button);
  });
  const outcome = await openDialog("dlg-finish", (value) => value, order[0]);
  if (outcome && outcome !== "ok") await finish(outcome);
}

/** Each target's state and queue, as the server has them now (the page's copy may be old). */
async function showTransferTargets() {
  const [counters, services] = await Promise.all([
    api("GET", "/api/v1/counters").catch(() => null),
    api("GET", "/api/v1/services").catch(() => null),
  ]);
  for (const c of counters ? counters.counters : DATA.counters) {
    const button = document.querySelector(`#transfer-counters [data-counter="${c.number}"]`);
    if (!button) continue;
    button.dataset.state = c.state;
    // Only an open counter takes a transferred number (the API refuses the others).
    button.disabled = c.state !== "open";
    const state = button.querySelector(".t-state");
    state.dataset.state = c.state;
    state.textContent = T[c.state] || c.state;
    if (typeof c.waiting === "number") {
      button.querySelector(".t-wait").textContent = fmt(T.waitingN, { n: c.waiting });
    }
  }
  for (const s of services ? services.services : []) {
    const button = document.querySelector(`#transfer-services [data-service="${s.code}"]`);
    if (button) button.querySelector(".t-wait").textContent = fmt(T.waitingN, { n: s.waiting });
  }
}

async function askTransfer() {
  $("transfer-number").textContent = snap.current.number;
  const note = $("dlg-transfer").querySelector("input[name=note]");
  note.value = "";
  await showTransferTargets();
  const choice = await openDialog("dlg-transfer", (value, form) => [value, form.elements.note.value.trim()]);
  if (!choice || !choice[0] || !choice[0].includes(":")) return;
  const [kind, target] = choice[0].split(":");
  const body = kind === "counter" ? { counter: Number(target) } : { service: target };
  if (choice[1]) body.note = choice[1];
  const number = snap.current.number;
  await ticketAction("transfer", body);
  toast(fmt(T.transferred, { number }));
}

async function askPause() {
  const reason = await openDialog("dlg-pause", (_, form) => form.elements.reason.value.trim());
  if (reason !== undefined) await counterAction("pause", { reason });
}

const ACTIONS = {
  next: callNext,
  call: askCall,
  recall: () => ticketAction("recall"),
  start: () => ticketAction("start"),
  finish: askFinish,
  noshow: async () => {
    const number = snap.current.number;
    await ticketAction("no-show");
    toast(fmt(T.noshowDone, { number }));
  },
  transfer: askTransfer,
  reprint: async () => {
    const number = snap.current.number;
    await api("POST", `/api/v1/tickets/${snap.current.id}/reprint`, {}, newKey());
    toast(fmt(T.reprinted, { number }));
  },
  dossier: async () => {
    window.open(`/admin/dossiers/new?ticket=${snap.current.id}`, "_blank", "noopener");
  },
  pause: askPause,
  resume: () => counterAction("resume"),
  open: take,
  close: () => counterAction("close"),
};

const KEYS = {
  n: "next", g: "call", r: "recall", s: "start", f: "finish", v: "noshow", t: "transfer", h: "dossier",
  i: "reprint", o: "open",
};

function trigger(action) {
  const can = legal();
  if (busy || !snap || !can[action]) return false;
  act(ACTIONS[action]);
  return true;
}

for (const button of document.querySelectorAll("[data-action]")) {
  button.addEventListener("click", () => trigger(button.dataset.action));
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
  if (document.querySelector("dialog[open]")) return;
  const tag = event.target && event.target.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
  const key = event.key.toLowerCase();
  let action = KEYS[key];
  if (key === "p") action = snap && snap.counter.state === "paused" ? "resume" : "pause";
  if (action && trigger(action)) event.preventDefault();
});

// --- live updates -------------------------------------------------------------------------------

function setConnection(state) {
  const conn = $("conn");
  conn.dataset.state = state;
  $("conn-text").textContent = T[state];
  document.body.classList.toggle("offline", state === "offline");
}

/** Printer trouble at a kiosk is shown to staff until the printer is back and has printed all. */
function showPrinterStatus(ev) {
  const box = $("printer-status");
  const name = ev.printer || "";
  const n = ev.pending_jobs || 0;
  let text = "";
  if (ev.state === "paper_out") text = fmt(T.printer_paper_out, { name });
  else if (ev.state === "paper_low") text = fmt(T.printer_paper_low, { name });
  else if (ev.state === "offline") text = fmt(T.printer_offline, { name, n });
  else if (n > 0) text = fmt(T.printer_pending, { name, n });
  box.textContent = text;
  box.hidden = !text;
  box.dataset.state = ev.state;
}

function connect() {
  const events = { printer_status: showPrinterStatus };
  for (const name of [
    "queue_changed",
    "ticket_issued",
    "ticket_updated",
    "counter_changed",
    "ticket_called",
    "ticket_recalled",
  ]) {
    events[name] = scheduleRefresh;
  }
  // The session cookie says who is asking; {"counter": n} picks the counter's rooms.
  window.lobbySocket = connectLive({
    auth: { counter: N },
    options: KEEP_TRYING,
    onSnapshot: (data) => {
      setConnection("live");
      if (busy) return; // the action reloads the queue when it is done
      snap = data;
      render();
      // The server may have taken this snapshot before a just-finished action: check again.
      if (Date.now() - lastActionAt < 5000) scheduleRefresh();
    },
    onDisconnect: () => setConnection("offline"),
    onConnectError: (err) => {
      setConnection("offline");
      if (err && err.data && err.data.error === "unauthorized") sessionExpired();
    },
    // Refused by the server: the client library stops; keep trying, slowly.
    retryRefused: 5000,
    events,
  });
}

window.addEventListener("focus", () => {
  if (snap) scheduleRefresh();
});

render();
(async () => {
  refresh(true); // show the lines at once, even while the take-over question is open
  if (!DATA.held_by_me) {
    try {
      await take();
    } catch (err) {
      showError(err);
    }
  }
  await refresh();
  connect();
})();
