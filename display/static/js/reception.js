// The board's citizen reception strip (display/templates/display/board.html, the footer's
// middle): the next session and today's leaders on duty take turns; written by the server on
// load, refreshed from the public /api/v1/reception now and then (the schedule changes rarely;
// a board runs for days). Lines are written as lobby/reception/words.py writes them.
import { $ } from "/static/js/live.js";

const W = JSON.parse($("reception-text").textContent);
const REFRESH_MS = 5 * 60 * 1000;
const TURN_MS = 8000;

function who(o) {
  return `${o.name} – ${o.title}`;
}

function when(s, today) {
  const [y, m, d] = s.date.split("-").map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  const name = s.date === today ? W.today : W.weekdays[(day.getUTCDay() + 6) % 7];
  const online = s.mode === "online" ? ` (${W.online})` : "";
  return `${name} ${String(d).padStart(2, "0")}/${String(m).padStart(2, "0")}, ${s.start}–${s.end}${online}`;
}

function lines() {
  return ["rc-next", "rc-duty"].map($).filter((line) => !line.hidden);
}

function turn() {
  const shown = lines();
  if (shown.length === 0) return;
  const at = shown.findIndex((line) => line.classList.contains("current"));
  shown.forEach((line) => line.classList.remove("current"));
  shown[(at + 1) % shown.length].classList.add("current");
}

function render(data) {
  const first = (data.sessions || [])[0];
  const next = first ? `${when(first, data.today)} · ${first.official.name}` : "";
  const duty = (data.duty_today || []).map((d) => who(d.official)).join("; ");
  $("rc-next-text").textContent = next;
  $("rc-next").hidden = !next;
  $("rc-duty-text").textContent = duty;
  $("rc-duty").hidden = !duty;
  $("reception").hidden = !(next || duty);
  if (!lines().some((line) => line.classList.contains("current"))) turn();
}

async function refresh() {
  try {
    const r = await fetch("/api/v1/reception", { headers: { Accept: "application/json" } });
    if (r.ok) render(await r.json());
  } catch (e) {
    // Offline: the strip keeps what it showed; the next refresh tries again.
  }
}

setInterval(refresh, REFRESH_MS);
setInterval(turn, TURN_MS);
