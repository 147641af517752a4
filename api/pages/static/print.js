// The report's print button (a file, so the pages' CSP forbids every inline script).
for (const button of document.querySelectorAll(".js-print")) {
  button.addEventListener("click", () => window.print());
}
