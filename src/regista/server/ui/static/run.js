// regista web UI: the run page's metric history plots (per step and per time), drawn with plotly (served
// from the installed plotly package). The points come from the tracking API's sampled history read.
"use strict";
(function () {
  var config = { displayModeBar: false, responsive: true };

  function layout(xTitle, yTitle) {
    var style = getComputedStyle(document.documentElement);
    var fg = style.getPropertyValue("--fg").trim() || "#1b1f24";
    var grid = style.getPropertyValue("--border").trim() || "#d0d7de";
    return {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: fg }, height: 320,
      margin: { l: 60, r: 20, t: 20, b: 50 },
      xaxis: { title: { text: xTitle }, gridcolor: grid, zerolinecolor: grid },
      yaxis: { title: { text: yTitle }, gridcolor: grid, zerolinecolor: grid },
    };
  }

  function draw(holder, key) {
    var url = "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?max_results=2500&run_ids=" +
      encodeURIComponent(holder.dataset.runId) + "&metric_key=" + encodeURIComponent(key);
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (body) {
      var points = body.metrics || [];
      var steps = points.map(function (p) { return p.step; });
      var times = points.map(function (p) { return new Date(p.timestamp); });
      var values = points.map(function (p) { return p.value; });
      Plotly.react("plot-step", [{ x: steps, y: values, mode: "lines+markers", type: "scatter", name: key }],
        layout("step", key), config);
      Plotly.react("plot-time", [{ x: times, y: values, mode: "lines+markers", type: "scatter", name: key }],
        layout("time", key), config);
      holder.dataset.plotted = key;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var holder = document.querySelector("[data-metric-plots]");
    if (!holder || typeof Plotly === "undefined") return;
    var select = document.getElementById("metric-choice");
    select.addEventListener("change", function () { draw(holder, select.value); });
    draw(holder, select.value);
    var toggle = document.querySelector("[data-theme-toggle]");
    if (toggle) toggle.addEventListener("click", function () { draw(holder, select.value); });
  });
})();
