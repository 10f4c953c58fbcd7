// Runs before the page paints: applies the theme chosen with the toggle (kept per browser),
// otherwise the page follows prefers-color-scheme through CSS alone.
(function () {
  try {
    var chosen = localStorage.getItem("adlens-theme");
    if (chosen === "light" || chosen === "dark") document.documentElement.dataset.theme = chosen;
  } catch (e) { /* storage unavailable: follow the system theme */ }
})();
