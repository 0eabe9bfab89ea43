// Renders the public dossier view (API.md) into the #dossier card. Shared by the ticket page
// (phone.js) and the dossier page (dossier.js). Times arrive office-local with their offset:
// shown as written.
import { $, fmt } from "/static/js/live.js";

export const when = (iso) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || "");
  return m ? `${m[4]}:${m[5]} ${m[3]}/${m[2]}/${m[1]}` : "";
};

export function render(d, ds) {
  const card = $("dossier");
  if (!card || !d) return;
  card.hidden = false;
  document.body.classList.add("has-dossier");
  $("d-status").textContent = d.status_label;
  card.dataset.status = d.status;
  const t = $("d-timeliness");
  t.hidden = !d.timeliness;
  t.textContent = d.timeliness_label || "";
  t.className = `badge timeliness t-${d.timeliness || ""}`;
  $("d-code").textContent = d.code;
  $("d-procedure").textContent = d.procedure;
  for (const el of card.querySelectorAll(".applicant-row")) el.hidden = !d.applicant;
  $("d-applicant").textContent = d.applicant || "";
  $("d-received").textContent = when(d.received_at);
  $("d-due").textContent = d.new_due_at
    ? `${when(d.due_at)} — ${fmt(ds.new_due, { d: when(d.new_due_at) })}`
    : when(d.due_at);
  $("d-collect").textContent = when(d.collect_at);
  const apology = $("d-apology");
  apology.hidden = !d.apology;
  apology.textContent = d.apology || "";
  $("d-place").textContent = d.collect_place || "";
}

export function hydrate() {
  for (const id of ["d-received", "d-due", "d-collect"]) {
    const el = $(id);
    if (el && el.dataset.iso && !el.textContent) el.textContent = when(el.dataset.iso);
  }
}
