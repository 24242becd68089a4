// Draws the dashboard's charts from their data-chart attributes (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var data = JSON.parse(element.getAttribute("data-chart"));
    var chart = echarts.init(element, null, { renderer: "canvas" });
    var colors = ["#b3261e", "#1f6f43", "#8a5a00", "#3b5ba5"];
    var series = (data.series || [{ name: "", values: data.values }]).map(function (s, i) {
      return { type: "bar", name: s.name, data: s.values, itemStyle: { color: colors[i % colors.length] } };
    });
    chart.setOption({
      grid: { left: 40, right: 10, top: data.series ? 30 : 20, bottom: 30, containLabel: true },
      tooltip: {},
      legend: data.series ? { top: 0 } : undefined,
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, hideOverlap: true } },
      yAxis: { type: "value", minInterval: 1 },
      series: series,
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
