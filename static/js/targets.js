// Charts of the plan dashboard (sparklines) and of a target page. Data comes through json_script.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var charts = [];
  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var trends = read("trend-data");
  if (trends) {
    document.querySelectorAll(".sparkline").forEach(function (el) {
      var values = trends[el.getAttribute("data-code")] || [];
      if (values.length < 2) { return; }
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption({
        animation: false,
        grid: { left: 2, right: 2, top: 2, bottom: 2 },
        xAxis: { type: "category", show: false, data: values.map(function (_v, i) { return i; }) },
        yAxis: { type: "value", show: false, scale: true },
        series: [{ type: "line", data: values, symbol: "none", lineStyle: { width: 1.5 } }]
      });
      charts.push(chart);
    });
  }
  var data = read("target-chart");
  if (data) {
    var time = document.getElementById("chart-time");
    if (time) {
      var series = [{ type: "line", data: data.time.values, connectNulls: false }];
      if (data.goal !== null) {
        series[0].markLine = { symbol: "none", data: [{ yAxis: data.goal }], lineStyle: { type: "dashed" } };
      }
      var c1 = echarts.init(time);
      c1.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 50, right: 20, top: 20, bottom: 40 },
        xAxis: { type: "category", data: data.time.dates },
        yAxis: { type: "value", scale: true },
        series: series
      });
      charts.push(c1);
    }
    var towns = document.getElementById("chart-townships");
    if (towns) {
      var c2 = echarts.init(towns);
      c2.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 50, right: 20, top: 20, bottom: 60 },
        xAxis: { type: "category", data: data.townships.names, axisLabel: { interval: 0, rotate: 30 } },
        yAxis: { type: "value" },
        series: [{ type: "bar", data: data.townships.values }]
      });
      charts.push(c2);
    }
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
})();
