// Evaluation pages: the scoring form's subtotals and running total, and the charts.
// No inline scripts (CSP): data reaches this file through json_script elements.
(function () {
  "use strict";

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // --- The scoring form: subtotals per category, running total, provisional grade, and the
  // field marked invalid as soon as a value leaves [0, maximum] (the server refuses it too).
  var form = document.getElementById("score-form");
  if (form) {
    var thresholds = (readJSON("score-thresholds") || []).sort(function (a, b) { return b.min - a.min; });
    var inputs = Array.prototype.slice.call(form.querySelectorAll("input.js-score"));
    var totalEl = document.getElementById("score-total");
    var gradeEl = document.getElementById("score-grade");

    var recompute = function () {
      var subtotals = {};
      var total = 0;
      inputs.forEach(function (input) {
        var category = input.getAttribute("data-category");
        var max = parseFloat(input.getAttribute("data-max"));
        var raw = input.value.trim();
        var value = raw === "" ? 0 : Number(raw);
        var bad = raw !== "" && (isNaN(value) || value < 0 || value > max || Math.round(value * 2) !== value * 2);
        input.classList.toggle("is-invalid", bad);
        input.setAttribute("aria-invalid", bad ? "true" : "false");
        if (!bad) {
          subtotals[category] = (subtotals[category] || 0) + value;
          total += value;
        }
      });
      form.querySelectorAll(".js-subtotal").forEach(function (el) {
        el.textContent = String(Math.round((subtotals[el.getAttribute("data-category")] || 0) * 10) / 10);
      });
      total = Math.round(total * 10) / 10;
      if (totalEl) { totalEl.textContent = String(total); }
      if (gradeEl) {
        var grade = "—";
        for (var i = 0; i < thresholds.length; i++) {
          if (total >= thresholds[i].min) { grade = thresholds[i].grade; break; }
        }
        gradeEl.textContent = grade;
      }
    };
    form.addEventListener("input", recompute);
    recompute();
  }

  if (!window.echarts) { return; }
  var charts = [];
  var gradeColours = { "5A": "#146c43", "4A": "#1f4e8c", "3A": "#4f8fd6", "2A": "#e0a800", "1A": "#b3261e" };

  // --- Grade distribution by year (stacked bars) and by type.
  var dist = readJSON("distribution-data");
  if (dist) {
    var years = document.getElementById("chart-years");
    if (years) {
      var c1 = echarts.init(years);
      c1.setOption({
        tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 40, right: 10, bottom: 30, top: 30 },
        xAxis: { type: "category", data: dist.years }, yAxis: { type: "value" },
        series: dist.grades.map(function (g) {
          return { name: g, type: "bar", stack: "all", data: dist.series[g], itemStyle: { color: gradeColours[g] } };
        })
      });
      charts.push(c1);
    }
    var types = document.getElementById("chart-types");
    if (types) {
      var c2 = echarts.init(types);
      c2.setOption({
        tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 40, right: 10, bottom: 30, top: 30 },
        xAxis: { type: "category", data: dist.types, axisLabel: { interval: 0 } }, yAxis: { type: "value" },
        series: dist.grades.map(function (g) {
          return { name: g, type: "bar", stack: "all", data: dist.type_series[g], itemStyle: { color: gradeColours[g] } };
        })
      });
      charts.push(c2);
    }
  }

  // --- The organisation tab: points per category against the maximum (radar).
  var radar = readJSON("evaluation-radar-data");
  var radarEl = document.getElementById("chart-evaluation-radar");
  if (radar && radarEl) {
    var c3 = echarts.init(radarEl);
    c3.setOption({
      tooltip: {}, legend: { bottom: 0 },
      radar: { indicator: radar.categories.map(function (c) { return { name: c.name, max: c.max }; }), radius: "62%" },
      series: [{
        type: "radar",
        data: [
          { name: radar.labels.max, value: radar.categories.map(function (c) { return c.max; }), lineStyle: { type: "dashed" } },
          { name: radar.labels.points, value: radar.points, areaStyle: { opacity: 0.25 } }
        ]
      }]
    });
    charts.push(c3);
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
