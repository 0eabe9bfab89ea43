// "Báo cho tôi" (lobby.notify, docs/notifications.md): only after the citizen taps it does the
// page ask the browser's permission, subscribe with the office's VAPID key and hand the
// subscription to POST /api/v1/tickets/<token>/push. The service worker (notify-sw.js) shows
// what the office pushes, even with the page closed.
import { $ } from "/static/js/live.js";

const cfg = JSON.parse($("phone-config").textContent);
const S = cfg.strings;
const box = $("notify");
const button = $("notify-me");
const hint = $("notify-hint");

function keyBytes(b64) {
  const padded = (b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

// The worker's scope (/phone/static/) does not hold the ticket's page, so serviceWorker.ready
// would never resolve here: wait for this registration's worker itself.
function activated(reg) {
  if (reg.active) return Promise.resolve(reg);
  const worker = reg.installing || reg.waiting;
  return new Promise((resolve) => {
    worker.addEventListener("statechange", () => {
      if (worker.state === "activated") resolve(reg);
    });
  });
}

function say(text) {
  hint.textContent = text;
}

async function subscribe() {
  button.disabled = true;
  try {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      say(S.notify_denied);
      button.disabled = false;
      return;
    }
    const reg = await navigator.serviceWorker.register("/phone/static/notify-sw.js", {
      scope: "/phone/static/",
    });
    await activated(reg);
    const sub =
      (await reg.pushManager.getSubscription()) ||
      (await reg.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(box.dataset.key),
      }));
    const res = await fetch(`/api/v1/tickets/${encodeURIComponent(cfg.token)}/push`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(sub.toJSON()),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    say(S.notify_on);
    button.hidden = true;
  } catch (err) {
    say(S.notify_failed);
    button.disabled = false;
  }
}

if (box && button) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    box.hidden = true; // this browser cannot be told: no button that does nothing
  } else {
    button.addEventListener("click", subscribe);
  }
}
