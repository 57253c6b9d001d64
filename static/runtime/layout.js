/* Toolcrib runtime: the page grid (12 columns, rows of fixed height) and the page tabs. */
(function (root, factory) {
  "use strict";
  var mod = factory();
  if (typeof module === "object" && module.exports) module.exports = mod;
  else (root.ToolcribRuntime = root.ToolcribRuntime || {}).layout = mod;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var COLUMNS = 12;

  /** CSS grid placement for `at` = [x, y, w, h] (0-based cells), clamped to the grid. */
  function placement(at) {
    var a = Array.isArray(at) ? at : [0, 0, COLUMNS, 1];
    var x = Math.max(0, Math.min(COLUMNS - 1, a[0] | 0));
    var y = Math.max(0, a[1] | 0);
    var w = Math.max(1, Math.min(COLUMNS - x, a[2] | 0 || 1));
    var h = Math.max(1, a[3] | 0 || 1);
    return { gridColumn: (x + 1) + " / span " + w, gridRow: (y + 1) + " / span " + h, rows: h };
  }

  /** One cell per widget, in reading order (top to bottom, left to right) for keyboard users. */
  function orderedWidgets(page) {
    return (page.widgets || []).slice().sort(function (a, b) {
      var pa = a.at || [0, 0], pb = b.at || [0, 0];
      return pa[1] - pb[1] || pa[0] - pb[0];
    });
  }

  function createCell(doc, spec) {
    var cell = doc.createElement("section");
    var place = placement(spec.at);
    cell.className = "tc-cell tc-cell--" + spec.type;
    cell.dataset.widget = spec.name;
    cell.dataset.type = spec.type;
    cell.style.gridColumn = place.gridColumn;
    cell.style.gridRow = place.gridRow;
    cell.setAttribute("aria-label", spec.props && typeof spec.props.label === "string"
      && spec.props.label.indexOf("<<") === -1 ? spec.props.label : spec.name);
    return cell;
  }

  /** Fills the page tabs; a single page shows its title without a link. hrefOf(page): the
   * link's URL (default "#name"). */
  function renderTabs(doc, nav, pages, current, onSelect, hrefOf) {
    nav.textContent = "";
    pages.forEach(function (page) {
      var title = page.title || page.name;
      if (pages.length === 1) {
        var label = doc.createElement("span");
        label.className = "tc-pages__current";
        label.textContent = title;
        nav.appendChild(label);
        return;
      }
      var link = doc.createElement("a");
      link.className = "tc-pages__tab";
      link.href = hrefOf ? hrefOf(page) : "#" + encodeURIComponent(page.name);
      link.textContent = title;
      if (page.name === current) link.setAttribute("aria-current", "page");
      link.addEventListener("click", function (event) {
        event.preventDefault();
        onSelect(page.name);
      });
      nav.appendChild(link);
    });
  }

  return { placement: placement, orderedWidgets: orderedWidgets, createCell: createCell,
    renderTabs: renderTabs, COLUMNS: COLUMNS };
});
