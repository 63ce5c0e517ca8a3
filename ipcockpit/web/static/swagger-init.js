// Starts Swagger UI on /docs with the settings the page holds as JSON (#swagger-config): a file, so that
// the page needs no inline script (the app's Content-Security-Policy runs none).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("swagger-config").textContent);
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  window.ui = SwaggerUIBundle(config);
})();
