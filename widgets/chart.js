/* Chart widget: the rows of a query as a bar, line or pie chart, drawn by Chart.js (vendored,
 * static/vendor/chartjs/; the page loads it only when the app has a chart, see
 * WidgetType.vendor_scripts). `x` names the label column, `series` the number columns; a series
 * may be a bar or a line and sit on the left or right axis, so "orders and revenue per day" share
 * one chart. Without `x`/`series` the first column is x and every numeric column is a series.
 *
 * buildConfig() is pure and also a CommonJS module (tests/js/stat_chart.test.cjs). */
(function (root, factory) {
  "use strict";
  var node = typeof module === "object" && module.exports;
  var mod = factory(node ? require("../static/runtime/util.js") : root.ToolcribRuntime.util);
  if (node) module.exports = mod;
  else if (root.Toolcrib && root.Toolcrib.registerWidget) mod.register(root.Toolcrib, root);
})(typeof self !== "undefined" ? self : this, function (util) {
  "use strict";

  var PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];
  var MANY_POINTS = 60; // beyond this, lines are drawn without dots
  var toNumber = util.toNumber;

  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16 & 255) + ", " + (n >> 8 & 255) + ", " + (n & 255) + ", " + a + ")";
  }

  function rowsOf(data) {
    return (Array.isArray(data) ? data : []).filter(function (r) {
      return r !== null && typeof r === "object" && !Array.isArray(r);
    });
  }

  /** The series to draw: the configured ones, or every numeric column but x. */
  function seriesOf(props, rows, x) {
    if (Array.isArray(props.series) && props.series.length) {
      return props.series.filter(function (s) { return s && typeof s.key === "string" && s.key; });
    }
    var columns = rows.length ? Object.keys(rows[0]) : [];
    return columns.filter(function (c) {
      if (c === x) return false;
      var seen = false;
      var numeric = rows.every(function (r) {
        if (r[c] === null || r[c] === undefined) return true;
        seen = true;
        return toNumber(r[c]) !== null;
      });
      return numeric && seen;
    }).map(function (c) { return { key: c }; });
  }

  /** Legend entries in the order of `series` (the drawing order puts lines above bars). */
  function bySeries(a, b) { return a.datasetIndex - b.datasetIndex; }

  /**
   * A Chart.js config for the widget's evaluated props.
   *   opts.locale: number formatting; opts.animate: false for no animation (reduced motion)
   * Returns {config, points, series} (points = number of x labels).
   */
  function buildConfig(props, opts) {
    props = props || {};
    opts = opts || {};
    var rows = rowsOf(props.data);
    var x = typeof props.x === "string" && props.x ? props.x : (rows.length ? Object.keys(rows[0])[0] : null);
    var kind = ["bar", "line", "pie"].indexOf(props.chartType) >= 0 ? props.chartType : "bar";
    var series = seriesOf(props, rows, x);
    var labels = rows.map(function (r) { return util.toText(x === null ? null : r[x]); });
    var animation = opts.animate === false ? false : { duration: 300 };
    var base = { responsive: true, maintainAspectRatio: false, animation: animation, locale: opts.locale };

    if (kind === "pie") {
      var first = series[0] || { key: "" };
      var colors = labels.map(function (l, i) { return PALETTE[i % PALETTE.length]; });
      return {
        points: labels.length, series: series.slice(0, 1),
        config: {
          type: "pie",
          data: { labels: labels, datasets: [{
            label: first.label || first.key, data: rows.map(function (r) { return toNumber(r[first.key]); }),
            backgroundColor: colors, borderColor: "#ffffff", borderWidth: 2 }] },
          options: Object.assign(base, { plugins: { legend: { position: "right",
            labels: { boxWidth: 10, boxHeight: 10, usePointStyle: true } } } }),
        },
      };
    }

    var stacked = props.stacked === true;
    var axes = { left: [], right: [] };
    var datasets = series.map(function (s, i) {
      var type = s.type === "line" || s.type === "bar" ? s.type : kind;
      var side = s.axis === "right" ? "right" : "left";
      var color = /^#[0-9a-fA-F]{6}$/.test(s.color || "") ? s.color : PALETTE[i % PALETTE.length];
      var label = typeof s.label === "string" && s.label ? s.label : s.key;
      axes[side].push(label);
      var set = {
        type: type, label: label, yAxisID: side === "right" ? "y1" : "y",
        data: rows.map(function (r) { return toNumber(r[s.key]); }),
        borderColor: color, order: type === "line" ? 0 : 1,
      };
      if (type === "line") {
        Object.assign(set, { backgroundColor: stacked ? alpha(color, 0.15) : color, borderWidth: 2, tension: 0.25,
          pointRadius: rows.length > MANY_POINTS ? 0 : 3, pointHoverRadius: 5, fill: stacked ? "stack" : false,
          spanGaps: true });
      } else {
        Object.assign(set, { backgroundColor: alpha(color, 0.85), borderWidth: 0, borderRadius: 3,
          maxBarThickness: 48 });
      }
      return set;
    });
    var twoAxes = axes.left.length > 0 && axes.right.length > 0;
    function axis(position, names, grid) {
      return {
        position: position, beginAtZero: true, stacked: stacked,
        grid: grid ? { color: "#eef0f3" } : { drawOnChartArea: false },
        border: { display: false },
        title: { display: twoAxes, text: names.join(" / ") },
        ticks: { maxTicksLimit: 6 },
      };
    }
    var scales = {
      x: { stacked: stacked, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } },
    };
    if (axes.left.length || !axes.right.length) scales.y = axis("left", axes.left, true);
    if (axes.right.length) scales.y1 = axis("right", axes.right, !axes.left.length);
    return {
      points: labels.length, series: series,
      config: {
        type: kind,
        data: { labels: labels, datasets: datasets },
        options: Object.assign(base, {
          interaction: { mode: "index", intersect: false },
          scales: scales,
          plugins: { legend: { display: datasets.length > 1, position: "top", align: "end",
            labels: { boxWidth: 10, boxHeight: 10, usePointStyle: true, sort: bySeries } } },
        }),
      },
    };
  }

  function register(Toolcrib, win) {
    var kit = Toolcrib.kit;
    var t = Toolcrib.t;
    var document = win.document;
    var locale = document.documentElement.lang || undefined;
    var reduced = win.matchMedia && win.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var styled = false;

    function styleCharts(Chart) { // once per page: the runtime's font and muted colours
      if (styled) return;
      styled = true;
      var body = win.getComputedStyle(document.body);
      Chart.defaults.font.family = body.fontFamily;
      Chart.defaults.font.size = 12;
      Chart.defaults.color = "#6b7280";
    }

    Toolcrib.registerWidget("chart", function (cell, ctx) {
      var Chart = win.Chart;
      if (typeof Chart !== "function") throw new Error("Chart.js did not load (static/vendor/chartjs/)");
      styleCharts(Chart);
      var root = kit.el("div", "tc-chart");
      var title = kit.el("div", "tc-chart__title");
      var box = kit.el("div", "tc-chart__box");
      var canvas = kit.el("canvas", "tc-chart__canvas");
      var note = kit.el("div", "tc-chart__note");
      canvas.setAttribute("role", "img");
      box.appendChild(canvas);
      box.appendChild(note);
      root.appendChild(title);
      root.appendChild(box);
      cell.appendChild(root);
      var chart = null;

      function show(built) {
        var config = built.config;
        if (chart && chart.config.type !== config.type) {
          chart.destroy();
          chart = null;
        }
        if (!chart) {
          chart = new Chart(canvas, config);
          return;
        }
        chart.data = config.data;
        chart.options = config.options;
        chart.update();
      }

      return {
        update: function (props) {
          var query = ctx.dataQuery ? ctx.query(ctx.dataQuery) : {};
          var built = buildConfig(props, { locale: locale, animate: !reduced });
          title.textContent = kit.toText(props.title);
          title.hidden = title.textContent === "";
          show(built);
          var message = query.error ? t("loadError") + ": " + kit.toText(query.error)
            : !built.points ? t(query.isLoading ? "loading" : "noRows") : "";
          note.textContent = message;
          note.hidden = !message;
          note.classList.toggle("is-error", !!query.error);
          canvas.setAttribute("aria-label", (title.textContent || ctx.name) + ": " +
            built.points + " × " + built.series.map(function (s) { return s.label || s.key; }).join(", "));
          root.setAttribute("aria-busy", query.isLoading ? "true" : "false");
        },
        destroy: function () {
          if (chart) chart.destroy();
          chart = null;
        },
      };
    });
  }

  return { buildConfig: buildConfig, toNumber: toNumber, PALETTE: PALETTE, register: register };
});
