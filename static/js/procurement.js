// Chart of the project totals page. Data comes from the page through json_script.
(function () {
  "use strict";
  var source = document.getElementById("totals-data");
  var el = document.getElementById("chart-totals");
  if (!source || !el || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 70, right: 10, bottom: 30, top: 40 },
    xAxis: { type: "category", data: data.years },
    yAxis: { type: "value" },
    series: data.series.map(function (s) {
      return { name: s.name, type: "bar", stack: "amount", data: s.data };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
