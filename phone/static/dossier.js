// The dossier page (/d/<token>): live over Socket.IO, polling when the socket is down.
import { $, connectLive } from "/static/js/live.js";
import { render } from "./dossier-view.js";

const cfg = JSON.parse($("phone-config").textContent);
const conn = $("conn");
const show = (d) => render(d, cfg.ds);
let live = false;
let timer = 0;

async function poll() {
  try {
    const r = await fetch(`/api/v1/dossiers/public/${encodeURIComponent(cfg.dossier_token)}`, { cache: "no-store" });
    if (r.ok) show(await r.json());
  } catch (e) {
    /* next poll */
  }
}

function startPolling() {
  if (!timer) {
    poll();
    timer = setInterval(poll, 30000);
  }
}

render(cfg.dossier, cfg.ds);
const socket = connectLive({
  auth: { dossier: cfg.dossier_token },
  options: { reconnectionDelayMax: 10000 },
  onConnect: () => {
    live = true;
    clearInterval(timer);
    timer = 0;
    conn.dataset.conn = "live";
  },
  onDisconnect: () => {
    live = false;
    conn.dataset.conn = "offline";
    startPolling();
  },
  onConnectError: () => {
    if (!live) startPolling();
  },
  onSnapshot: show,
  events: { dossier_updated: show },
});
if (!socket) startPolling();
