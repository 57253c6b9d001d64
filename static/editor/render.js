/* Toolcrib editor: how each widget looks on the canvas while you build.
 *
 * A light, static picture of the widget with its bindings evaluated in the design-time scope
 * (scope.js): a table shows its column headers and the rows of its query's last run in the
 * editor (click one to use it as the table's selected row while you build), a text its value, a
 * button its label... The real widgets run in the preview. Unknown (plugin) types show a box.
 * Browser: ToolcribEditor.render (needs ToolcribRuntime.util).
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};
  var el = TE.dom.el;
  var text = root.ToolcribRuntime.util.toText;
  var MAX_ROWS = 30;

  function label(props) {
    return props.label ? el("div", { class: "ed-w__label", text: text(props.label) }) : null;
  }

  function table(widget, props, ctx) {
    var columns = Array.isArray(widget.columns) && widget.columns.length ? widget.columns.filter(function (c) {
      return c && !c.hidden;
    }) : null;
    var rows = Array.isArray(props.data) ? props.data : [];
    if (!columns) {
      columns = (rows[0] && typeof rows[0] === "object" ? Object.keys(rows[0]) : []).map(function (k) { return { key: k }; });
    }
    var selected = ((ctx.testState[widget.name] || {}).selectedRow) || null;
    var rowKey = widget.rowKey || "id";
    var head = el("tr", {}, columns.map(function (c) { return el("th", { text: c.label || c.key }); }));
    var body = rows.slice(0, MAX_ROWS).map(function (row, i) {
      var isSelected = selected && row && selected[rowKey] === row[rowKey];
      return el("tr", { class: isSelected ? "is-selected" : "", dataset: { row: String(i) },
        title: "Click: use this row as " + widget.name + ".selectedRow while building",
        onclick: function (event) {
          event.stopPropagation();
          ctx.setTestState(widget.name, { selectedRow: isSelected ? null : row, selectedRowIndex: isSelected ? null : i });
        } }, columns.map(function (c) {
        var v = row ? row[c.key] : null;
        if (c.labels && Object.prototype.hasOwnProperty.call(c.labels, text(v))) v = c.labels[text(v)];
        if (c.format === "image" && typeof v === "string" && /^(\/[^/]|https?:)/.test(v)) {
          return el("td", {}, [el("img", { src: v, alt: "", loading: "lazy" })]);
        }
        return el("td", { text: text(v) });
      }));
    });
    var note = rows.length ? null : el("div", { class: "ed-w__empty", text: typeof widget.data === "string" ? widget.data +
      " — run the query to see rows" : "no data" });
    return [el("div", { class: "ed-w__table" }, [el("table", {}, [el("thead", {}, [head]), el("tbody", {}, body)])]), note];
  }

  /** A stat card: label, the number (grouped digits; the runtime applies the full format). */
  function stat(props) {
    var v = props.value, shown = text(v);
    if (typeof v === "number" && isFinite(v)) {
      shown = props.format === "percent" ? (v * 100).toLocaleString() + "%" : v.toLocaleString();
    }
    if (shown && props.format !== "percent") shown = text(props.prefix) + shown + text(props.suffix);
    var tone = ["good", "warning", "danger"].indexOf(props.tone) >= 0 ? props.tone : "neutral";
    return [label(props), el("div", { class: "ed-w__stat ed-w__stat--" + tone + (shown ? "" : " is-empty"),
      text: shown || "—" })];
  }

  /** A chart sketch: bars of the first series of the rows its query returned in the editor. */
  function chart(widget, props) {
    var rows = (Array.isArray(props.data) ? props.data : []).filter(function (r) { return r && typeof r === "object"; });
    var series = Array.isArray(widget.series) && widget.series[0] && widget.series[0].key;
    if (!series && rows.length) {
      series = Object.keys(rows[0]).filter(function (k) { return k !== (widget.x || Object.keys(rows[0])[0]) &&
        typeof rows[0][k] === "number"; })[0];
    }
    var values = rows.slice(0, 60).map(function (r) { return Number(r[series]) || 0; });
    var top = Math.max.apply(null, values.concat([0])) || 1;
    var head = props.title ? el("div", { class: "ed-w__label", text: text(props.title) }) : null;
    if (!values.length) {
      return [head, el("div", { class: "ed-w__empty", text: (props.chartType || "bar") + " chart — " +
        (typeof widget.data === "string" ? widget.data + ": run the query to see it" : "bind data to a query") })];
    }
    return [head, el("div", { class: "ed-w__chart" }, values.map(function (v) {
      return el("span", { style: "height:" + Math.max(2, Math.round(100 * Math.max(v, 0) / top)) + "%" });
    }))];
  }

  function build(widget, props, ctx) {
    switch (widget.type) {
      case "table": return table(widget, props, ctx);
      case "text": {
        var value = text(props.text);
        return [label(props), el("div", { class: "ed-w__text" + (value ? "" : " is-empty"),
          style: typeof props.color === "string" ? "color:" + props.color : null,
          text: value || text(props.placeholder) || (typeof widget.text === "string" ? widget.text : "") })];
      }
      case "button":
        return [el("span", { class: "ed-w__button ed-w__button--" + (props.variant || "primary") +
          (props.disabled === true ? " is-disabled" : ""), text: text(props.label) || widget.name })];
      case "select": {
        var chosen = (Array.isArray(props.options) ? props.options : []).filter(function (o) {
          return o && props.value !== null && props.value !== undefined && String(o.value) === String(props.value);
        })[0];
        return [label(props), el("span", { class: "ed-w__control ed-w__control--select",
          text: chosen ? text(chosen.label || chosen.value) : text(props.value) || text(props.placeholder) || "—" })];
      }
      case "input":
        return [label(props), el("span", { class: "ed-w__control" + (props.value ? "" : " is-empty"),
          text: text(props.value) || text(props.placeholder) })];
      case "stat": return stat(props);
      case "chart": return chart(widget, props);
      default:
        return [el("div", { class: "ed-w__unknown", text: widget.type + " widget" })];
    }
  }

  /** The content of one canvas cell for ``widget`` (a document widget). */
  function content(widget, snap, ctx) {
    var props = {};
    try { props = snap.propsOf(widget.name) || {}; } catch (e) { props = {}; }
    var parts = [el("span", { class: "ed-w__name", text: widget.name })];
    build(widget, props, ctx).forEach(function (node) { if (node) parts.push(node); });
    if (widget.visible === false) parts.push(el("span", { class: "ed-w__hidden", text: "hidden" }));
    return el("div", { class: "ed-w ed-w--" + widget.type }, parts);
  }

  TE.render = { content: content };
})(window);
