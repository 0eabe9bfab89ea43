// The counter's rating tablet: idle → (ticket finished at this counter) → ask → thanks → idle.
import { $, connectLive, csrfToken } from "/static/js/live.js";

const csrf = csrfToken();
const ASK_TIMEOUT_MS = 60000;
const THANKS_MS = 6000;
const counterLabel = $("counter").textContent; // "Quầy", in the page's language
let current = null;
let timer = null;

function show(name) {
  for (const id of ["idle", "ask", "thanks"]) $(id).hidden = id !== name;
  clearTimeout(timer);
  if (name === "ask") timer = setTimeout(() => show("idle"), ASK_TIMEOUT_MS);
  if (name === "thanks") timer = setTimeout(() => show("idle"), THANKS_MS);
}

async function refresh(ask) {
  const r = await fetch("/api/v1/tablet/state", { credentials: "same-origin" });
  if (!r.ok) return;
  const s = await r.json();
  $("counter").textContent = `${counterLabel} ${s.counter.number}`;
  $("officer").textContent = s.officer ? `${s.officer.title ? s.officer.title + ": " : ""}${s.officer.name}` : "";
  // Exactly the office's scale (3 or 5 levels); the setting may change during the day.
  const scale = new Set(s.scale || []);
  document.querySelectorAll(".levels button").forEach((b) => (b.hidden = !scale.has(b.dataset.level)));
  current = s.ticket;
  if (ask && current && current.status === "done") {
    $("number").textContent = current.number;
    $("error").textContent = "";
    show("ask");
  }
}

document.querySelectorAll(".levels button").forEach((button) => {
  button.addEventListener("pointerdown", () => button.classList.add("pressed"));
  button.addEventListener("click", async () => {
    button.classList.remove("pressed");
    if (!current) return show("idle");
    const r = await fetch("/api/v1/tablet/rating", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ level: button.dataset.level, number: current.number }),
    }).catch(() => null);
    if (r && r.status === 201) {
      current = null;
      // Say back what was chosen, with the same face, so a slip of the finger is seen.
      $("chosen-face").src = button.querySelector("img").src;
      $("chosen-label").textContent = button.querySelector("span").textContent;
      return show("thanks");
    }
    const body = r ? await r.json().catch(() => ({})) : {};
    $("error").textContent = body.message || "Mất kết nối tới máy chủ, vui lòng thử lại.";
  });
});

connectLive({
  options: { transports: ["websocket", "polling"] },
  onConnect: () => {
    $("offline").hidden = true;
    refresh(false);
  },
  onDisconnect: () => {
    $("offline").hidden = false;
  },
  events: {
    ticket_updated: (e) => {
      if (e.status === "done") refresh(true);
    },
    counter_changed: () => refresh(false),
  },
});
refresh(false);
