// An agent's QA scores over time (Apache ECharts, served locally).
// Tooltips are drawn on the canvas (renderMode "richText"): ECharts' HTML tooltips carry style="" the CSP blocks.
// The time labels come from the server, already in the reader's language and the centre's time zone.
(function () {
  "use strict";
  var holder = document.getElementById("trend-data"), el = document.getElementById("chart-trend");
  if (!holder || !el || !window.echarts) return;
  var points = JSON.parse(holder.dataset.points);
  echarts.init(el).setOption({
    tooltip: { trigger: "axis", renderMode: "richText" }, grid: { left: 50, right: 20, top: 20, bottom: 40 },
    xAxis: { type: "category", data: points.map(function (p) { return p.at; }) },
    yAxis: { type: "value", min: 0, max: 100 },
    series: [{ type: "line", name: holder.dataset.tScore, showSymbol: true, connectNulls: true,
               data: points.map(function (p) { return p.score; }), itemStyle: { color: "#2256c7" } }]
  });
})();
