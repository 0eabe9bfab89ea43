// The lobby board: renders the server's snapshot on every (re)connect, then applies live events.
// While disconnected the numbers are greyed and a badge says so: never stale numbers as if live.
import { Announcer } from "./announcer.js";

const $ = (id) => document.getElementById(id);
const frame = $("board");
const TEXT = JSON.parse($("board-text").textContent);
const TZ = frame.dataset.timezone || "Asia/Ho_Chi_Minh";
const FLASH_MS = 8000; // how long a new call stays highlighted
const RECENT_SHOWN = 6;
const CONNECT_GRACE_MS = 4000; // before the first connection, "connecting" is not yet "offline"

// Calls as they arrived ({number, counter, recall}), for people and tests checking the order.
window.lobbyCalls = [];

let state = null;
let clockOffset = 0;
const flashTimers = new Map();

// --- sound ------------------------------------------------------------------------------------

const soundOff = $("sound-off");
const announcer = new Announcer({
  onStart: (item) => showCallout(item.number, item.counter),
  onBlocked: () => {
    soundOff.hidden = false;
  },
  onUnblocked: () => {
    soundOff.hidden = true;
  },
});
window.lobbyAnnouncer = announcer;
const enableSound = () => announcer.unblock();
soundOff.addEventListener("click", enableSound);
// Any tap on the TV counts: the notice asks for one, the whole screen accepts it.
document.addEventListener("pointerdown", enableSound);
document.addEventListener("keydown", enableSound);

const preload = (frame.dataset.preload || "").split(" ").filter(Boolean);
announcer.preload(preload);
const silence = preload.find((url) => url.endsWith("/pause"));
if (silence) {
  announcer.probe(silence).then((allowed) => {
    if (!allowed && !announcer.blocked) {
      announcer.blocked = true;
      soundOff.hidden = false;
    }
  });
}

// --- state ------------------------------------------------------------------------------------

function applySnapshot(snap) {
  const counters = new Map();
  for (const c of snap.counters || []) counters.set(c.number, { ...c });
  const serving = new Map((snap.now_serving || []).map((s) => [s.counter.number, s]));
  for (const [number, c] of counters) {
    const s = serving.get(number);
    if (s) c.current = s.number;
  }
  state = {
    office: snap.office || {},
    services: snap.services || [],
    waiting: { ...(snap.waiting || {}) },
    counters,
    // Only calls at this board's counters: a board limited to some counters shows just those.
    recent: (snap.recent || []).filter((r) => r.counter && counters.has(r.counter.number)),
  };
  if (snap.now) {
    const offset = Date.parse(snap.now) - Date.now();
    clockOffset = Math.abs(offset) > 2000 ? offset : 0;
  }
  render();
  if (!announcer.busy) {
    const last = state.recent[0];
    showCallout(last ? last.number : null, last ? last.counter.number : null);
  }
}

function onCall(ev, recall) {
  if (!state || !ev || !ev.counter) return;
  const counter = state.counters.get(ev.counter.number);
  if (!counter) return; // a counter this board does not show
  counter.current = ev.number;
  state.recent = [
    { number: ev.number, service: ev.service, counter: ev.counter, called_at: ev.called_at },
    ...state.recent.filter((r) => r.number !== ev.number),
  ].slice(0, 10);
  window.lobbyCalls.push({ number: ev.number, counter: ev.counter.number, recall });
  render();
  flashRow(ev.counter.number);
  const audio = (ev.announcement && ev.announcement.audio) || [];
  announcer.enqueue({ urls: audio, number: ev.number, counter: ev.counter.number });
  if (announcer.blocked) showCallout(ev.number, ev.counter.number);
}

function onCounterChanged(ev) {
  if (!state || !ev) return;
  const number = ev.number ?? ev.counter;
  const counter = state.counters.get(number);
  if (!counter) return;
  Object.assign(counter, ev, { number });
  render();
}

function onWaiting(ev) {
  if (!state || !ev || !(ev.service in state.waiting)) return;
  state.waiting[ev.service] = ev.waiting;
  renderWaiting();
}

// --- rendering --------------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function render() {
  if (!state) return;
  $("office-authority").textContent = state.office.parent_authority || "";
  $("office-name").textContent = state.office.name || "";
  $("office-hours").textContent = state.office.hours || TEXT.noHours;
  $("office-hotline").textContent = state.office.hotline || "";
  renderServing();
  renderRecent();
  renderWaiting();
}

function caption(counter) {
  const names = new Map(state.services.map((s) => [s.code, s.name]));
  return (counter.services || [])
    .map((code) => names.get(code))
    .filter(Boolean)
    .join(" · ");
}

