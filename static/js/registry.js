// Charts of the register overview. Data comes from the page through json_script.
(function () {
  "use strict";
  var source = document.getElementById("overview-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var types = document.getElementById("chart-types");
  if (types) {
    echarts.init(types).setOption({
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: data.types, label: { formatter: "{b}\n{c}" } }]
    });
  }
  var townships = document.getElementById("chart-townships");
  if (townships) {
    var legal = townships.getAttribute("data-legal") || "legal";
    echarts.init(townships).setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 10, bottom: 40, top: 30 },
      xAxis: { type: "category", data: data.townships, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value" },
      series: [
        { name: data.labels ? data.labels.legal : legal, type: "bar", stack: "all", data: data.legal },
        { name: data.labels ? data.labels.filed : "filed", type: "bar", stack: "all", data: data.filed }
      ]
    });
  }
  window.addEventListener("resize", function () {
    [types, townships].forEach(function (el) { var c = el && echarts.getInstanceByDom(el); if (c) { c.resize(); } });
  });
})();

// Tick boxes of a list: "select all" and "select none" buttons name the boxes' field in data-target.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".js-select-all, .js-select-none");
    if (!button) { return; }
    var on = button.classList.contains("js-select-all");
    var form = button.closest("form") || document;
    form.querySelectorAll("input[type=checkbox][name='" + button.getAttribute("data-target") + "']")
      .forEach(function (box) { box.checked = on; });
  });
})();

// The village / community select offers the chosen township's communities only: when the
// township changes, its options are refilled from the page's data (json_script).
(function () {
  "use strict";
  document.querySelectorAll("select[data-communities]").forEach(function (select) {
    var source = document.getElementById(select.getAttribute("data-communities"));
    var township = document.getElementById(select.getAttribute("data-township-field"));
    if (!source || !township) { return; }
    var byTownship = JSON.parse(source.textContent);
    township.addEventListener("change", function () {
      var kept = select.value;
      while (select.options.length > 1) { select.remove(1); }  // keep the empty choice
      (byTownship[township.value] || []).forEach(function (community) {
        var option = new Option(community[1], community[0]);
        option.selected = String(community[0]) === kept;
        select.add(option);
      });
    });
  });
})();
