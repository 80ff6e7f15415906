// Starts Swagger UI on /schema from a file rather than an inline script, so the page runs
// under a Content-Security-Policy without 'unsafe-inline' for scripts.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-container");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-container",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
