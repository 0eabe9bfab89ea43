// Dossier intake (admin/templates/admin/new.html): find the procedure by typing, nothing chosen
// beforehand; the chosen procedure's documents are listed ticked with their counts; the ID
// number is checked by its type as it is typed. The server checks everything again.

import { $, fmt } from "/static/js/live.js";

const form = $("intake");
const search = $("procedure-search");
const select = $("procedure");
const status = $("procedure-status");
const body = $("documents");
const empty = $("documents-empty");
const counter = $("documents-count");
const idType = $("id_type");
const idNumber = $("id_number");
const procedures = new Map(
  JSON.parse($("procedure-data").textContent).map((p) => [p.code, p]),
);
const COUNTS = ["ban_chinh", "ban_chung_thuc", "ban_photo"];

// "Khai sinh" finds "khai sinh", "KHAI SINH" and "khai sinh" typed without accents.
function fold(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
}

function filter() {
  const words = fold(search.value).split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const group of select.querySelectorAll("optgroup")) {
    let any = false;
    for (const option of group.querySelectorAll("option")) {
      const hay = fold(option.dataset.search || option.textContent);
      const match = words.every((w) => hay.includes(w));
      option.hidden = !match;
      if (match) { any = true; shown += 1; }
    }
    group.hidden = !any;
  }
  select.dataset.shown = String(shown);
}

function cell(child) {
  const td = document.createElement("td");
  td.append(...[child].flat());
  return td;
}

function input(attrs) {
  const el = document.createElement("input");
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

function updateCount() {
  const boxes = body.querySelectorAll("input[type=checkbox]");
  const ticked = [...boxes].filter((b) => b.checked).length;
  counter.textContent = boxes.length
    ? fmt(body.dataset.countText, { n: ticked, total: boxes.length })
    : "";
  empty.hidden = boxes.length > 0;
}

function fillDocuments() {
  const proc = procedures.get(select.value);
  body.replaceChildren();
  (proc ? proc.components : []).forEach((c, i) => {
    const tr = document.createElement("tr");
    tr.append(
      cell(input({ type: "checkbox", name: `c-${i}-on`, value: "1", checked: "", "aria-label": c.name })),
      cell([document.createTextNode(c.name), input({ type: "hidden", name: `c-${i}-name`, value: c.name })]),
      ...COUNTS.map((k) => cell(input({
        type: "number", name: `c-${i}-${k}`, min: "0", max: "99", value: String(c[k] || 0),
        "aria-label": `${c.name}: ${body.dataset.countLabel}`,
      }))),
    );
    body.append(tr);
  });
  const option = select.selectedOptions[0];
  if (option) status.textContent = option.textContent;
  updateCount();
}

const ID_RULES = {
  cccd: (v) => /^[0-9]{12}$/.test(v.replace(/[\s.]/g, "")),
  passport: (v) => /^[A-Za-z0-9]{6,20}$/.test(v.replace(/\s/g, "")),
  other: (v) => v.trim().length >= 3 && v.trim().length <= 40,
};

function checkId() {
  const value = idNumber.value;
  const rule = ID_RULES[idType.value] || ID_RULES.other;
  idNumber.setCustomValidity(!value.trim() || rule(value) ? "" : idNumber.dataset[`msg${idType.value[0].toUpperCase()}${idType.value.slice(1)}`] || "");
  idNumber.inputMode = idType.value === "cccd" ? "numeric" : "text";
}

search.hidden = false;
search.addEventListener("input", filter);
search.addEventListener("keydown", (e) => {
  if (e.key === "ArrowDown") { e.preventDefault(); select.focus(); }
});
select.addEventListener("change", fillDocuments);
body.addEventListener("change", updateCount);
idType.addEventListener("change", () => { checkId(); if (idNumber.value) idNumber.reportValidity(); });
idNumber.addEventListener("input", checkId);
form.addEventListener("submit", (e) => {
  checkId();
  if (!form.checkValidity()) { e.preventDefault(); form.reportValidity(); }
});
checkId();
if (select.value && !body.children.length) fillDocuments();
updateCount();
