// The ticket kiosk: field → priority question → ticket. A module (why: /static/js/live.js), no
// build step.
// Rules it keeps: feedback at once on touch; one Idempotency-Key per choice, reused by every
// retry, so a double tap or a retried request never issues two tickets; kind messages, never
// a blank screen; back to the start after a short idle time.
import { $, connectLive, csrfToken, fmt, newKey, sleep } from "/static/js/live.js";

const app = document.querySelector(".kiosk-app");
const cfg = JSON.parse($("kiosk-config").textContent);
const S = cfg.strings;
const csrf = csrfToken();
const allowed = new Set(cfg.fields);

let services = new Map();
let tileCodes = "";
let chosen = null; // the field picked on the start screen
// The optional phone number for a text near the turn: only when the office has a gateway.
const smsPhone = document.getElementById("sms-phone");
const keys = new Map(); // "field|priority" → Idempotency-Key, for this visitor only
let busy = false;
let reloadOnHome = false;
let idleTimer = 0;
let countdownTimer = 0;
let probeTimer = 0;
let posting = false; // a ticket request (or its retries) is running
let chosenPriority = ""; // the priority group of the ticket being issued ("" for none)

// A tile's colour, darkened until its white text reaches WCAG AA (4.5:1): an office may
// pick any colour in setup, and an orange tile with white text is unreadable (2.9:1).
function readable(color) {
  const m = /^#?([0-9a-f]{6})$/i.exec(color || "");
  let rgb = m ? [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16)) : [13, 71, 161];
  const lum = (c) => {
    const [r, g, b] = c.map((v) => {
      const x = v / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  while (1.05 / (lum(rgb) + 0.05) < 4.6) rgb = rgb.map((v) => Math.floor(v * 0.94));
  return `rgb(${rgb.join(", ")})`;
}

async function fetchWithTimeout(url, options, ms) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), ms);
  try {
    return await fetch(url, { credentials: "same-origin", ...options, signal: ctrl.signal });
  } finally {
    clearTimeout(timer);
  }
}

// --- screens and idle time ----------------------------------------------------------------

function show(name) {
  for (const el of document.querySelectorAll(".screen")) {
    const on = el.id === `screen-${name}`;
    el.hidden = !on;
    el.classList.toggle("is-active", on);
    if (on && name !== "start") {
      el.classList.add("entering");
      setTimeout(() => el.classList.remove("entering"), 350);
    }
  }
  app.dataset.screen = name;
  armIdle();
}

function armIdle() {
  clearTimeout(idleTimer);
  clearInterval(countdownTimer);
  const screen = app.dataset.screen;
  if (screen === "start" || posting) {
    renderCountdown(null);
    // Left in English, the kiosk goes back to Vietnamese for the next citizen.
    if (screen === "start" && cfg.lang !== "vi" && !posting) idleTimer = setTimeout(goHome, 60000);
    return;
  }
  // Reading what to bring takes longer than reading a number; the ticket stays longest
  // (an office setting, at least 30 s): older citizens read the number and the QR slowly.
  const seconds =
    screen === "priority" || screen === "procedures"
      ? cfg.choice_idle_seconds
      : screen === "result" || screen === "message"
        ? cfg.result_seconds
        : cfg.idle_seconds;
  let left = seconds;
  renderCountdown(left);
  countdownTimer = setInterval(() => {
    left -= 1;
    renderCountdown(Math.max(left, 0));
  }, 1000);
  idleTimer = setTimeout(goHome, seconds * 1000);
}

function renderCountdown(seconds) {
  for (const el of document.querySelectorAll("[data-countdown]")) {
    const shown = seconds !== null && el.closest(".screen.is-active");
    el.textContent = shown ? fmt(S.countdown, { s: seconds }) : "";
  }
}

function goHome() {
  if (posting) return;
  if (cfg.lang !== "vi") {
    window.location.replace("/kiosk?lang=vi"); // the next citizen starts in Vietnamese
    return;
  }
  if (reloadOnHome) {
    document.body.textContent = S.reloading;
    window.location.reload();
    return;
  }
  chosen = null;
  keys.clear();
  if (smsPhone) smsPhone.value = ""; // the next citizen never sees this one's number
  setBusy(false);
  show("start");
  refreshServices();
}

function setBusy(on, button) {
  busy = on;
  app.classList.toggle("busy", on);
  for (const b of app.querySelectorAll(".btn")) {
    if (on) {
      b.dataset.wasDisabled = b.disabled ? "1" : "";
      b.disabled = true;
    } else if (b.dataset.wasDisabled !== undefined) {
      b.disabled = b.dataset.wasDisabled === "1";
      delete b.dataset.wasDisabled;
    }
    if (!on) b.classList.remove("is-loading");
  }
  if (on && button) button.classList.add("is-loading");
}

