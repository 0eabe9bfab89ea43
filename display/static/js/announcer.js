// Plays spoken calls clip by clip from one queue, so two calls never overlap and none is lost.
//
// A call is a list of clip URLs (the server's `announcement.audio`: chime, the call, a pause,
// the call again). Clips are cached HTMLAudioElements, fetched when a call is queued so the next
// clips load while the current one plays. `window.lobbyAudioLog` lists every URL in the order
// play() was called (a clip the browser refused to play is taken off again).

const BLOCKED = "blocked";
// A clip that neither ends nor fails (a stalled download) must not stall the queue for good.
const STALL_MS = 15000;
// After a tap re-enables sound, calls that waited longer than this are not read out any more:
// a backlog of old calls would only confuse the people in the lobby.
const STALE_AFTER_BLOCK_MS = 60000;

export class Announcer {
  constructor({ onStart = () => {}, onBlocked = () => {}, onUnblocked = () => {} } = {}) {
    this.queue = [];
    this.playing = false;
    this.blocked = false;
    this.cache = new Map();
    this.onStart = onStart;
    this.onBlocked = onBlocked;
    this.onUnblocked = onUnblocked;
    if (!Array.isArray(window.lobbyAudioLog)) window.lobbyAudioLog = [];
  }

  audio(url) {
    let el = this.cache.get(url);
    // A clip that failed once (server down while it loaded) is fetched again, not kept broken.
    if (!el || el.error) {
      el = new Audio();
      el.preload = "auto";
      el.src = url;
      this.cache.set(url, el);
    }
    return el;
  }

  preload(urls) {
    for (const url of urls) this.audio(url);
  }

  /** Queue one call: {urls, ...anything the onStart callback wants}. */
  enqueue(item) {
    const entry = { ...item, urls: [...(item.urls || [])], pos: 0, at: Date.now() };
    this.preload(entry.urls);
    this.queue.push(entry);
    this.pump();
    return entry;
  }

  get busy() {
    return this.playing || this.queue.length > 0;
  }

  async pump() {
    if (this.playing || this.blocked) return;
    this.playing = true;
    try {
      while (this.queue.length && !this.blocked) {
        const item = this.queue[0];
        if (item.pos === 0) this.onStart(item);
        while (item.pos < item.urls.length) {
          const result = await this.playClip(item.urls[item.pos]);
          if (result === BLOCKED) {
            this.blocked = true;
            this.onBlocked(item);
            return;
          }
          item.pos += 1; // played, failed or stalled: go on, a missing word beats silence
        }
        this.queue.shift();
      }
    } finally {
      this.playing = false;
    }
  }

  playClip(url) {
    const el = this.audio(url);
    return new Promise((resolve) => {
      let settled = false;
      let guard = null;
      const finish = (result) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        el.removeEventListener("ended", onEnded);
        el.removeEventListener("error", onError);
        el.removeEventListener("playing", onPlaying);
        resolve(result);
      };
      const onEnded = () => finish("ok");
      const onError = () => finish("error");
      const onPlaying = () => {
        if (Number.isFinite(el.duration) && el.duration > 0) {
          clearTimeout(guard);
          const rate = el.playbackRate || 1;
          guard = setTimeout(stalled, (el.duration * 1000) / rate + 3000);
        }
      };
      const stalled = () => {
        el.pause();
        finish("stalled");
      };
      el.addEventListener("ended", onEnded);
      el.addEventListener("error", onError);
      el.addEventListener("playing", onPlaying);
      guard = setTimeout(stalled, STALL_MS);
      try {
        el.currentTime = 0;
      } catch (_) {
        /* not seekable yet: it starts at 0 anyway */
      }
      window.lobbyAudioLog.push(url);
      let started;
      try {
        started = Promise.resolve(el.play());
      } catch (err) {
        started = Promise.reject(err);
      }
      started.catch((err) => {
        if (err && err.name === "NotAllowedError") {
          const log = window.lobbyAudioLog;
          if (log[log.length - 1] === url) log.pop();
          finish(BLOCKED);
        } else if (err && err.name === "AbortError") {
          // play() interrupted by pause(): the stall guard or 'ended' settles the promise.
        } else {
          finish("error");
        }
      });
    });
  }

  /** A tap (a user gesture) lets the page play sound: go on with the queue. */
  unblock() {
    if (!this.blocked) return;
    const now = Date.now();
    this.queue = this.queue.filter((item, i) => (i === 0 && item.pos > 0) || now - item.at < STALE_AFTER_BLOCK_MS);
    this.blocked = false;
    this.onUnblocked();
    this.pump();
  }

  /** Whether the browser lets this page play sound without a tap (a silent clip, not logged). */
  async probe(url) {
    const el = new Audio(url);
    try {
      await el.play();
      el.pause();
      return true;
    } catch (err) {
      return !(err && err.name === "NotAllowedError");
    }
  }
}
