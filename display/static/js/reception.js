// The board's citizen reception panel: the next session and today's leaders on duty, written
// by the server on load and refreshed from the public /api/v1/reception now and then (the
// schedule changes rarely; a board runs for days). Lines are written as display/views.py does.
import { $ } from "/static/js/live.js";

const W = JSON.parse($("reception-text").textContent);
const REFRESH_MS = 5 * 60 * 1000;

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

function render(data) {
  const first = (data.sessions || [])[0];
  const next = first ? `${when(first, data.today)}: ${who(first.official)}` : "";
  const duty = (data.duty_today || []).map((d) => who(d.official)).join("; ");
  $("rc-next-text").textContent = next;
  $("rc-next").hidden = !next;
  $("rc-duty-text").textContent = duty;
  $("rc-duty").hidden = !duty;
  $("reception").hidden = !(next || duty);
  $("side").classList.toggle("has-reception", Boolean(next || duty));
}

async function refresh() {
  try {
    const r = await fetch("/api/v1/reception", { headers: { Accept: "application/json" } });
    if (r.ok) render(await r.json());
  } catch (e) {
    // Offline: the panel keeps what it showed; the next refresh tries again.
  }
}

setInterval(refresh, REFRESH_MS);