function setOffline(on) {
  $("offline").hidden = !on;
}

function showMessage(text) {
  $("message-text").textContent = text || S.unknown_error;
  show("message");
}

// --- fields -------------------------------------------------------------------------------

function closedReason(s) {
  if (s.open) return "";
  return s.daily_limit_left === 0 ? S.limit_reached : S.closed_now;
}

// Outside hours every field is closed at once: say why once, in full, under the greeting.
function renderNotice(shown) {
  const outside = shown.length > 0 && shown.every((s) => !s.open) &&
    shown.some((s) => s.daily_limit_left !== 0);
  $("notice").hidden = !outside;
  $("prompt").hidden = outside;
}

function buildTile(s) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "btn tile";
  b.dataset.code = s.code;
  b.style.setProperty("--c", s.color || "#0d47a1");
  for (const [cls, text] of [
    ["tile-prefix", s.prefix],
    ["tile-name", s.name],
    ["tile-wait", ""],
    ["tile-closed", ""],
    ["spinner", ""],
  ]) {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    if (cls === "tile-prefix" || cls === "spinner") span.setAttribute("aria-hidden", "true");
    b.appendChild(span);
  }
  return b;
}

function layoutTiles(n) {
  const portraitCols = n <= 8 ? 2 : 3;
  const landscapeCols = n <= 8 ? 4 : 5;
  app.style.setProperty("--cols-p", portraitCols);
  app.style.setProperty("--rows-p", Math.max(1, Math.ceil(n / portraitCols)));
  app.style.setProperty("--cols-l", landscapeCols);
  app.style.setProperty("--rows-l", Math.max(1, Math.ceil(n / landscapeCols)));
  // Squarer landscape screens (5:4, 4:3; kiosk.css): a grid closer to square.
  const squareCols = n <= 4 ? 2 : n <= 9 ? 3 : 4;
  app.style.setProperty("--cols-s", squareCols);
  app.style.setProperty("--rows-s", Math.max(1, Math.ceil(n / squareCols)));
}

function renderServices(list) {
  const shown = list
    .filter((s) => allowed.has(s.code))
    .map((s) => (cfg.lang === "en" && s.name_en ? { ...s, name: s.name_en } : s));
  services = new Map(shown.map((s) => [s.code, s]));
  const codes = shown.map((s) => s.code).join(",");
  const grid = $("tiles");
  if (codes !== tileCodes) {
    if (tileCodes !== "" || grid.children.length !== shown.length) {
      grid.replaceChildren(...shown.map(buildTile));
    } else {
      // The page's own tiles: colour them here (no style= attribute under the CSP).
      for (const tile of grid.children) {
        const s = services.get(tile.dataset.code);
        if (s) tile.style.setProperty("--c", s.color || "#0d47a1");
      }
    }
    layoutTiles(shown.length);
    tileCodes = codes;
  }
  for (const s of shown) updateTile(s);
  renderNotice(shown);
}

function updateTile(s) {
  const tile = $("tiles").querySelector(`[data-code="${CSS.escape(s.code)}"]`);
  if (!tile) return;
  const reason = closedReason(s);
  tile.style.setProperty("--c", readable(s.color));
  tile.classList.toggle("is-closed", Boolean(reason));
  if (busy) tile.dataset.wasDisabled = reason ? "1" : "";
  else tile.disabled = Boolean(reason);
  tile.setAttribute("aria-disabled", reason ? "true" : "false");
  tile.querySelector(".tile-wait").textContent = fmt(S.waiting, { n: s.waiting });
  tile.querySelector(".tile-closed").textContent = reason;
}

function setWaiting(code, waiting) {
  const s = services.get(code);
  if (!s || typeof waiting !== "number") return;
  s.waiting = waiting;
  updateTile(s);
}

async function refreshServices() {
  try {
    const r = await fetchWithTimeout("/api/v1/services", { headers: { Accept: "application/json" } }, 5000);
    if (!r.ok) return false;
    const data = await r.json();
    renderServices(data.services || []);
    return true;
  } catch (e) {
    return false;
  }
}

// --- choosing and issuing -----------------------------------------------------------------

function choose(code) {
  const s = services.get(code);
  if (!s || !s.open) return;
  chosen = s;
  for (const id of ["chosen", "procedures"]) {
    $(`${id}-field`).style.setProperty("--c", readable(s.color));
    $(`${id}-prefix`).textContent = s.prefix;
    $(`${id}-name`).textContent = s.name;
  }
  show("priority");
}

