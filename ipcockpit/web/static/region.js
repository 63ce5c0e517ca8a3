// Draws the map of the region page: the vendored GeoJSON (same origin) registered under the region's code,
// then the options the server embedded as JSON. A click on an area opens that division's page (the data
// item's url). The div gets data-rendered="true" once ECharts has painted it: the browser tests wait for it.
(function () {
  "use strict";
  var el = document.getElementById("chart-region-map");
  var source = document.getElementById("chart-region-map-option");
  if (!el || !source || typeof echarts === "undefined") { return; }
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("map " + el.dataset.geojson + ": HTTP " + response.status); }
      return response.json();
    })
    .then(function (geo) {
      echarts.registerMap(el.dataset.map, geo);
      var chart = echarts.init(el);
      chart.on("finished", function () { el.dataset.rendered = "true"; });
      chart.on("click", function (params) {
        if (params.data && params.data.url) { window.location.href = params.data.url; }
      });
      chart.setOption(JSON.parse(source.textContent));
      window.addEventListener("resize", function () { chart.resize(); });
    });
})();
