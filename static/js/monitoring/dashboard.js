// Small trend lines for the scorecard: one ECharts instance per indicator, data from the page's JSON block.
(function () {
  "use strict";
  var source = document.getElementById("trend-data");
  if (!source || typeof echarts === "undefined") {
    return;
  }
  var charts = JSON.parse(source.textContent);
  document.querySelectorAll(".trend-chart").forEach(function (element) {
    var data = charts[element.dataset.code];
    if (!data) {
      return;
    }
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 4, right: 4, top: 6, bottom: 6 },
      xAxis: { type: "category", show: false, data: data.points.map(function (p) { return p[0]; }) },
      yAxis: { type: "value", show: false, scale: true },
      tooltip: { trigger: "axis" },
      series: [{ type: "line", symbolSize: 4, data: data.points.map(function (p) { return p[1]; }) }]
    });
  });
})();