// --- what to bring ------------------------------------------------------------------------

const UNIT = { working_day: S.unit_day, working_hour: S.unit_hour };

async function showProcedures() {
  if (!chosen) return;
  const box = $("procedures");
  box.textContent = "";
  show("procedures");
  let list = [];
  try {
    const r = await fetchWithTimeout(`/api/v1/procedures?service=${encodeURIComponent(chosen.code)}`, {}, 5000);
    if (r.ok) list = (await r.json()).procedures;
  } catch (e) {
    /* offline: the empty panel says so below */
  }
  if (!list.length) {
    box.append(Object.assign(document.createElement("p"), { className: "proc-empty", textContent: S.no_procedures }));
    return;
  }
  for (const p of list) {
    const item = document.createElement("article");
    item.className = "proc";
    const h = document.createElement("h2");
    h.textContent = p.name;
    const meta = document.createElement("p");
    meta.className = "proc-meta";
    const time = p.deadline.unit === "same_day" ? S.same_day : `${p.deadline.value} ${UNIT[p.deadline.unit] || ""}`;
    meta.textContent = [time, p.fee].filter(Boolean).join(" · ");
    const ul = document.createElement("ul");
    for (const c of p.components || []) {
      const li = document.createElement("li");
      li.textContent = c.name;
      ul.append(li);
    }
    item.append(h, meta, ul);
    box.append(item);
  }
}

async function issue(priority, button) {
  if (busy || posting || !chosen) return;
  chosenPriority = priority || "";
  const phone = smsPhone ? smsPhone.value.trim() : "";
  const choice = `${chosen.code}|${priority}|${phone}`;
  if (!keys.has(choice)) keys.set(choice, newKey());
  const key = keys.get(choice);
  const body = JSON.stringify({
    service: chosen.code,
    priority: priority || null,
    ...(phone ? { phone } : {}), // optional: texted near the turn (lobby.notify)
  });
  posting = true;
  requestedAt = Date.now();
  setBusy(true, button);
  armIdle();
  const started = Date.now();
  let outcome = null;
  for (let attempt = 1; ; attempt++) {
    let res = null;
    let data = null;
    try {
      res = await fetchWithTimeout(
        "/api/v1/tickets",
        {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json",
            "Idempotency-Key": key,
            "X-CSRF-Token": csrf,
          },
          body,
        },
        10000,
      );
      data = await res.json().catch(() => null);
    } catch (e) {
      res = null;
    }
    if (res && data && (res.status < 500 || attempt >= 3)) {
      outcome = { status: res.status, data };
      break;
    }
    // Unreachable, timed out, or a passing server error: the same key makes a retry safe.
    setOffline(res === null);
    if (Date.now() - started > 45000) break;
    await sleep(Math.min(1000 * attempt, 5000));
  }
  posting = false;
  setBusy(false);
  setOffline(false);
  if (outcome === null) {
    showMessage(S.gave_up || S.offline);
    startProbe();
    return;
  }
  if (outcome.status >= 200 && outcome.status < 300) {
    keys.delete(choice);
    showResult(outcome.data);
    return;
  }
  handleError(outcome.status, outcome.data);
}

function handleError(status, data) {
  if (status === 401 || status === 403) reloadOnHome = true; // unpaired, or the page is stale
  showMessage(data && data.message);
  if (status === 409) refreshServices(); // closed or out of numbers: grey the tile out
}

function showResult(t) {
  const field = services.get(t.service);
  $("result-number").textContent = t.number;
  $("result-field").textContent = fmt(S.field, { name: (field && field.name) || t.service_name || "" });
  $("result-ahead").textContent = fmt(S.ahead, { n: t.ahead });
  $("result-eta").textContent =
    t.ahead > 0 && t.eta_minutes > 0 ? fmt(S.eta, { m: t.eta_minutes }) : S.next_up;
  $("result-qr").src = `/kiosk/qr.svg?token=${encodeURIComponent(t.token)}`;
  // A priority ticket says so, as the paper does: staff at the counter look for it.
  const mark = $("result-priority");
  mark.hidden = !chosenPriority;
  mark.textContent = chosenPriority
    ? fmt(S.priority, { group: cfg.priorities[chosenPriority] || "" })
    : "";
  printStatus = (t.print && t.print.status) || "none";
  if (printStatus === "queued" && printer && troubleOf(printer.state)) {
    printStatus = troubleOf(printer.state);
  } else if (printStatus === "queued" && printer && printerSeenAt >= requestedAt && printer.pending_jobs === 0) {
    printStatus = "printed"; // the printer emptied its queue before the answer reached us
  }
  renderPrint();
  // A print takes well under a second; the worker reports trouble (paper out, offline), but
  // not always a job that went through. No trouble within a few seconds: the slip is out.
  clearTimeout(printTimer);
  printTimer = setTimeout(() => {
    if (printStatus !== "queued") return;
    printStatus = "printed";
    renderPrint();
  }, PRINT_SETTLE_MS);
  show("result");
}

