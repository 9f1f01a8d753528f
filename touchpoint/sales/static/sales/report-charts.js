// Charts of the forecast and the sales reports. The page carries its data in a json_script block
// (id "report-charts", one spec per chart) and empty <div class="report-chart" data-chart="key">
// containers; this file turns each spec into an ECharts option. No inline script (the CSP forbids
// it), and tooltips render as rich text on the canvas rather than HTML with inline styles.
(function () {
  "use strict";
  var chinese = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;

  function plain(value) {
    if (value === null || value === undefined || value === "") { return "–"; }
    return Number(value).toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: 1 });
  }

  // Axis labels: 万 and 亿 in Chinese, k and M otherwise.
  function compact(value) {
    var number = Number(value);
    var size = Math.abs(number);
    if (chinese) {
      if (size >= 1e8) { return (number / 1e8).toLocaleString("zh-CN", { maximumFractionDigits: 1 }) + "亿"; }
      if (size >= 1e4) { return (number / 1e4).toLocaleString("zh-CN", { maximumFractionDigits: 0 }) + "万"; }
      return String(number);
    }
    if (size >= 1e6) { return (number / 1e6).toLocaleString("en", { maximumFractionDigits: 1 }) + "M"; }
    if (size >= 1e3) { return (number / 1e3).toLocaleString("en", { maximumFractionDigits: 0 }) + "k"; }
    return String(number);
  }

  function pieOption(spec) {
    var values = spec.series[0].data;
    return {
      tooltip: { trigger: "item", renderMode: "richText", valueFormatter: plain },
      legend: { type: "scroll", bottom: 0 },
      series: [{
        name: spec.series[0].name, type: "pie", radius: ["35%", "62%"], center: ["50%", "45%"],
        label: { formatter: "{b}: {d}%" },  // the amount is in the tooltip
        data: spec.categories.map(function (name, index) { return { name: name, value: values[index] }; })
      }]
    };
  }

  function axisOption(spec) {
    var horizontal = Boolean(spec.horizontal);
    var categoryAxis = {
      type: "category", data: spec.categories, inverse: horizontal,
      axisLabel: { interval: 0, hideOverlap: true, rotate: !horizontal && spec.categories.length > 8 ? 30 : 0 }
    };
    var formatter = spec.percent ? plain : compact;
    var valueAxes = [{ type: "value", axisLabel: { formatter: formatter } }];
    var secondAxis = spec.series.some(function (series) { return series.axis === 1; });
    if (secondAxis) { valueAxes.push({ type: "value", splitLine: { show: false }, axisLabel: { formatter: plain } }); }
    var series = spec.series.map(function (item) {
      var one = {
        name: item.name, type: item.type || "bar", data: item.data, stack: item.stack,
        connectNulls: true, emphasis: { focus: "series" }, barMaxWidth: 36
      };
      one[horizontal ? "xAxisIndex" : "yAxisIndex"] = item.axis || 0;
      return one;
    });
    return {
      tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: plain },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, bottom: 8, top: 36, containLabel: true },
      xAxis: horizontal ? valueAxes : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxes,
      series: series
    };
  }

  function draw() {
    var source = document.getElementById("report-charts");
    if (!source || !window.echarts) { return; }
    var specs = JSON.parse(source.textContent);
    var drawn = [];
    document.querySelectorAll(".report-chart[data-chart]").forEach(function (element) {
      var spec = specs[element.dataset.chart];
      if (!spec) { return; }
      if (!spec.categories.length) {
        element.classList.add("text-body-secondary", "small", "py-4", "text-center");
        element.textContent = element.dataset.empty || "";
        return;
      }
      element.style.height = (element.dataset.height || "320") + "px";
      var chart = window.echarts.getInstanceByDom(element) || window.echarts.init(element);
      var option = spec.pie ? pieOption(spec) : axisOption(spec);
      if (spec.colors) { option.color = spec.colors; }  // a meaningful palette, e.g. ageing from green to red
      chart.setOption(option, true);
      drawn.push(chart);
    });
    window.addEventListener("resize", function () { drawn.forEach(function (chart) { chart.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
