// The print button of the printable forms (no inline script: the pages run under a CSP).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
