/* Stat widget: a number card — label, the number (formatted), an optional trend and caption,
 * and a tone (neutral, good, warning, danger) that colours the card; the tone may be a binding,
 * so a low-stock count can turn the card red. While the query it reads runs for the first time
 * the number shows "…"; when that query fails it shows "—" and the error under it.
 *
 * The formatting is pure and also a CommonJS module (tests/js/stat_chart.test.cjs). */
(function (root, factory) {
  "use strict";
  var node = typeof module === "object" && module.exports;
  var mod = factory(node ? require("../static/runtime/util.js") : root.ToolcribRuntime.util);
  if (node) module.exports = mod;
  else if (root.Toolcrib && root.Toolcrib.registerWidget) mod.register(root.Toolcrib, root.document);
})(typeof self !== "undefined" ? self : this, function (util) {
  "use strict";

  var TONES = ["neutral", "good", "warning", "danger"];
  var FORMATS = ["number", "currency", "percent", "text"];
  var EMPTY = "—";
  var toNumber = util.toNumber;

  function digits(props, fallbackMin, fallbackMax) {
    var d = props.decimals;
    if (typeof d === "number" && d >= 0 && d <= 6) return { min: d | 0, max: d | 0 };
    return { min: fallbackMin, max: fallbackMax };
  }

  /** The number in the widget's format, without prefix/suffix. */
  function formatNumber(n, props, locale) {
    var format = FORMATS.indexOf(props.format) >= 0 ? props.format : "number";
    var options;
    if (format === "currency") {
      var d = digits(props, 2, 2);
      options = { style: "currency", currency: /^[A-Z]{3}$/.test(props.currency || "") ? props.currency : "CNY",
        minimumFractionDigits: d.min, maximumFractionDigits: d.max };
    } else if (format === "percent") {
      var p = digits(props, 0, 1);
      options = { style: "percent", minimumFractionDigits: p.min, maximumFractionDigits: p.max };
    } else {
      var q = digits(props, 0, 2);
      options = { minimumFractionDigits: q.min, maximumFractionDigits: q.max };
    }
    try {
      return new Intl.NumberFormat(locale || undefined, options).format(n);
    } catch (e) { // an unknown locale or currency: plain digits rather than nothing
      return String(n);
    }
  }

  function affix(props, text) {
    var prefix = typeof props.prefix === "string" ? props.prefix : "";
    var suffix = typeof props.suffix === "string" ? props.suffix : "";
    return prefix + text + suffix;
  }

  /** The text the card shows for `value`: {text, empty}. */
  function formatValue(value, props, locale) {
    props = props || {};
    if (value === null || value === undefined || value === "" || (typeof value === "number" && !isFinite(value))) {
      return { text: EMPTY, empty: true };
    }
    var n = props.format === "text" ? null : toNumber(value);
    if (n === null) {
      var text = util.toText(value);
      return { text: props.format === "text" ? affix(props, text) : text, empty: false };
    }
    return { text: affix(props, formatNumber(n, props, locale)), empty: false };
  }

  /** The trend badge: {text, direction: up|down|flat|null, good: true|false|null} or null. */
  function formatTrend(trend, props, locale) {
    props = props || {};
    if (trend === null || trend === undefined || trend === "") return null;
    var n = toNumber(trend);
    if (n === null) return { text: String(trend), direction: null, good: null };
    var direction = n > 0 ? "up" : n < 0 ? "down" : "flat";
    var arrow = direction === "up" ? "▲ " : direction === "down" ? "▼ " : "– ";
    var good = direction === "flat" ? null : direction === (props.trendGood === "down" ? "down" : "up");
    return { text: arrow + formatValue(Math.abs(n), props, locale).text, direction: direction, good: good };
  }

  function toneOf(tone) {
    return TONES.indexOf(tone) >= 0 ? tone : "neutral";
  }

  function register(Toolcrib, document) {
    var kit = Toolcrib.kit;
    var locale = document.documentElement.lang || undefined;

    Toolcrib.registerWidget("stat", function (cell, ctx) {
      var root = kit.el("div", "tc-stat");
      var label = kit.el("div", "tc-stat__label");
      var line = kit.el("div", "tc-stat__line");
      var value = kit.el("div", "tc-stat__value");
      var trend = kit.el("span", "tc-stat__trend");
      var caption = kit.el("div", "tc-stat__caption");
      line.appendChild(value);
      line.appendChild(trend);
      root.appendChild(label);
      root.appendChild(line);
      root.appendChild(caption);
      cell.appendChild(root);

      return {
        update: function (props) {
          var query = ctx.dataQuery ? ctx.query(ctx.dataQuery) : {};
          var shown = formatValue(props.value, props, locale);
          var waiting = shown.empty && !!query.isLoading;
          var failed = shown.empty && !!query.error;
          label.textContent = kit.toText(props.label);
          label.hidden = label.textContent === "";
          value.textContent = waiting ? "…" : shown.text;
          value.title = shown.empty ? "" : kit.toText(props.value);
          value.classList.toggle("is-empty", shown.empty);
          var badge = formatTrend(props.trend, props, locale);
          trend.hidden = !badge;
          trend.textContent = badge ? badge.text : "";
          trend.className = "tc-stat__trend" + (badge && badge.good === true ? " is-good" : "") +
            (badge && badge.good === false ? " is-bad" : "");
          caption.textContent = failed ? kit.toText(query.error) : kit.toText(props.caption);
          caption.hidden = caption.textContent === "";
          caption.classList.toggle("is-error", failed);
          cell.dataset.tone = toneOf(props.tone);
          cell.setAttribute("aria-busy", waiting ? "true" : "false");
        },
      };
    });
  }

  return { formatValue: formatValue, formatTrend: formatTrend, toNumber: toNumber, toneOf: toneOf,
    register: register, TONES: TONES };
});
