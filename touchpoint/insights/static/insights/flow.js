// The Sankey of handoffs between departments on the flow monitor. The page carries the chart in the
// json_script block "report-charts" (key "sankey": nodes, links); each department is two nodes, the
// source on the left and the target on the right, because ECharts cannot draw a cycle. No inline
// script (the CSP forbids it); tooltips render as rich text on the canvas.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("report-charts");
    var element = document.getElementById("flow-sankey");
    if (!source || !element || !window.echarts) { return; }
    var spec = JSON.parse(source.textContent).sankey;
    if (!spec || !spec.links.length) {
      element.classList.add("text-body-secondary", "small", "py-4", "text-center");
      element.style.minHeight = "0";
      element.textContent = element.dataset.empty || "";
      return;
    }
    var sources = spec.nodes.filter(function (node) { return node.side === "source"; }).length;
    var targets = spec.nodes.length - sources;
    // Sources only send and targets only receive, so the layout puts them in two columns by itself.
    var nodes = spec.nodes.map(function (node) {
      return { name: node.name, label: { position: node.side === "source" ? "right" : "left" } };
    });
    element.style.height = Math.max(360, 48 * Math.max(sources, targets)) + "px";
    var chart = window.echarts.getInstanceByDom(element) || window.echarts.init(element);
    chart.setOption({
      tooltip: {
        trigger: "item", renderMode: "richText",
        formatter: function (item) {
          if (item.dataType === "edge") {
            var text = item.data.source + " " + item.data.target.replace(/^→ /, "→ ") + ": " + item.data.value + " " + spec.label;
            return text.replace(" → →", " →");
          }
          return item.name + ": " + item.value + " " + spec.label;
        }
      },
      series: [{
        type: "sankey", left: 8, right: 8, top: 8, bottom: 8, nodeWidth: 16,
        nodeGap: 14, draggable: false, emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", curveness: 0.5, opacity: 0.45 },
        label: { fontSize: 12 },
        data: nodes, links: spec.links
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
