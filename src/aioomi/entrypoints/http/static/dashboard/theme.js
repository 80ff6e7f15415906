/* Applies the saved light/dark choice before the page paints (localStorage "aioomi_theme",
   the privacy policy's "theme preference"); with no choice saved, the system's. */
(function () {
  var saved = null;
  try { saved = localStorage.getItem("aioomi_theme"); } catch (e) { /* storage blocked */ }
  var dark = saved ? saved === "dark" : !!(window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
})();
