// What every screen shares, in one place (served at /static/js/live.js): `$`, `el`, `fmt`,
// `newKey` (Idempotency-Keys), `sleep`, `csrfToken`, the server's clock, and `connectLive`,
// the Socket.IO connect / reconnect / snapshot logic.
//
// An ES module, and every screen is one too (<script type="module">), the kiosk and the phone
// pages included, rather than a classic script exposing one global for those two:
// - Module scripts run in Chrome 61+, Safari 11+ and Firefox 60+. The kiosk and phone scripts
//   already needed object spread ({...a}: Chrome 60, Safari 11.1), so no browser that ran them
//   before is left out; an Android phone from 2017 on is fine.
// - A module is deferred like the `defer` tags they had, and runs in document order after the
//   classic scripts before it, so `window.io` (socket.io.min.js, a classic script) is there.
// - Modules are strict and scoped (the old files were "use strict" IIFEs for that), and an
//   import says where a helper comes from; a global would be one more name to keep unique.
// - Still no inline script (CSP script-src 'self'): modules are files on our own origin.
// Screens import it by its absolute URL, "/static/js/live.js", like they call "/api/v1/...".

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** A new element with an optional class and text. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/**
 * Fill "{name}" placeholders of a translated text: fmt("Quầy {n}", {n: 3}) → "Quầy 3".
 * A placeholder without a value stays as written, so a forgotten value shows instead of
 * silently dropping a word (every caller passes all of its text's placeholders).
 */
export const fmt = (text, values) =>
  text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));

/** Wait this many milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The page's CSRF token (<meta name="csrf-token">), sent as X-CSRF-Token with each change. */
export const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

/**
 * A new Idempotency-Key (a random UUID v4): one per choice or click, reused by its retries.
 * crypto.randomUUID needs a secure context; a kiosk or a cheap phone on plain
 * http://<LAN address> has none, so the same UUID is built from crypto.getRandomValues (which
 * works everywhere), or, on a browser without even that, from Math.random.
 */
export function newKey() {
  const c = window.crypto;
  if (c && typeof c.randomUUID === "function") {
    try {
      return c.randomUUID();
    } catch (e) {
      /* not in this context: build one below */
    }
  }
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// --- the server's clock ---------------------------------------------------------------------

// Server clock minus this device's clock. A board or counter PC whose clock is off shows
// elapsed times and the wall clock by the server's time; within 2 s it is left alone (a
// Date header has whole seconds).
let clockOffset = 0;

/** Note the server's time (ms since 1970: a snapshot's `now`, an answer's Date header). */
export function noteServerTime(ms) {
  if (typeof ms !== "number" || Number.isNaN(ms)) return;
  const offset = ms - Date.now();
  clockOffset = Math.abs(offset) > 2000 ? offset : 0;
}

/** Now, by the server's clock (ms since 1970). */
export const serverNow = () => Date.now() + clockOffset;

// --- the live connection --------------------------------------------------------------------

/** Reconnection for a screen that must never stay dark (the lobby board, a counter). */
export const KEEP_TRYING = {
  reconnection: true,
  reconnectionAttempts: Infinity,
  reconnectionDelay: 500,
  reconnectionDelayMax: 4000,
  randomizationFactor: 0.3,
  timeout: 8000,
};

const SERVER_CLOSED_RETRY_MS = 2000;

/**
 * Open the screen's Socket.IO connection (window.io, from the vendored socket.io.min.js loaded
 * before the screen's module). Returns the socket, or null when Socket.IO did not load: the
 * screen then does without (polls, probes).
 *
 * The server sends a `snapshot` on every (re)connect: a screen renders it whole, then applies
 * events. Socket.IO reconnects by itself after a lost connection, but not after the server
 * closed it ("io server disconnect") nor after the server refused it (socket.active false):
 * the first is retried here after 2 s, the second after `retryRefused` ms if given.
 *
 * @param {object} o
 * @param {object} [o.auth]          what the server's connect handler reads: {ticket}, {counter}...
 * @param {object} [o.options]       Socket.IO client options (KEEP_TRYING, or the library's own)
 * @param {function} [o.onConnect]   connected (the snapshot follows)
 * @param {function} [o.onSnapshot]  the server's snapshot
 * @param {function} [o.onDisconnect] (reason) the connection dropped
 * @param {function} [o.onConnectError] (err) an attempt failed: network, or refused by the server
 * @param {number} [o.retryRefused]  ms before trying again after a refusal (none if not given)
 * @param {object} [o.events]        {event name: handler} for the screen's live events
 */
export function connectLive({
  auth,
  options = {},
  onConnect,
  onSnapshot,
  onDisconnect,
  onConnectError,
  retryRefused = 0,
  events = {},
} = {}) {
  if (typeof window.io !== "function") return null;
  const socket = window.io(auth ? { ...options, auth } : { ...options });
  if (onConnect) socket.on("connect", onConnect);
  if (onSnapshot) socket.on("snapshot", onSnapshot);
  socket.on("disconnect", (reason) => {
    if (onDisconnect) onDisconnect(reason);
    if (reason === "io server disconnect") {
      setTimeout(() => socket.connect(), SERVER_CLOSED_RETRY_MS);
    }
  });
  socket.on("connect_error", (err) => {
    if (onConnectError) onConnectError(err);
    if (retryRefused && !socket.active) setTimeout(() => socket.connect(), retryRefused);
  });
  for (const [name, handler] of Object.entries(events)) socket.on(name, handler);
  return socket;
}

/**
 * Load the Socket.IO client (src: its versioned URL) after the page's load event, for a page
 * that shows its state without it and should not wait for it: the phone on a slow line
 * (issue 16). Resolves once window.io is there (at once if the page already has it); rejects
 * if the script cannot be loaded (the page then polls).
 */
export function loadSocketIoAfterLoad(src) {
  if (typeof window.io === "function") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const add = () => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    };
    if (document.readyState === "complete") add();
    else window.addEventListener("load", add, { once: true });
  });
}
