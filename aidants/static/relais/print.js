// "Imprimer" buttons open the browser's print dialog (a plain link works too).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-relais-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});
