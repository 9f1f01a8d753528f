/* ECharts on the sales pages, without inline scripts (the CSP forbids them).
 *
 * Any element with one of these attributes becomes a chart:
 *   data-chart-source="some-id"   the id of a {{ options|json_script:"some-id" }} element holding the options;
 *   data-chart-options='{…}'      the options as JSON in the attribute itself.
 * Optional:
 *   data-chart-height="320"       height in pixels (default 300);
 *   data-chart-value-suffix="%"   appended to values in the tooltip (JSON cannot carry a formatter function).
 *
 * Charts start on page load and after every htmx swap, follow the window's size, and are disposed of
 * when htmx removes their element. Load vendor/echarts/echarts.min.js before this file.
 */
(function () {
    "use strict";

    var SELECTOR = "[data-chart-source], [data-chart-options]";

    function readOptions(element) {
        var source = element.getAttribute("data-chart-source");
        var text = source ? (document.getElementById(source) || {}).textContent : element.getAttribute("data-chart-options");
        if (!text) {
            return null;
        }
        try {
            return JSON.parse(text);
        } catch (error) {
            console.error("Chart options are not valid JSON", element, error);
            return null;
        }
    }

    function start(element) {
        if (!window.echarts || window.echarts.getInstanceByDom(element)) {
            return;
        }
        var options = readOptions(element);
        if (!options) {
            return;
        }
        var height = parseInt(element.getAttribute("data-chart-height") || "300", 10);
        element.style.height = height + "px";
        var suffix = element.getAttribute("data-chart-value-suffix");
        if (suffix) {
            options.tooltip = options.tooltip || {};
            options.tooltip.valueFormatter = function (value) {
                return value === null || value === undefined || value === "-" ? "—" : value + suffix;
            };
        }
        window.echarts.init(element, null, {renderer: "canvas"}).setOption(options);
    }

    function startAll(root) {
        var scope = root && root.querySelectorAll ? root : document;
        if (scope.matches && scope.matches(SELECTOR)) {
            start(scope);
        }
        scope.querySelectorAll(SELECTOR).forEach(start);
    }

    function resizeAll() {
        document.querySelectorAll(SELECTOR).forEach(function (element) {
            var chart = window.echarts && window.echarts.getInstanceByDom(element);
            if (chart) {
                chart.resize();
            }
        });
    }

    var resizing = null;
    window.addEventListener("resize", function () {
        window.clearTimeout(resizing);
        resizing = window.setTimeout(resizeAll, 150);
    });
    document.addEventListener("htmx:afterSettle", function (event) {
        startAll(event.target);
    });
    document.addEventListener("htmx:beforeCleanupElement", function (event) {
        var chart = window.echarts && window.echarts.getInstanceByDom(event.target);
        if (chart) {
            chart.dispose();
        }
    });
    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", function () {
            startAll(document);
        });
    } else {
        startAll(document);
    }

    window.touchpointCharts = {start: startAll, resize: resizeAll};
}());
