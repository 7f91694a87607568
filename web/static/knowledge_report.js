// Charts of the knowledge-base report (Apache ECharts, served locally).
// Tooltips are drawn on the canvas (renderMode "richText"): ECharts' HTML tooltips carry style="" the CSP blocks.
(function () {
  "use strict";
  var holder = document.getElementById("knowledge-data");
  if (!holder || !window.echarts) return;
  var data = JSON.parse(holder.dataset.report), t = holder.dataset;

  var deflection = document.getElementById("chart-deflection");
  if (deflection) {
    var days = data.deflection.days;
    echarts.init(deflection).setOption({
      tooltip: { trigger: "axis", renderMode: "richText" }, grid: { left: 50, right: 50, top: 40, bottom: 30 },
      legend: { top: 0, data: [t.tIvr, t.tAuto, t.tDeflected, t.tRate] },
      xAxis: { type: "category", data: days.map(function (d) { return d.day.slice(5); }) },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, name: "%" }],
      series: [
        { type: "bar", name: t.tIvr, stack: "offered", itemStyle: { color: "#9db4e8" },
          data: days.map(function (d) { return d.ivr_offered; }) },
        { type: "bar", name: t.tAuto, stack: "offered", itemStyle: { color: "#2256c7" },
          data: days.map(function (d) { return d.auto_offered; }) },
        { type: "bar", name: t.tDeflected, itemStyle: { color: "#2e8b57" },
          data: days.map(function (d) { return d.deflected; }) },
        { type: "line", name: t.tRate, yAxisIndex: 1, connectNulls: true, itemStyle: { color: "#c98a00" },
          data: days.map(function (d) { return d.rate == null ? null : Math.round(d.rate * 1000) / 10; }) }
      ]
    });
  }

  function byArticle(el, rows, series) {
    var names = rows.map(function (r) { return r.code; }).reverse();
    echarts.init(el).setOption({
      tooltip: { trigger: "axis", renderMode: "richText" }, grid: { left: 60, right: 20, top: 30, bottom: 30 },
      legend: { top: 0, data: series.map(function (s) { return s.name; }) },
      xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: names },
      series: series.map(function (s) {
        return { type: "bar", name: s.name, stack: s.stack, itemStyle: { color: s.colour },
                 data: rows.map(function (r) { return r[s.key]; }).reverse() };
      })
    });
  }

  var top = document.getElementById("chart-top");
  if (top) {
    byArticle(top, data.articles.top, [
      { key: "suggested", name: t.tSuggested, colour: "#9db4e8" },
      { key: "linked", name: t.tLinked, colour: "#2256c7", stack: "used" },
      { key: "inserted", name: t.tInserted, colour: "#6a5acd", stack: "used" },
      { key: "accepted", name: t.tAccepted, colour: "#2e8b57", stack: "used" }]);
  }
  var rejected = document.getElementById("chart-rejected");
  if (rejected) {
    byArticle(rejected, data.articles.rejected, [
      { key: "auto_rejected", name: t.tRejected, colour: "#b23b3b", stack: "refused" },
      { key: "auto_expired", name: t.tExpired, colour: "#c98a00", stack: "refused" },
      { key: "not_helpful", name: t.tNotHelpful, colour: "#888", stack: "refused" }]);
  }
})();
