// The calibration page: the reliability curve, and precision and coverage at the threshold the slider picks.
// Tooltips are drawn on the canvas (renderMode "richText"): ECharts' HTML tooltips carry style="" the CSP blocks.
(function () {
  "use strict";
  var holder = document.getElementById("calibration-data");
  if (!holder) return;
  var data = JSON.parse(holder.dataset.chart), t = holder.dataset;
  var table = data.table;  // [[threshold, precision, coverage], ...]

  function pct(v) { return v == null ? "—" : (v * 100).toFixed(1) + " %"; }
  function nearest(x) {
    var best = null;
    table.forEach(function (r) { if (best === null || Math.abs(r[0] - x) < Math.abs(best[0] - x) - 1e-9) best = r; });
    return best;
  }

  var slider = document.getElementById("threshold"), shown = document.getElementById("threshold-value");
  var precision = document.getElementById("precision"), coverage = document.getElementById("coverage");
  var thresholdChart = null;

  function marks(x) {
    var lines = data.categories.map(function (c) {
      return { xAxis: c.threshold, name: c.name, label: { formatter: c.name, position: "insideEndTop" },
               lineStyle: { color: "#888", type: "dashed" } };
    });
    lines.push({ xAxis: x, name: t.tThreshold, label: { formatter: x.toFixed(2), position: "end" },
                 lineStyle: { color: "#b23b3b", width: 2, type: "solid" } });
    return lines;
  }

  function show() {
    var x = parseFloat(slider.value), row = nearest(x);
    shown.textContent = x.toFixed(2);
    precision.textContent = row && row[2] ? pct(row[1]) : "—";
    coverage.textContent = row ? pct(row[2]) : "—";
    if (thresholdChart) {
      thresholdChart.setOption({ series: [{ markLine: { symbol: "none", silent: true, data: marks(x) } }] });
    }
  }

  if (!window.echarts) { if (slider) slider.addEventListener("input", show); return; }

  var reliability = document.getElementById("chart-reliability");
  if (reliability && data.curve.length) {
    echarts.init(reliability).setOption({
      tooltip: { trigger: "axis", renderMode: "richText" }, grid: { left: 50, right: 50, top: 40, bottom: 40 },
      legend: { top: 0, data: [t.tObserved, t.tIdeal, t.tCount] },
      xAxis: { type: "value", min: 0, max: 1, name: t.tPredicted, nameLocation: "middle", nameGap: 25 },
      yAxis: [{ type: "value", min: 0, max: 1 }, { type: "value", name: t.tCount, minInterval: 1 }],
      series: [
        { type: "bar", name: t.tCount, yAxisIndex: 1, barMaxWidth: 18, itemStyle: { color: "#c9d6f2" },
          data: data.curve.map(function (p) { return [p[0], p[2]]; }) },
        { type: "line", name: t.tIdeal, showSymbol: false, lineStyle: { type: "dashed", color: "#888" },
          itemStyle: { color: "#888" }, data: [[0, 0], [1, 1]] },
        { type: "line", name: t.tObserved, symbolSize: 8, itemStyle: { color: "#2256c7" },
          data: data.curve.map(function (p) { return [p[0], p[1]]; }) }
      ]
    });
  }

  var thresholds = document.getElementById("chart-thresholds");
  if (thresholds && table.length) {
    thresholdChart = echarts.init(thresholds);
    thresholdChart.setOption({
      tooltip: { trigger: "axis", renderMode: "richText" }, grid: { left: 50, right: 20, top: 40, bottom: 40 },
      legend: { top: 0, data: [t.tPrecision, t.tCoverage] },
      xAxis: { type: "value", min: 0, max: 1, name: t.tThreshold, nameLocation: "middle", nameGap: 25 },
      yAxis: { type: "value", min: 0, max: 1 },
      series: [
        { type: "line", name: t.tPrecision, itemStyle: { color: "#2e8b57" },
          data: table.map(function (r) { return [r[0], r[2] ? r[1] : null]; }),
          markLine: { symbol: "none", silent: true, data: marks(parseFloat(slider.value)) } },
        { type: "line", name: t.tCoverage, itemStyle: { color: "#c98a00" },
          data: table.map(function (r) { return [r[0], r[2]]; }) }
      ]
    });
  }
  if (slider) { slider.addEventListener("input", show); }
})();
