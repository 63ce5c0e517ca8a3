// Draws the charts of the overview page from the options the server embedded as JSON.
(function () {
  "use strict";
  var charts = [];
  document.querySelectorAll("div.chart").forEach(function (el) {
    var source = document.getElementById(el.id + "-option");
    if (!source || typeof echarts === "undefined") { return; }
    var chart = echarts.init(el);
    chart.setOption(JSON.parse(source.textContent));
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
