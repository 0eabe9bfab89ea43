// The leader's report: "In báo cáo" prints the page (charts included) on A4.
for (const button of document.querySelectorAll(".print-page")) {
  button.addEventListener("click", () => window.print());
}