function renderServing() {
  const list = $("serving-rows");
  const shown = [...state.counters.values()]
    .filter((c) => c.state === "open" || c.state === "paused" || c.current)
    .sort((a, b) => a.number - b.number);
  const keep = new Set(shown.map((c) => String(c.number)));
  for (const row of [...list.children]) {
    if (!keep.has(row.dataset.counter)) row.remove();
  }
  const scale = shown.length <= 5 ? 1 : Math.max(0.42, 5 / shown.length);
  list.style.setProperty("--scale", String(scale));
  let previous = null;
  for (const c of shown) {
    let row = list.querySelector(`li[data-counter="${c.number}"]`);
    if (!row) {
      row = el("li");
      row.dataset.counter = String(c.number);
      row.append(el("span", "num"));
      const ctr = el("span", "ctr");
      ctr.append(el("b", "ctr-num"), el("span", "ctr-caption"));
      row.append(ctr);
    }
    const paused = c.state === "paused";
    row.classList.toggle("is-paused", paused);
    row.classList.toggle("idle", !paused && !c.current);
    row.querySelector(".num").textContent = paused ? TEXT.paused : c.current || TEXT.idle;
    row.querySelector(".ctr-num").textContent = String(c.number);
    const cap = row.querySelector(".ctr-caption");
    cap.replaceChildren();
    if (c.priority) cap.append(el("span", "badge-priority", TEXT.priority));
    else cap.textContent = caption(c);
    // Move a row only when the order changed: moving restarts its highlight animation.
    const wantedAfter = previous ? previous.nextSibling : list.firstChild;
    if (row !== wantedAfter) list.insertBefore(row, wantedAfter);
    previous = row;
  }
  $("serving-empty").hidden = shown.length > 0;
}

function renderRecent() {
  const list = $("recent-list");
  list.replaceChildren();
  for (const r of state.recent.slice(0, RECENT_SHOWN)) {
    const li = el("li");
    li.append(el("span", "r-num", r.number), el("span", "r-ctr", `${TEXT.counter} ${r.counter.number}`));
    list.append(li);
  }
  if (!state.recent.length) list.append(el("li", "recent-empty", TEXT.idle));
}

function renderWaiting() {
  const list = $("waiting-list");
  list.replaceChildren();
  list.dataset.cols = state.services.length > 8 ? "3" : "2";
  for (const s of state.services) {
    if (!(s.code in state.waiting)) continue;
    const li = el("li");
    li.dataset.service = s.code;
    const prefix = el("span", "prefix", s.prefix);
    if (s.color) prefix.style.setProperty("--field", s.color);
    li.append(prefix, el("span", "name", s.name), el("span", "count", String(state.waiting[s.code])));
    list.append(li);
  }
}

function flashRow(counterNumber) {
  const row = $("serving-rows").querySelector(`li[data-counter="${counterNumber}"]`);
  if (!row) return;
  row.classList.remove("flash");
  void row.offsetWidth; // restart the blink when the same counter calls again
  row.classList.add("flash");
  clearTimeout(flashTimers.get(counterNumber));
  flashTimers.set(
    counterNumber,
    setTimeout(() => row.classList.remove("flash"), FLASH_MS),
  );
}

let calloutTimer = null;
function showCallout(number, counterNumber) {
  const box = $("callout");
  $("callout-number").textContent = number || TEXT.idle;
  $("callout-counter").textContent = counterNumber ? String(counterNumber) : TEXT.idle;
  if (!number) return;
  box.classList.remove("flash");
  void box.offsetWidth;
  box.classList.add("flash");
  clearTimeout(calloutTimer);
  calloutTimer = setTimeout(() => box.classList.remove("flash"), FLASH_MS);
}

// --- clock ------------------------------------------------------------------------------------

const dateParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: TZ,
  weekday: "short",
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});
const WEEKDAY = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function tick() {
  const parts = Object.fromEntries(
    dateParts.formatToParts(new Date(Date.now() + clockOffset)).map((p) => [p.type, p.value]),
  );
  const weekday = TEXT.weekdays[WEEKDAY[parts.weekday]] || "";
  $("clock-date").textContent = `${weekday}, ${parts.day}/${parts.month}/${parts.year}`;
  $("clock-time").textContent = `${parts.hour}:${parts.minute}:${parts.second}`;
}
tick();
setInterval(tick, 1000);

// --- connection -------------------------------------------------------------------------------

function setLive(live) {
  document.body.classList.remove("connecting");
  document.body.classList.toggle("offline", !live);
  $("offline-badge").hidden = live;
}

applySnapshot(JSON.parse($("initial-snapshot").textContent));
setTimeout(() => {
  if (document.body.classList.contains("connecting")) setLive(false);
}, CONNECT_GRACE_MS);

// The pairing cookie authenticates the socket; reconnection never gives up.
const socket = window.io({
  reconnection: true,
  reconnectionAttempts: Infinity,
  reconnectionDelay: 500,
  reconnectionDelayMax: 4000,
  randomizationFactor: 0.3,
  timeout: 8000,
});
window.lobbySocket = socket;

socket.on("snapshot", (snap) => {
  applySnapshot(snap);
  setLive(true);
});
socket.on("disconnect", (reason) => {
  setLive(false);
  // A server-side disconnect is not retried by the client library: retry ourselves.
  if (reason === "io server disconnect") setTimeout(() => socket.connect(), 2000);
});
socket.on("connect_error", () => {
  setLive(false);
  // Refused by the server (e.g. while it restarts its database): keep trying, slowly.
  if (!socket.active) setTimeout(() => socket.connect(), 5000);
});
socket.on("ticket_called", (ev) => onCall(ev, false));
socket.on("ticket_recalled", (ev) => onCall(ev, true));
socket.on("counter_changed", onCounterChanged);
socket.on("queue_changed", onWaiting);
socket.on("ticket_issued", onWaiting);
