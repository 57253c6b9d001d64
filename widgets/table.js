/* Table widget (Tabulator 6.5.3).
 *
 * Paged mode — the table's `data` is exactly <<someQuery.data>> and the app JSON marks that
 * query "paged": Tabulator's remote pagination and sorting call ajaxRequestFunc, which runs
 * the query through the runtime with {size, number, sort, filter}; the table registers as
 * the query's driver so `run`/`refresh` actions reload it through Tabulator (keeping the
 * page and sort on refresh). Otherwise the rows come from the evaluated `data` prop and are
 * paged and sorted in the browser.
 *
 * Selection: one row; it sets state.selectedRow (a copy of the row) and selectedRowIndex.
 * Tabulator clears its selection whenever it replaces rows (page change, sort, reload), so
 * after each load we select the row with the same rowKey again, with its fresh data, or
 * clear selectedRow when it is gone.
 *
 * Row styles: `rowStyles: [{when: "<<row.stock < row.low_stock>>", tone: danger}]` gives each
 * row whose first true rule the class tc-row--<tone>; `row` is that row's data, the other
 * names are the app's scope (ctx.scopeWith). Evaluated when a row renders and on each update.
 */
(function () {
  "use strict";
  var kit = Toolcrib.kit;
  var cells = Toolcrib.cells;
  var t = Toolcrib.t;
  var FILTER_OPS = { like: "contains", "=": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
    starts: "starts", "in": "in" };

  function columnDef(column, filterable) {
    var def = {
      title: column.label || column.key,
      field: column.key,
      titleFormatter: cells.title,
      headerSort: column.sortable !== false && column.format !== "image",
      visible: !column.hidden,
      formatter: cells.formatterFor(column),
      minWidth: 60,
      vertAlign: "middle",
    };
    if (column.width) def.width = column.width;
    if (column.format === "number") def.hozAlign = "right";
    if (!column.labels && (!column.format || column.format === "text")) def.tooltip = true;
    if (filterable && column.format !== "image") def.headerFilter = "input";
    return def;
  }

  /** "第 1–20 条，共 985 条"; without a total from the server (has_more only), no "共". */
  function counterText(pageSize, currentRow, totalRows, rowsOnPage, totalKnown) {
    if (!totalRows && totalKnown) return t("counterEmpty");
    if (!totalKnown) {
      return t("counterUnknown", { from: currentRow, to: currentRow + Math.max(rowsOnPage, 1) - 1 });
    }
    var to = Math.min(currentRow + pageSize - 1, totalRows);
    return t("counter", { from: currentRow, to: to, total: Number(totalRows).toLocaleString() });
  }

  var TONES = ["danger", "warning", "good", "muted"];
  /** Table name -> {sort, page} of its last remote load: a table mounted again (Back from a
   * detail page) opens on the same page with the same sort. */
  var remembered = Object.create(null);

  /** The tone of the first rule that holds for `data`, or null (a failing rule is false). */
  function rowTone(rules, data, scopeWith) {
    if (!Array.isArray(rules) || !rules.length) return null;
    var scope = scopeWith({ row: data });
    for (var i = 0; i < rules.length; i++) {
      var rule = rules[i] || {};
      if (TONES.indexOf(rule.tone) < 0 || typeof rule.when !== "string") continue;
      try {
        if (window.ToolcribBindings.render(rule.when, scope)) return rule.tone;
      } catch (err) {
        continue;
      }
    }
    return null;
  }

  function paintRow(row, rules, scopeWith) {
    var el = row.getElement();
    if (!el) return;
    var tone = rowTone(rules, row.getData(), scopeWith);
    TONES.forEach(function (name) { el.classList.toggle("tc-row--" + name, name === tone); });
    if (tone) el.dataset.tone = tone;
    else delete el.dataset.tone;
  }

  function buildDom(cell) {
    var root = kit.el("div", "tc-table");
    var error = kit.el("div", "tc-table__error");
    var message = kit.el("span", "tc-table__error-text");
    var retry = kit.el("button", "tc-table__retry", t("retry"));
    var body = kit.el("div", "tc-table__body");
    var grid = kit.el("div", "tc-table__grid");
    error.setAttribute("role", "alert");
    error.hidden = true;
    retry.type = "button";
    error.appendChild(message);
    error.appendChild(retry);
    body.appendChild(grid);
    root.appendChild(error);
    root.appendChild(body);
    cell.appendChild(root);
    return { root: root, error: error, message: message, retry: retry, grid: grid };
  }

  Toolcrib.registerWidget("table", function (cell, ctx) {
    var props = ctx.props();
    var rowKey = props.rowKey || "id";
    var pageSize = props.pageSize || 20;
    var paged = ctx.pagedQuery;
    var sourceQuery = paged || ctx.dataQuery;
    var dom = buildDom(cell);
    var quiet = false; // Tabulator is replacing rows: its selection events are not the user's
    var hasUrl = false;
    var lastData = null;
    var wasHidden = false; // Tabulator measures nothing while hidden: redraw when shown
    var resolveBuilt;
    var built = new Promise(function (resolve) { resolveBuilt = resolve; });
    var release = function () {};

    function loadPage(url, config, params) {
      var page = {
        size: params.size || pageSize,
        number: params.page || 1,
        sort: (params.sort || []).map(function (s) {
          return { column: s.field, dir: s.dir === "desc" ? "desc" : "asc" };
        }),
        key: rowKey, // with no sort, the server orders by it: pages never overlap
      };
      var filter = (params.filter || []).filter(function (f) { return FILTER_OPS[f.type]; })
        .map(function (f) { return { column: f.field, op: FILTER_OPS[f.type], value: f.value }; });
      if (filter.length) page.filter = filter;
      remembered[ctx.name] = { sort: page.sort, page: page.number };
      return ctx.runQuery(paged, page).then(function (res) {
        var lastPage = res.total !== null ? Math.max(1, Math.ceil(res.total / page.size))
          : res.hasMore ? page.number + 1 : page.number;
        var out = { data: res.rows, last_page: lastPage };
        if (res.total !== null) out.last_row = res.total;
        return out;
      });
    }

    function options() {
      var opts = {
        height: "100%",
        layout: "fitColumns",
        index: rowKey,
        columns: (props.columns || []).map(function (c) { return columnDef(c, props.filterable); }),
        autoColumns: !(props.columns && props.columns.length),
        placeholder: t("noRows"),
        selectableRows: props.selectable === false ? false : 1,
        selectableRowsRangeMode: "click",
        // 20-ish rows: render them all (the virtual renderer would leave rows out of the DOM).
        renderVertical: pageSize <= 100 ? "basic" : "virtual",
        pagination: true,
        paginationSize: pageSize,
        paginationCounter: function (size, currentRow, currentPage, totalRows) {
          var q = paged ? ctx.query(paged) : null;
          var rowsOnPage = q && Array.isArray(q.data) ? q.data.length : 0;
          return counterText(size, currentRow, totalRows, rowsOnPage, !q || q.total !== null);
        },
        paginationButtonCount: 5,
        locale: "toolcrib",
        langs: { toolcrib: { pagination: {
          first: t("first"), first_title: t("first"), prev: t("prev"), prev_title: t("prev"),
          next: t("next"), next_title: t("next"), last: t("last"), last_title: t("last"),
          page_title: t("pageTitle"),
        } } },
        dataLoaderLoading: t("loading"),
        dataLoaderError: t("loadError"),
        rowFormatter: function (row) {
          if (props.selectable !== false) row.getElement().tabIndex = -1; // see tabStop()
          if (props.rowStyles) paintRow(row, props.rowStyles, ctx.scopeWith);
        },
      };
      if (props.defaultSort && props.defaultSort.column) {
        var dir = props.defaultSort.dir === "desc" ? "desc" : "asc";
        opts.initialSort = [{ column: props.defaultSort.column, dir: dir }];
      }
      if (paged) {
        Object.assign(opts, { paginationMode: "remote", sortMode: "remote", filterMode: "remote",
          ajaxRequestFunc: loadPage });
        var before = remembered[ctx.name];
        if (before) {
          opts.paginationInitialPage = before.page;
          if (before.sort.length) opts.initialSort = before.sort;
        }
        if (ctx.runsOnLoad(paged)) {
          opts.ajaxURL = ctx.runUrl.replace("{name}", encodeURIComponent(paged));
          hasUrl = true;
        }
      } else {
        lastData = Array.isArray(props.data) ? props.data : [];
        opts.data = lastData;
      }
      return opts;
    }

    var table = new Tabulator(dom.grid, options());
    // A table mounted again (page navigation) keeps its selection: it is re-found after loading.
    ctx.setState("selectedRow" in ctx.state() ? { pageNumber: 1 }
      : { selectedRow: null, selectedRowIndex: null, pageNumber: 1 });

    function selectedRow() {
      return table.getSelectedRows()[0] || null;
    }

    function publish(row) {
      if (!row) {
        ctx.setState({ selectedRow: null, selectedRowIndex: null });
        return;
      }
      var position = row.getPosition();
      ctx.setState({
        selectedRow: Object.assign({}, row.getData()),
        selectedRowIndex: typeof position === "number" && position > 0 ? position - 1 : null,
      });
    }

    function quietly(fn) {
      var was = quiet;
      quiet = true;
      try {
        fn();
      } finally {
        quiet = was;
      }
    }

    function keyOf(data) {
      var key = data ? data[rowKey] : undefined;
      return key === undefined || key === null ? undefined : String(key);
    }

    /** Rows are the same by rowKey; rows without that column, by all their values. */
    function sameRow(a, b) {
      return keyOf(a) !== undefined ? keyOf(a) === keyOf(b) : JSON.stringify(a) === JSON.stringify(b);
    }

    function findRow(data) {
      if (keyOf(data) !== undefined) return table.getRow(data[rowKey]) || null;
      return table.getRows().filter(function (row) { return sameRow(row.getData(), data); })[0] || null;
    }

    /** After new rows arrive: the same row again, with its fresh values, or none. */
    function reselect() {
      var current = ctx.state().selectedRow;
      if (!current) return;
      var row = findRow(current);
      if (!row) {
        publish(null);
        return;
      }
      quietly(function () { table.selectRow(row); });
      publish(row);
    }

    /** State changed from outside (a `set`/`reset` action): make the table agree. */
    function syncSelection(state) {
      var want = state.selectedRow || null;
      var have = selectedRow();
      if (!want) {
        if (have) quietly(function () { table.deselectRow(); });
        return;
      }
      if (have && sameRow(have.getData(), want)) return;
      var row = findRow(want);
      if (row) quietly(function () { table.deselectRow(); table.selectRow(row); });
    }

    /** One tab stop for the rows (the selected one, else the first); arrows move within. */
    function tabStop() {
      if (props.selectable === false) return;
      var rows = table.getRows("active");
      var stop = selectedRow() || rows[0];
      rows.forEach(function (row) {
        var el = row.getElement();
        if (el) el.tabIndex = row === stop ? 0 : -1;
      });
    }

    table.on("tableBuilt", function () { resolveBuilt(); });
    table.on("renderComplete", tabStop);
    table.on("dataProcessing", function () { quiet = true; });
    table.on("dataProcessed", function () {
      try {
        reselect();
      } finally {
        quiet = false;
      }
    });
    table.on("rowSelectionChanged", function (data, rows) {
      if (!quiet) publish(rows[0] || null);
      tabStop();
    });
    table.on("rowClick", function () {
      // after the selection module has handled the same click
      if (props.onRowClick) Promise.resolve().then(function () { ctx.runActions(props.onRowClick); });
    });
    table.on("pageLoaded", function (page) { ctx.setState({ pageNumber: page }); });

    dom.grid.addEventListener("keydown", function (event) {
      var rowEl = event.target.closest && event.target.closest(".tabulator-row");
      if (!rowEl || event.target !== rowEl) return;
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        rowEl.click();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        var next = event.key === "ArrowDown" ? rowEl.nextElementSibling : rowEl.previousElementSibling;
        if (next && next.classList.contains("tabulator-row")) {
          event.preventDefault();
          rowEl.tabIndex = -1;
          next.tabIndex = 0;
          next.focus();
        }
      }
    });

    if (paged) {
      release = ctx.drive(paged, {
        reload: function (mode) {
          return built.then(function () {
            if (!hasUrl || mode === "run") {
              hasUrl = true;
              return table.setData(ctx.runUrl.replace("{name}", encodeURIComponent(paged)));
            }
            return table.setPage(table.getPage() || 1);
          });
        },
      });
    }

    dom.retry.addEventListener("click", function () {
      dom.retry.disabled = true;
      ctx.runActions([{ refresh: sourceQuery }]).then(function () { dom.retry.disabled = false; });
    });

    function showError() {
      var q = sourceQuery ? ctx.query(sourceQuery) : null;
      // A refusal that carries rows (an import's report of bad rows) shows them, not a banner.
      var message = q && q.error && !q.report ? q.error : "";
      dom.message.textContent = message;
      dom.error.hidden = !message;
      dom.root.classList.toggle("has-error", !!message);
    }

    return {
      update: function (next, state) {
        props = next;
        if (wasHidden && next.visible !== false) built.then(function () { table.redraw(true); });
        wasHidden = next.visible === false;
        showError();
        built.then(function () {
          if (!paged) {
            var rows = Array.isArray(next.data) ? next.data : [];
            if (JSON.stringify(rows) !== JSON.stringify(lastData)) {
              lastData = rows;
              table.replaceData(rows);
            }
          }
          syncSelection(ctx.state());
          if (next.rowStyles) {
            table.getRows().forEach(function (row) { paintRow(row, next.rowStyles, ctx.scopeWith); });
          }
        });
      },
      reset: function () {
        ctx.setState({ selectedRow: null, selectedRowIndex: null });
      },
      destroy: function () {
        release();
        table.destroy();
      },
    };
  });
})();
