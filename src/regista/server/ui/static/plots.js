// regista web UI: the comparison plots (scatter, contour, parallel coordinates) of the compare pages,
// drawn with plotly (served from the installed plotly package). Data: <script id="plot-data"> holding
// {"labels": [one per compared item], "series": {"param: alpha": [numbers, one per item], ...}}.
"use strict";
(function () {
  var plotConfig = { displayModeBar: false, responsive: true };

  function themeLayout(extra) {
    var style = getComputedStyle(document.documentElement);
    var fg = style.getPropertyValue("--fg").trim() || "#1b1f24";
    var grid = style.getPropertyValue("--border").trim() || "#d0d7de";
    var base = {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: fg },
      margin: { l: 60, r: 20, t: 20, b: 50 }, height: 360,
      xaxis: { gridcolor: grid, zerolinecolor: grid }, yaxis: { gridcolor: grid, zerolinecolor: grid },
    };
    return Object.assign(base, extra || {});
  }

  function draw(data) {
    var x = document.getElementById("plot-x").value;
    var y = document.getElementById("plot-y").value;
    var z = document.getElementById("plot-z").value;
    var s = data.series;
    Plotly.react("plot-scatter", [{
      x: s[x], y: s[y], text: data.labels, mode: "markers+text", type: "scatter", textposition: "top center",
      marker: { size: 11 },
    }], themeLayout({ xaxis: { title: { text: x } }, yaxis: { title: { text: y } } }), plotConfig);
    Plotly.react("plot-contour", [{
      x: s[x], y: s[y], z: s[z], type: "contour", colorscale: "Viridis",
      contours: { coloring: "heatmap" }, colorbar: { title: { text: z } },
    }, {
      x: s[x], y: s[y], text: data.labels, mode: "markers", type: "scatter", marker: { color: "#ffffff", size: 8 },
    }], themeLayout({ showlegend: false, xaxis: { title: { text: x } }, yaxis: { title: { text: y } } }), plotConfig);
    var names = Object.keys(s);
    Plotly.react("plot-parallel", [{
      type: "parcoords",
      line: { color: s[z], colorscale: "Viridis", showscale: true },
      dimensions: names.map(function (n) { return { label: n, values: s[n] }; }),
    }], themeLayout({ margin: { l: 80, r: 80, t: 60, b: 30 } }), plotConfig);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var holder = document.getElementById("plot-data");
    if (!holder || typeof Plotly === "undefined") return;
    var data = JSON.parse(holder.textContent);
    var names = Object.keys(data.series);
    var metrics = names.filter(function (n) { return n.indexOf("metric: ") === 0; });
    var params = names.filter(function (n) { return n.indexOf("param: ") === 0; });
    var defaults = {
      x: params[0] || names[0], y: metrics[0] || names[1], z: metrics[1] || metrics[0] || names[names.length - 1],
    };
    document.querySelectorAll("[data-plot-controls] select").forEach(function (select) {
      names.forEach(function (n) {
        var option = document.createElement("option");
        option.value = n; option.textContent = n;
        select.appendChild(option);
      });
      select.value = defaults[select.dataset.axis];
      select.addEventListener("change", function () { draw(data); });
    });
    draw(data);
    var toggle = document.querySelector("[data-theme-toggle]");
    if (toggle) toggle.addEventListener("click", function () { draw(data); });
  });
})();
