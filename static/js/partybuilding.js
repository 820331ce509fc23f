// Chart of the party-building coverage page. Data comes from the page through json_script.
(function () {
  "use strict";
  var source = document.getElementById("coverage-data");
  var el = document.getElementById("chart-coverage");
  if (!source || !el || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 10, bottom: 40, top: 40 },
    xAxis: { type: "category", data: data.townships, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value" },
    series: data.series.map(function (s) {
      return { name: s.name, type: "bar", stack: "coverage", data: s.data };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
