// Pages of many small forms, each saved on its own (office setup has about 19): saving one, or
// leaving the page, reloads it and silently dropped the edits made in the others. This module
// marks forms with unsaved edits, asks before a save would drop another form's edits (the
// dialog #unsaved, worded in the page's language), and lets the browser ask before leaving.
// Loaded by pages whose <main> holds [data-unsaved-guard]; no inline script (CSP).

const root = document.querySelector("[data-unsaved-guard]");
const dialog = document.getElementById("unsaved");

/** A form's current values: the named fields that belong to it (also those outside it, form=). */
function state(form) {
  return JSON.stringify(
    [...form.elements]
      .filter((el) => el.name && el.type !== "hidden" && el.type !== "submit")
      .map((el) => (el.type === "checkbox" || el.type === "radio" ? el.checked : el.value)),
  );
}

if (root && dialog) {
  const forms = [...root.querySelectorAll("form")].filter((f) => f.method === "post");
  const initial = new Map(forms.map((f) => [f, state(f)]));
  const dirty = (f) => initial.has(f) && state(f) !== initial.get(f);
  const shown = (f) => f.closest("tr") || f; // a row's form lives in its first cell
  let leaving = null; // the form whose submission is taking us away, edits and all
  let discarded = false; // the administrator chose to drop the other forms' edits

  const mark = (f) => {
    if (!initial.has(f)) return;
    shown(f).classList.toggle("unsaved", dirty(f));
  };
  root.addEventListener("input", (e) => e.target.form && mark(e.target.form));
  root.addEventListener("change", (e) => e.target.form && mark(e.target.form));

  const label = (f) => f.dataset.label || f.closest("section")?.querySelector("h2")?.textContent || "";

  function goBack(others) {
    dialog.close();
    const first = others[0];
    shown(first).scrollIntoView({ block: "center" });
    const changed = [...first.elements].find((el) => el.name && el.type !== "hidden");
    if (changed) changed.focus({ preventScroll: true });
  }

  document.addEventListener(
    "submit",
    (e) => {
      const form = e.target;
      const others = forms.filter((f) => f !== form && dirty(f));
      if (!others.length || form.dataset.unsavedConfirmed) {
        leaving = form;
        return;
      }
      e.preventDefault();
      const list = dialog.querySelector("[data-list]");
      list.replaceChildren(
        ...others.map((f) => {
          const li = document.createElement("li");
          li.textContent = label(f);
          return li;
        }),
      );
      dialog.querySelector("[data-act=back]").onclick = () => goBack(others);
      dialog.querySelector("[data-act=discard]").onclick = () => {
        dialog.close();
        if (!form.reportValidity()) return; // the browser says what is missing; nothing is sent
        form.dataset.unsavedConfirmed = "1";
        discarded = true;
        form.requestSubmit(e.submitter && e.submitter.form === form ? e.submitter : undefined);
      };
      dialog.showModal();
      dialog.querySelector("[data-act=back]").focus();
    },
    true,
  );

  window.addEventListener("beforeunload", (e) => {
    if (discarded || !forms.some((f) => f !== leaving && dirty(f))) return;
    e.preventDefault();
    e.returnValue = ""; // older Chromium needs it to ask
  });

  // Back from the browser's cache (bfcache): the page is as it was left, so are the marks.
  window.addEventListener("pageshow", () => {
    leaving = null;
    discarded = false;
    forms.forEach((f) => delete f.dataset.unsavedConfirmed);
    forms.forEach(mark);
  });
}
