// Charts for the reports page (Apache ECharts, served locally).
// Tooltips are drawn on the canvas (renderMode "richText"): ECharts' HTML tooltips carry style="" the CSP blocks.
(function () {
  "use strict";
  var holder = document.getElementById("report-data");
  if (!holder || !window.echarts) return;
  var data = JSON.parse(holder.dataset.report), days = JSON.parse(holder.dataset.days);
  var volume = document.getElementById("chart-volume");
  if (volume) {
    var cells = [], max = 1;
    data.volume.forEach(function (row, d) { row.forEach(function (n, h) { cells.push([h, d, n]); if (n > max) max = n; }); });
    echarts.init(volume).setOption({
      tooltip: { position: "top", renderMode: "richText" }, grid: { top: 10, left: 50, right: 10, bottom: 60 },
      xAxis: { type: "category", data: Array.from({ length: 24 }, function (_, h) { return h + "h"; }) },
      yAxis: { type: "category", data: days },
      visualMap: { min: 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0 },
      series: [{ type: "heatmap", data: cells, name: holder.dataset.tCalls }]
    });
  }
  document.querySelectorAll(".chart[data-key]").forEach(function (el) {
    var rows = data[el.dataset.key];
    echarts.init(el).setOption({
      grid: { left: 100, right: 20, top: 10, bottom: 30 }, tooltip: { renderMode: "richText" },
      xAxis: { type: "value", min: 0, max: 5 },
      yAxis: { type: "category", data: rows.map(function (r) { return r.key; }) },
      series: [{ type: "bar", name: holder.dataset.tMean, data: rows.map(function (r) { return r.mean; }),
                 itemStyle: { color: "#2256c7" } }]
    });
  });
  var channels = document.getElementById("chart-channels");
  if (channels) {
    var c = channels.dataset, rows = data.channels;
    echarts.init(channels).setOption({
      grid: { left: 50, right: 50, top: 30, bottom: 30 }, tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, data: [c.tTickets, c.tBacklog, c.tFirst] },
      xAxis: { type: "category", data: rows.map(function (r) { return r.label; }) },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", name: "min" }],
      series: [
        { type: "bar", name: c.tTickets, itemStyle: { color: "#2256c7" }, data: rows.map(function (r) { return r.tickets; }) },
        { type: "bar", name: c.tBacklog, itemStyle: { color: "#c98a00" }, data: rows.map(function (r) { return r.backlog; }) },
        { type: "line", name: c.tFirst, yAxisIndex: 1, itemStyle: { color: "#b23b3b" },
          data: rows.map(function (r) { return r.first_response_mean_seconds == null ? null : Math.round(r.first_response_mean_seconds / 6) / 10; }) }
      ]
    });
  }
  var presence = document.getElementById("chart-presence");
  if (presence && data.presence.length) {
    var names = JSON.parse(presence.dataset.states), colours = { available: "#2e8b57", on_call: "#2256c7", wrap_up: "#c98a00", paused: "#b23b3b" };
    echarts.init(presence).setOption({
      grid: { left: 100, right: 20, top: 30, bottom: 30 }, tooltip: { renderMode: "richText" },
      legend: { top: 0, data: Object.keys(names).map(function (k) { return names[k]; }) },
      xAxis: { type: "value", name: "min" },
      yAxis: { type: "category", data: data.presence.map(function (r) { return r.agent; }) },
      series: Object.keys(names).map(function (k) {
        return { type: "bar", stack: "time", name: names[k], itemStyle: { color: colours[k] },
                 data: data.presence.map(function (r) { return Math.round(r[k] / 6) / 10; }) };
      })
    });
  }
})();
