// The lobby board: renders the server's snapshot on every (re)connect, then applies live events.
// While disconnected the numbers are greyed and a badge says so: never stale numbers as if live.
import { $, connectLive, el, KEEP_TRYING, noteServerTime, serverNow } from "/static/js/live.js";
import { Announcer } from "./announcer.js";

const frame = $("board");
const TEXT = JSON.parse($("board-text").textContent);
const TZ = frame.dataset.timezone || "Asia/Ho_Chi_Minh";
const FLASH_MS = 8000; // how long a new call stays highlighted
const RECENT_SHOWN = 4;
const ONE_COLUMN_ROWS = 5; // more counters than this: two columns of rows
const CONNECT_GRACE_MS = 4000; // before the first connection, "connecting" is not yet "offline"

// Calls as they arrived ({number, counter, recall}), for people and tests checking the order.
window.lobbyCalls = [];

let state = null;
let callSeq = 0; // calls in the order they arrived: a later call is newer than any snapshot's
let speaking = { number: null, counter: null }; // the call being read out (while announcer.busy)
const flashTimers = new Map();

// --- sound ------------------------------------------------------------------------------------

const soundOff = $("sound-off");
const announcer = new Announcer({
  // The callout follows the voice, but only while that counter still holds the number.
  onStart: (item) => {
    speaking = { number: item.number, counter: item.counter };
    if (invites(item.counter, item.number)) showCallout(item.number, item.counter);
    else showNewestHeld();
  },
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
  for (const c of snap.counters || []) counters.set(c.number, { ...c, seq: 0 });
  const serving = new Map((snap.now_serving || []).map((s) => [s.counter.number, s]));
  for (const [number, c] of counters) {
    const s = serving.get(number);
    if (s) {
      c.current = s.number;
      c.current_called_at = c.current_called_at || s.called_at;
    }
  }
  state = {
    office: snap.office || {},
    services: snap.services || [],
    waiting: { ...(snap.waiting || {}) },
    counters,
    // Only calls at this board's counters: a board limited to some counters shows just those.
    recent: (snap.recent || []).filter((r) => r.counter && counters.has(r.counter.number)),
    // The next numbers each open counter will call (the server's call order), by counter number.
    next: { ...(snap.next || {}) },
    announcement: snap.announcement || "",
  };
  if (snap.now) noteServerTime(Date.parse(snap.now));
  render();
  if (!announcer.busy) {
    // The server's own choice ("callout": the newest call an open counter still holds), so a
    // reconnect shows what the events showed; derived here for a server that does not send it.
    const call = "callout" in snap ? snap.callout : newestHeldCall();
    setCallout(call ? call.number : null, call ? call.counter.number : null);
  } else {
    refreshCallout();
  }
}

function onCall(ev, recall) {
  if (!state || !ev || !ev.counter) return;
  const counter = state.counters.get(ev.counter.number);
  if (!counter) return; // a counter this board does not show
  counter.current = ev.number;
  counter.current_called_at = ev.called_at;
  counter.seq = ++callSeq;
  state.recent = [
    { number: ev.number, service: ev.service, counter: ev.counter, called_at: ev.called_at },
    ...state.recent.filter((r) => r.number !== ev.number),
  ].slice(0, 10);
  window.lobbyCalls.push({ number: ev.number, counter: ev.counter.number, recall });
  render();
  flashRow(ev.counter.number, ev.number);
  const audio = (ev.announcement && ev.announcement.audio) || [];
  announcer.enqueue({ urls: audio, number: ev.number, counter: ev.counter.number });
  if (announcer.blocked && invites(ev.counter.number, ev.number)) {
    showCallout(ev.number, ev.counter.number);
  }
}

function onCounterChanged(ev) {
  if (!state || !ev) return;
  const number = ev.number ?? ev.counter;
  const counter = state.counters.get(number);
  if (!counter) return;
  const before = counter.current;
  Object.assign(counter, ev, { number });
  // A number the board did not hear being called is ordered by the server's exact time.
  if (counter.current !== before) counter.seq = 0;
  render();
  refreshCallout();
}

function onWaiting(ev) {
  if (!state || !ev) return;
  if (ev.next) {
    state.next = { ...ev.next }; // every open counter's, read after the change
    renderServing();
  }
  if (!(ev.service in state.waiting)) return;
  state.waiting[ev.service] = ev.waiting;
  renderWaiting();
}

// --- what the counters hold now ----------------------------------------------------------------

/** Whether this counter invites this number right now: it holds it and is open. */
function invites(counterNumber, number) {
  const c = state && state.counters.get(counterNumber);
  return Boolean(c && number && c.state === "open" && c.current === number);
}

/** The newest call an open counter still holds: the same rule as the server's `callout` (its
 * times are to the microsecond, in the office's time zone, so they compare as text; a tie goes to
 * the lower counter number), except that calls heard live are newer, in the order they came. */
function newestHeldCall() {
  let best = null;
  for (const c of state.counters.values()) {
    if (!invites(c.number, c.current)) continue;
    const key = [c.seq || 0, c.current_called_at || ""];
    const newer = !best || key[0] > best.key[0] || (key[0] === best.key[0] && key[1] > best.key[1]);
    if (newer) best = { number: c.current, counter: { number: c.number }, key };
  }
  return best;
}

// --- rendering --------------------------------------------------------------------------------

function render() {
  if (!state) return;
  $("office-authority").textContent = state.office.parent_authority || "";
  $("office-name").textContent = state.office.name || "";
  $("office-hours").textContent = state.office.hours || TEXT.noHours;
  $("office-hotline").textContent = state.office.hotline || "";
  $("announcement-text").textContent = state.announcement;
  $("announcement").hidden = !state.announcement;
  frame.classList.toggle("has-notice", Boolean(state.announcement));
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
    .filter((c) => c.state === "open" || c.state === "paused")
    .sort((a, b) => a.number - b.number);
  const keep = new Set(shown.map((c) => String(c.number)));
  for (const row of [...list.children]) {
    if (!keep.has(row.dataset.counter)) row.remove();
  }
  // Up to five counters in one column; up to ten in two at the same size; beyond, smaller.
  const dense = shown.length > ONE_COLUMN_ROWS;
  const perColumn = dense ? Math.ceil(shown.length / 2) : ONE_COLUMN_ROWS;
  list.closest(".serving").classList.toggle("dense", dense);
  list.style.setProperty("--rows", String(Math.max(perColumn, 1)));
  list.style.setProperty("--scale", String(Math.min(1, ONE_COLUMN_ROWS / perColumn)));
  let previous = null;
  for (const c of shown) {
    let row = list.querySelector(`li[data-counter="${c.number}"]`);
    if (!row) {
      row = el("li");
      row.dataset.counter = String(c.number);
      row.append(el("span", "num big"));
      const ctr = el("span", "ctr");
      ctr.append(el("b", "ctr-num big"), el("span", "ctr-caption"));
      row.append(ctr, el("span", "next"));
    }
    const paused = c.state === "paused";
    // A highlight belongs to a number: it goes the moment the counter no longer invites it.
    if (row.dataset.flash && !invites(c.number, row.dataset.flash)) stopFlash(row, c.number);
    row.classList.toggle("is-paused", paused);
    row.classList.toggle("idle", !paused && !c.current);
    row.classList.toggle("priority", Boolean(c.priority));
    row.querySelector(".num").textContent = paused ? TEXT.paused : c.current || TEXT.idle;
    row.querySelector(".ctr-num").textContent = String(c.number);
    const cap = row.querySelector(".ctr-caption");
    cap.replaceChildren();
    if (c.priority) cap.append(el("span", "badge-priority", TEXT.priority));
    else cap.textContent = caption(c);
    // Small, under the current number: who this counter calls next (only while it is open).
    const upcoming = (c.state === "open" && state.next[String(c.number)]) || [];
    const next = row.querySelector(".next");
    next.textContent = upcoming.length ? `${TEXT.next} ${upcoming.join(" · ")}` : "";
    next.hidden = !upcoming.length;
    // Move a row only when the order changed: moving restarts its highlight animation.
    const wantedAfter = previous ? previous.nextSibling : list.firstChild;
    if (row !== wantedAfter) list.insertBefore(row, wantedAfter);
    previous = row;
  }
  $("serving-empty").hidden = shown.length > 0;
  for (const num of list.querySelectorAll(".num")) fitWidth(num);
}

function refit() {
  for (const node of document.querySelectorAll("#serving-rows .num, #callout .big")) fitWidth(node);
}
// Widths measured with a fallback font are wrong once the board's own font has loaded.
document.fonts.addEventListener("loadingdone", refit);
document.fonts.ready.then(refit);
window.addEventListener("resize", refit);

/** A number wider than its place (a long prefix, a four-digit number) is drawn smaller. */
function fitWidth(node) {
  node.style.setProperty("--fit", "1");
  if (node.scrollWidth > node.clientWidth + 1) {
    const fit = Math.max(0.5, (node.clientWidth / node.scrollWidth) * 0.98);
    node.style.setProperty("--fit", fit.toFixed(3));
  }
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

function stopFlash(row, counterNumber) {
  row.classList.remove("flash");
  delete row.dataset.flash;
  clearTimeout(flashTimers.get(counterNumber));
  flashTimers.delete(counterNumber);
}

function flashRow(counterNumber, number) {
  const row = $("serving-rows").querySelector(`li[data-counter="${counterNumber}"]`);
  if (!row || !invites(counterNumber, number)) return;
  row.dataset.flash = number;
  row.classList.remove("flash");
  void row.offsetWidth; // restart the blink when the same counter calls again
  row.classList.add("flash");
  clearTimeout(flashTimers.get(counterNumber));
  flashTimers.set(
    counterNumber,
    setTimeout(() => stopFlash(row, counterNumber), FLASH_MS),
  );
}

let calloutTimer = null;
let callout = { number: null, counter: null };

/** Show a call in the callout without blinking (or "—" for none). */
function setCallout(number, counterNumber) {
  const box = $("callout");
  if (number !== callout.number || counterNumber !== callout.counter) {
    box.classList.remove("flash");
    clearTimeout(calloutTimer);
  }
  callout = { number: number || null, counter: number ? counterNumber : null };
  box.classList.toggle("empty", !number);
  $("callout-number").textContent = number || TEXT.idle;
  $("callout-counter").textContent = number ? String(counterNumber) : TEXT.idle;
  fitWidth($("callout-number"));
  fitWidth($("callout-counter"));
}

/** A new call (or a recall): shown and blinking for a few seconds. */
function showCallout(number, counterNumber) {
  setCallout(number, counterNumber);
  if (!number) return;
  const box = $("callout");
  box.classList.remove("flash");
  void box.offsetWidth;
  box.classList.add("flash");
  clearTimeout(calloutTimer);
  calloutTimer = setTimeout(() => box.classList.remove("flash"), FLASH_MS);
}

/** After a counter changed: the newest call an open counter still holds (what the server's
 * snapshot would say), or none; only the call being read out right now, if still held, stays. */
function refreshCallout() {
  const readingOut =
    announcer.busy && speaking.number === callout.number && speaking.counter === callout.counter;
  if (!state || (readingOut && invites(callout.counter, callout.number))) return;
  showNewestHeld();
}

function showNewestHeld() {
  const call = newestHeldCall();
  setCallout(call ? call.number : null, call ? call.counter.number : null);
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
    dateParts.formatToParts(new Date(serverNow())).map((p) => [p.type, p.value]),
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
window.lobbySocket = connectLive({
  options: KEEP_TRYING,
  onSnapshot: (snap) => {
    applySnapshot(snap);
    setLive(true);
  },
  onDisconnect: () => setLive(false),
  // Refused by the server (e.g. while it restarts its database): keep trying, slowly.
  onConnectError: () => setLive(false),
  retryRefused: 5000,
  events: {
    ticket_called: (ev) => onCall(ev, false),
    ticket_recalled: (ev) => onCall(ev, true),
    counter_changed: onCounterChanged,
    queue_changed: onWaiting,
    ticket_issued: onWaiting,
  },
});
