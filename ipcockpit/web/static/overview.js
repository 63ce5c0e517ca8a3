// Draws the charts of the overview page from the options the server embedded as JSON. Each drawn chart's
// div gets data-rendered="true" once ECharts has painted it: the signal the browser tests wait for.
(function () {
  "use strict";
  var charts = [];
  document.querySelectorAll("div.chart").forEach(function (el) {
    var source = document.getElementById(el.id + "-option");
    if (!source || typeof echarts === "undefined") { return; }
    var chart = echarts.init(el);
    chart.on("finished", function () { el.dataset.rendered = "true"; });
    chart.setOption(JSON.parse(source.textContent));
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
