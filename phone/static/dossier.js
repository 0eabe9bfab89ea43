// The dossier page (/d/<token>): live over Socket.IO, polling when the socket is down.
(() => {
  "use strict";
  const cfg = JSON.parse(document.getElementById("phone-config").textContent);
  const conn = document.getElementById("conn");
  const show = (d) => window.LobbyDossier.render(d, cfg.ds);
  let live = false;
  let timer = 0;
  async function poll() {
    try {
      const r = await fetch(`/api/v1/dossiers/public/${encodeURIComponent(cfg.dossier_token)}`, { cache: "no-store" });
      if (r.ok) show(await r.json());
    } catch (e) { /* next poll */ }
  }
  function startPolling() { if (!timer) { poll(); timer = setInterval(poll, 30000); } }
  window.LobbyDossier.render(cfg.dossier, cfg.ds);
  if (window.io) {
    const socket = window.io({ auth: { dossier: cfg.dossier_token }, reconnectionDelayMax: 10000 });
    socket.on("connect", () => { live = true; clearInterval(timer); timer = 0; conn.dataset.conn = "live"; });
    socket.on("disconnect", () => { live = false; conn.dataset.conn = "offline"; startPolling(); });
    socket.on("connect_error", () => { if (!live) startPolling(); });
    socket.on("snapshot", show);
    socket.on("dossier_updated", show);
  } else {
    startPolling();
  }
})();
