/* Toolcrib editor: what a query run in the editor returned, and the schema browser.
 *
 * results.show(box, result, options): rows (the first ADHOC cap), timing, rows affected, or the
 * database's error as it said it. Clicking a row uses it as the selected row of the tables that
 * show this query, so queries reading <<table.selectedRow...>> can be tried right away.
 * results.schema(box, tables, onPick): tables and their columns; a click inserts the name.
 * Browser: ToolcribEditor.results.
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};
  var el = TE.dom.el;
  var SHOWN = 100;

  function cell(value) {
    if (value === null || value === undefined) return el("td", { class: "ed-null", text: "NULL" });
    return el("td", { text: typeof value === "object" ? JSON.stringify(value) : String(value) });
  }

  function summary(result) {
    var parts = [];
    if (result.columns && result.columns.length) {
      parts.push(result.rows.length + " row" + (result.rows.length === 1 ? "" : "s") + (result.truncated ? " (cut at " +
        result.rows.length + ")" : ""));
    } else if (result.rowcount !== null && result.rowcount !== undefined) {
      parts.push(result.rowcount + " row" + (result.rowcount === 1 ? "" : "s") + " affected");
    }
    if (result.duration_ms !== null && result.duration_ms !== undefined) parts.push(result.duration_ms + " ms");
    return parts.join(" · ");
  }

  function show(box, result, options) {
    TE.dom.clear(box);
    if (!result) {
      box.appendChild(el("p", { class: "ed-muted", text: "Run the query (Ctrl+Enter) to see its result here." }));
      return;
    }
    if (result.error) {
      box.appendChild(el("div", { class: "ed-result__error", role: "alert" }, [
        el("strong", { text: "Error" + (result.errorCode ? " (" + result.errorCode + ")" : "") }),
        el("pre", { text: result.error }),
      ]));
      return;
    }
    box.appendChild(el("p", { class: "ed-result__meta", role: "status", text: summary(result) }));
    if (!result.columns || !result.columns.length) return;
    var tables = (options && options.tables) || [];
    if (tables.length) {
      box.appendChild(el("p", { class: "ed-field__hint", text: "Click a row to use it as " + tables.map(function (t) {
        return t + ".selectedRow";
      }).join(", ") + " while you build." }));
    }
    var head = el("tr", {}, result.columns.map(function (c) { return el("th", { text: c }); }));
    var rows = result.rows.slice(0, SHOWN).map(function (row, i) {
      return el("tr", { dataset: { row: String(i) }, onclick: tables.length ? function () { options.pick(row, i); } : null },
        result.columns.map(function (c) { return cell(row[c]); }));
    });
    box.appendChild(el("div", { class: "ed-result__table" }, [el("table", {}, [el("thead", {}, [head]), el("tbody", {}, rows)])]));
  }

  function schema(box, state, onPick) {
    TE.dom.clear(box);
    if (state.error) { box.appendChild(el("p", { class: "ed-result__error", text: state.error })); return; }
    if (!state.tables) { box.appendChild(el("p", { class: "ed-muted", text: state.loading ? "Loading…" : "Pick a data source." })); return; }
    state.tables.forEach(function (table) {
      box.appendChild(el("details", { class: "ed-schema__table" }, [
        el("summary", {}, [el("button", { type: "button", class: "ed-link", text: table.name, title: "Insert the table name",
          onclick: function (e) { e.preventDefault(); onPick(table.name); } })]),
        el("ul", {}, table.columns.map(function (c) {
          return el("li", {}, [el("button", { type: "button", class: "ed-link", text: c.name, title: "Insert the column name",
            onclick: function () { onPick(c.name); } }), el("span", { class: "ed-muted", text: " " + c.type + (c.nullable ? "" : " not null") })]);
        })),
      ]));
    });
  }

  TE.results = { show: show, schema: schema, summary: summary };
})(window);
