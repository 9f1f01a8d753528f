// The delivery reports' charts are drawn by sales/report-charts.js; this file only fixes the scale of a
// rate axis afterwards: a spec with "rate_axis": n gets its value axis n from 0 to 100 with a "%" unit.
(function () {
  "use strict";

  function adjust() {
    var source = document.getElementById("report-charts");
    if (!source || !window.echarts) { return; }
    var specs = JSON.parse(source.textContent);
    document.querySelectorAll(".report-chart[data-chart]").forEach(function (element) {
      var spec = specs[element.dataset.chart];
      var chart = window.echarts.getInstanceByDom(element);
      if (!spec || !chart || spec.rate_axis === undefined) { return; }
      var axes = chart.getOption().yAxis.map(function (axis, index) {
        return index === spec.rate_axis ? { min: 0, max: 100, interval: 25, axisLabel: { formatter: "{value}%" } } : {};
      });
      chart.setOption({ yAxis: axes });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", adjust);
  } else {
    adjust();
  }
})();
