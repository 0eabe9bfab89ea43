// Small page behaviours that would otherwise be inline handlers, which the Content Security
// Policy (lobby/security.py) does not run: <select data-autosubmit> sends its form when
// changed; <button data-print> prints the page.
for (const el of document.querySelectorAll("[data-autosubmit]")) {
  el.addEventListener("change", () => el.form && el.form.submit());
}
for (const el of document.querySelectorAll("[data-print]")) {
  el.addEventListener("click", () => window.print());
}
