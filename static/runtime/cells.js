/* Toolcrib runtime: how a table cell shows its value (Toolcrib.cells), by the column's
 * `format` and `labels`: images, links, wrapped text, labelled codes, dates. Tabulator
 * formatters; every value goes in as text (textContent), never as HTML.
 */
(function (root, factory) {
  "use strict";
  (root.ToolcribRuntime = root.ToolcribRuntime || {}).cells = factory(root.ToolcribRuntime.kit);
})(typeof self !== "undefined" ? self : this, function (kit) {
  "use strict";

  function imageFormatter(cell) {
    var url = kit.safeUrl(cell.getValue(), window.location.href);
    if (!url) return "";
    var img = kit.el("img", "tc-thumb");
    img.src = url;
    img.alt = "";
    img.width = 48;
    img.height = 48;
    img.decoding = "async";
    return img;
  }

  function linkFormatter(cell) {
    var value = cell.getValue();
    var url = kit.safeUrl(value, window.location.href);
    if (!url) return kit.el("span", null, kit.toText(value));
    var link = kit.el("a", "tc-link", kit.toText(value));
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }

  /** Text wraps to at most two lines (addresses are long); the full value is the tooltip. */
  function textFormatter(cell) {
    return kit.el("span", "tc-cell-text", kit.toText(cell.getValue()));
  }

  /** A column with `labels` shows the label of a stored code (SF -> 顺丰), else the raw value. */
  function labelledFormatter(labels) {
    return function (cell) {
      var value = cell.getValue();
      var key = kit.toText(value);
      var shown = Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : value;
      return kit.el("span", "tc-cell-text", kit.toText(shown));
    };
  }

  /** `format: date` / `datetime`: "2026-11-22" / "2026-11-22 09:00" (see util.formatDate). */
  function dateFormatter(withTime) {
    return function (cell) {
      return kit.el("span", "tc-cell-text", kit.formatDate(cell.getValue(), withTime));
    };
  }

  function titleFormatter(cell) {
    return kit.el("span", null, kit.toText(cell.getValue()));
  }

  /** The Tabulator formatter for a column of the app's table. */
  function formatterFor(column) {
    if (column.format === "image") return imageFormatter;
    if (column.format === "link") return linkFormatter;
    if (column.labels) return labelledFormatter(column.labels);
    if (column.format === "date" || column.format === "datetime") {
      return dateFormatter(column.format === "datetime");
    }
    return textFormatter;
  }

  return { formatterFor: formatterFor, title: titleFormatter };
});
