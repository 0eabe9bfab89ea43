// The kiosk's citizen reception panel (kiosk/templates/kiosk/_reception.html): opened by its
// button, closed by its own button, a tap outside, or after a while without a tap (the kiosk
// goes back to its start screen by itself; the panel must not stay over it).
import { $ } from "/static/js/live.js";

const open = $("reception-open");
const panel = $("reception-panel");
const CLOSE_AFTER_MS = 30000;
let timer = 0;

function close() {
  clearTimeout(timer);
  panel.hidden = true;
  open.focus();
}

if (open && panel) {
  open.addEventListener("click", () => {
    panel.hidden = false;
    $("reception-close").focus();
    clearTimeout(timer);
    timer = setTimeout(close, CLOSE_AFTER_MS);
  });
  $("reception-close").addEventListener("click", close);
  panel.addEventListener("click", (ev) => {
    if (ev.target === panel) close();
  });
}
