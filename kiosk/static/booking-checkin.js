// The kiosk's "Tôi đã đặt lịch": a citizen who booked a slot from the phone (/lay-so) shows
// the booking's QR to the USB/HID scanner (it types the code and Enter into the focused input)
// or types the code; the kiosk answers with the ticket's number (printed like any ticket).
// On its own beside kiosk.js: it only opens and closes its overlay. A scan on the start screen
// without the overlay open (fast keys ending in Enter) is taken as a code as well.
import { $, csrfToken, fmt, newKey } from "/static/js/live.js";

const overlay = $("booked-overlay");
const form = $("booked-form");
const input = $("booked-code");
const message = $("booked-message");
const result = $("booked-result");
const send = $("booked-send");
const csrf = csrfToken();
const CLOSE_AFTER_MS = 30000;
let closeTimer = 0;
let busy = false;

function open(code) {
  overlay.hidden = false;
  result.hidden = true;
  message.textContent = "";
  input.value = code || "";
  input.focus();
  armClose();
  if (code) submit();
}

function close() {
  overlay.hidden = true;
  input.value = "";
  clearTimeout(closeTimer);
}

function armClose() {
  clearTimeout(closeTimer);
  closeTimer = setTimeout(close, CLOSE_AFTER_MS);
}

async function submit() {
  const code = input.value.trim();
  if (!code || busy) return;
  busy = true;
  send.disabled = true;
  result.hidden = true;
  message.textContent = overlay.dataset.sending;
  armClose();
  let res = null;
  let data = null;
  try {
    res = await fetch("/api/v1/bookings/check-in", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "Idempotency-Key": newKey(),
        "X-CSRF-Token": csrf,
      },
      body: JSON.stringify({ code }),
    });
    data = await res.json().catch(() => null);
  } catch (e) {
    res = null;
  }
  busy = false;
  send.disabled = false;
  input.value = "";
  input.focus();
  if (res && res.ok && data) {
    message.textContent = "";
    $("booked-number").textContent = data.number;
    $("booked-field").textContent = data.service_name;
    $("booked-ahead").textContent = data.ahead > 0 ? fmt(overlay.dataset.ahead, { n: data.ahead }) : "";
    result.hidden = false;
  } else {
    message.textContent = (data && data.message) || overlay.dataset.offline;
  }
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  submit();
});
$("booked-open").addEventListener("click", () => open(""));
$("booked-close").addEventListener("click", close);
input.addEventListener("input", armClose);

// A scanner on the start screen: characters arriving fast, then Enter.
let typed = "";
let lastKey = 0;
document.addEventListener("keydown", (e) => {
  if (!overlay.hidden || document.querySelector(".kiosk-app").dataset.screen !== "start") return;
  const now = Date.now();
  if (now - lastKey > 100) typed = "";
  lastKey = now;
  if (e.key === "Enter") {
    if (typed.length >= 6) open(typed);
    typed = "";
  } else if (e.key.length === 1) {
    typed += e.key;
  }
});
