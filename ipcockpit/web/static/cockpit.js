// The cockpit page and its big screen: draws every chart from the option the server embedded as JSON
// (div.chart#X and script#X-option), reloads the big screen every data-refresh seconds, shows a clock
// and toggles full screen.
(function () {
  "use strict";
  var charts = [];
  var dark = document.body.classList.contains("big-screen");
  document.querySelectorAll("div.chart").forEach(function (el) {
    var source = document.getElementById(el.id + "-option");
    if (!source || typeof echarts === "undefined") { return; }
    var chart = echarts.init(el, dark ? "dark" : null, { renderer: "canvas" });
    var option = JSON.parse(source.textContent);
    if (dark) { option.backgroundColor = "transparent"; }
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });

  var refresh = parseInt(document.body.getAttribute("data-refresh") || "0", 10);
  if (refresh > 0) {
    window.setTimeout(function () { window.location.reload(); }, refresh * 1000);
  }

  var clock = document.getElementById("clock");
  if (clock) {
    var tick = function () {
      var d = new Date();
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      clock.textContent = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
        pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    };
    tick();
    window.setInterval(tick, 1000);
  }

  var full = document.getElementById("fullscreen");
  if (full && document.documentElement.requestFullscreen) {
    full.addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else { document.documentElement.requestFullscreen(); }
    });
  } else if (full) {
    full.hidden = true;
  }
})();
