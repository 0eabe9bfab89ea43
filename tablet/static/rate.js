// The counter's rating tablet: idle → (ticket finished at this counter) → ask → thanks → idle;
// and from idle or thanks, "Góp ý, phản ánh": feedback → sent (its code and QR) → idle.
import { $, connectLive, csrfToken } from "/static/js/live.js";

const csrf = csrfToken();
const ASK_TIMEOUT_MS = 60000;
const THANKS_MS = 6000;
const FEEDBACK_IDLE_MS = 120000; // the form goes back to idle after 2 minutes without a touch
const SENT_MS = 60000; // time to scan the tracking QR
const SCREENS = ["idle", "ask", "thanks", "feedback", "feedback-sent"];
const counterLabel = $("counter").textContent; // "Quầy", in the page's language
let current = null;
let timer = null;

let screen = "idle";

function show(name) {
  screen = name;
  for (const id of SCREENS) $(id).hidden = id !== name;
  $("feedback-entry").hidden = name === "feedback" || name === "feedback-sent";
  clearTimeout(timer);
  if (name === "ask") timer = setTimeout(() => show("idle"), ASK_TIMEOUT_MS);
  if (name === "thanks") timer = setTimeout(() => show("idle"), THANKS_MS);
  if (name === "feedback") timer = setTimeout(() => show("idle"), FEEDBACK_IDLE_MS);
  if (name === "feedback-sent") timer = setTimeout(() => show("idle"), SENT_MS);
}

const onFeedback = () => screen === "feedback" || screen === "feedback-sent";

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
  if (ask && current && current.status === "done" && !onFeedback()) {
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
    $("error").textContent = body.message || $("feedback").dataset.offline;
  });
});

// --- feedback about the desk, sent as this tablet (the server ties it to the visit at its
// counter: the ticket served now or just finished) ------------------------------------------
const fb = $("feedback");
const topics = [...document.querySelectorAll(".topics button")];
let topic = null;

function pickTopic(button) {
  topic = button ? button.dataset.topic : null;
  $("fb-error").textContent = "";
  for (const b of topics) b.setAttribute("aria-checked", String(b === button));
}

function openFeedback() {
  $("feedback-form").reset();
  pickTopic(null);
  $("fb-error").textContent = "";
  $("fb-send").disabled = false;
  show("feedback");
}

$("feedback-open").addEventListener("click", openFeedback);
$("fb-cancel").addEventListener("click", () => show("idle"));
$("fb-done").addEventListener("click", () => show("idle"));
topics.forEach((b) => b.addEventListener("click", () => pickTopic(b)));
// Any touch or key on the form restarts its idle time.
for (const type of ["input", "pointerdown"]) {
  fb.addEventListener(type, () => {
    if (type === "input") $("fb-error").textContent = "";
    if (screen === "feedback") {
      clearTimeout(timer);
      timer = setTimeout(() => show("idle"), FEEDBACK_IDLE_MS);
    }
  });
}

$("feedback-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const content = $("fb-content").value.trim();
  if (!topic) return ($("fb-error").textContent = fb.dataset.noTopic);
  if (!content) return ($("fb-error").textContent = fb.dataset.noContent);
  $("fb-send").disabled = true;
  const r = await fetch("/api/v1/feedback", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({
      topic,
      content,
      contact: { name: $("fb-name").value.trim(), phone: $("fb-phone").value.trim() },
    }),
  }).catch(() => null);
  $("fb-send").disabled = false;
  if (r && r.status === 201) {
    const got = await r.json();
    $("feedback-form").reset(); // the next citizen never sees what was typed
    $("fb-code").textContent = got.code;
    $("fb-qr").src = `/gop-y/${encodeURIComponent(got.token)}/qr.svg`;
    return show("feedback-sent");
  }
  const body = r ? await r.json().catch(() => ({})) : {};
  $("fb-error").textContent = body.message || fb.dataset.offline;
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
