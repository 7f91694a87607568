// Start pages: how long each agent has been in their state (ticking), and today's calls by hour (ECharts).
(function () {
  "use strict";
  var live = document.getElementById("team-live");
  if (live) {
    var tick = function () {
      var now = Date.now() / 1000;
      live.querySelectorAll(".ticking[data-since]").forEach(function (el) {
        el.textContent = window.ccDuration(now - parseFloat(el.dataset.since), live.dataset);
      });
    };
    tick();
    setInterval(tick, 1000);
  }
  var chart = document.getElementById("chart-hours");
  if (chart && window.echarts) {
    var hours = JSON.parse(chart.dataset.hours);
    // Canvas tooltips: ECharts' HTML tooltips carry style="" the CSP blocks.
    echarts.init(chart).setOption({
      animation: false,  // drawn at once: what a screenshot or a glance sees is the day's figures
      grid: { left: 40, right: 10, top: 30, bottom: 30 }, tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, data: [chart.dataset.tAnswered, chart.dataset.tAbandoned] },
      xAxis: { type: "category", data: hours.map(function (h) { return h[0] + "h"; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { type: "bar", stack: "calls", name: chart.dataset.tAnswered, itemStyle: { color: "#2e8b57" },
          data: hours.map(function (h) { return h[1]; }) },
        { type: "bar", stack: "calls", name: chart.dataset.tAbandoned, itemStyle: { color: "#b23b3b" },
          data: hours.map(function (h) { return h[2]; }) }
      ]
    });
  }
})();