// --- the ticket printer -------------------------------------------------------------------

const troubleOf = (state) =>
  state === "paper_out" ? "failed" : state === "offline" ? "offline" : null;
let printer = null; // the last printer_status of this kiosk's printer
let printerSeenAt = 0; // when it arrived (Date.now())
let printTimer = 0;
const PRINT_SETTLE_MS = 3000;
let requestedAt = 0; // when the ticket on screen was asked for
let printStatus = "none"; // of the ticket on screen: queued | printed | failed | offline | none

// One print message at a time: printing, then "take your ticket"; or the trouble; or,
// with no printer, "remember your number".
function renderPrint() {
  const trouble = printStatus === "failed" || printStatus === "offline";
  const status = $("print-status");
  status.classList.toggle("is-failed", trouble);
  status.textContent =
    printStatus === "queued"
      ? S.printing
      : printStatus === "failed"
        ? S.paper_out
        : printStatus === "offline"
          ? S.printer_offline
          : "";
  $("take-ticket").textContent =
    printStatus === "printed" ? S.take_ticket : printStatus === "none" ? S.remember_number : "";
}

function onPrinterStatus(ev) {
  printer = ev;
  printerSeenAt = Date.now();
  if (app.dataset.screen !== "result" || printStatus !== "queued") return;
  if (troubleOf(ev.state)) printStatus = troubleOf(ev.state);
  else if (ev.pending_jobs === 0) printStatus = "printed"; // our job left the queue
  renderPrint();
}

// --- touch --------------------------------------------------------------------------------

function clearPressed() {
  for (const b of app.querySelectorAll(".btn.pressed")) b.classList.remove("pressed");
}

app.addEventListener("pointerdown", (ev) => {
  armIdle();
  const b = ev.target.closest(".btn");
  if (b && !b.disabled) b.classList.add("pressed"); // feedback before the finger lifts
});
for (const type of ["pointerup", "pointercancel", "pointerleave"]) {
  app.addEventListener(type, clearPressed);
}
app.addEventListener("click", (ev) => {
  const b = ev.target.closest(".btn");
  clearPressed();
  if (!b || b.disabled || busy) return;
  if (b.classList.contains("tile")) choose(b.dataset.code);
  else if (b.dataset.priority !== undefined) issue(b.dataset.priority, b);
  else if (b.dataset.action === "back") goHome();
  else if (b.dataset.action === "procedures") showProcedures();
  else if (b.dataset.action === "to-priority") show("priority");
  else if (b.dataset.action === "home") goHome();
});
document.addEventListener("contextmenu", (ev) => ev.preventDefault());

// --- live counts --------------------------------------------------------------------------

function startProbe() {
  if (probeTimer) return;
  const probe = async () => setOffline(!(await refreshServices()));
  probe();
  probeTimer = setInterval(probe, 3000);
}

function stopProbe() {
  clearInterval(probeTimer);
  probeTimer = 0;
}

const socket = connectLive({
  options: { reconnectionDelay: 1000, reconnectionDelayMax: 5000 },
  onConnect: () => {
    stopProbe();
    setOffline(false);
    refreshServices(); // counts may have moved while we were away
  },
  onDisconnect: () => startProbe(),
  onConnectError: (err) => {
    startProbe();
    // The server refused this device (revoked?): reload later to show the pairing page.
    if (err && err.data) setTimeout(() => window.location.reload(), 30000);
  },
  onSnapshot: (snap) => {
    if (snap && Array.isArray(snap.services_list)) renderServices(snap.services_list);
  },
  events: {
    queue_changed: (ev) => setWaiting(ev.service, ev.waiting),
    ticket_issued: (ev) => setWaiting(ev.service, ev.waiting),
    printer_status: onPrinterStatus,
  },
});
if (!socket) startProbe();

// Opening hours change during the day: refresh the tiles now and then even when all is quiet.
setInterval(refreshServices, 60000);

renderServices(cfg.services);
show("start");
