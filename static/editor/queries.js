/* Toolcrib editor: the queries panel — list, add, rename and delete the app's named queries,
 * pick each one's data source, write its SQL, and run it against the data source with the
 * widget values the editor has now (the design-time scope) to see rows, timing, rows affected or
 * the database's error. The schema browser lists the data source's tables and columns.
 * Running is an ad-hoc run on the server (developers and admins only, audited); nothing is saved.
 * Browser: ToolcribEditor.queries.
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};
  var el = TE.dom.el, model = TE.model;

  function create(ctx, parts) {
    var current = null;
    var schemas = Object.create(null); // data source name -> {tables, error, loading}
    var side = "result";
    var sql = TE.sqleditor.create({ ctx: ctx, parent: parts.sql, onRun: run,
      onChange: function (text) { pushSql(text); } });
    var pushSql = TE.dom.debounce(function (text) {
      if (!current || !model.queries(ctx.doc.doc)[current]) return;
      var name = current;
      ctx.doc.edit("Edit SQL of " + name, function (doc) { return model.setQueryKey(doc, name, "sql", text); }, "sql:" + name);
    }, 250);

    function queryNames() { return Object.keys(model.queries(ctx.doc.doc)); }
    function query() { return current ? model.queries(ctx.doc.doc)[current] : null; }

    function datasource(name) {
      return ctx.datasources.filter(function (d) { return d.name === name; })[0] || null;
    }

    function loadSchema(name) {
      if (!name || schemas[name]) return;
      schemas[name] = { loading: true };
      TE.api.get(ctx.config.urls.schema.replace("__NAME__", encodeURIComponent(name))).then(function (body) {
        schemas[name] = { tables: body.tables };
      }, function (err) {
        schemas[name] = { error: err.message };
      }).then(function () { configure(); renderSide(); });
    }

    function configure() {
      var q = query();
      var ds = q ? datasource(q.datasource) : null;
      sql.configure(ds ? ds.kind : null, ds && schemas[ds.name] ? schemas[ds.name].tables : []);
    }

    function select(name) {
      pushSql.flush();
      current = name;
      var q = query();
      sql.setText(q && typeof q.sql === "string" ? q.sql : "");
      if (q) loadSchema(q.datasource);
      configure();
      render();
    }

    /** The widget values a query may read, from the design-time scope. */
    function designState() {
      var scope = ctx.snapshot().scope;
      var state = {};
      model.allWidgets(ctx.doc.doc).forEach(function (w) {
        var info = ctx.config.widgets[w.widget.type];
        if (!info || !info.state.length) return;
        var entry = scope[w.widget.name] || {};
        state[w.widget.name] = {};
        info.state.forEach(function (key) {
          var v = entry[key];
          state[w.widget.name][key] = v === undefined ? null : JSON.parse(JSON.stringify(v));
        });
      });
      return state;
    }

    function run() {
      pushSql.flush();
      var name = current, q = query();
      if (!q) return Promise.resolve();
      parts.run.disabled = true;
      parts.run.setAttribute("aria-busy", "true");
      side = "result";
      return TE.api.post(ctx.config.urls.run, { query: q, state: designState(), app: ctx.config.slug, name: name })
        .then(function (body) {
          ctx.results[name] = body;
        }, function (err) {
          ctx.results[name] = { error: err.message, errorCode: err.code };
        }).then(function () {
          parts.run.disabled = false;
          parts.run.removeAttribute("aria-busy");
          ctx.bus.emit("results", name);
        });
    }

    function tablesShowing(name) {
      return model.allWidgets(ctx.doc.doc).filter(function (w) {
        return w.widget.type === "table" && typeof w.widget.data === "string" &&
          new RegExp("^\\s*<<\\s*" + name + "\\.data\\s*>>\\s*$").test(w.widget.data);
      }).map(function (w) { return w.widget.name; });
    }

    function renderSide() {
      parts.tabResult.setAttribute("aria-selected", side === "result" ? "true" : "false");
      parts.tabSchema.setAttribute("aria-selected", side === "schema" ? "true" : "false");
      var q = query();
      if (side === "schema") {
        TE.results.schema(parts.side, q ? schemas[q.datasource] || {} : {}, function (text) { sql.insert(text); });
        return;
      }
      var tables = current ? tablesShowing(current) : [];
      TE.results.show(parts.side, current ? ctx.results[current] : null, { tables: tables, pick: function (row, i) {
        tables.forEach(function (t) { ctx.setTestState(t, { selectedRow: row, selectedRowIndex: i }); });
        TE.dom.toast("Using row " + (i + 1) + " as " + tables.join(", ") + ".selectedRow", "info");
      } });
    }

    function renderList() {
      TE.dom.clear(parts.list);
      queryNames().forEach(function (name) {
        parts.list.appendChild(el("li", {}, [el("button", { type: "button", class: "ed-query-item",
          "aria-current": name === current ? "true" : null, text: name, onclick: function () { select(name); } })]));
      });
    }

    function renderForm() {
      var q = query();
      parts.form.hidden = !q;
      parts.empty.hidden = !!q;
      if (!q) return;
      if (root.document.activeElement !== parts.name) parts.name.value = current;
      parts.nameError.textContent = "";
      TE.dom.clear(parts.datasource);
      var names = ctx.datasources.map(function (d) { return d.name; });
      if (q.datasource && names.indexOf(q.datasource) < 0) names.unshift(q.datasource);
      parts.datasource.appendChild(el("option", { value: "", text: "— pick a data source —" }));
      names.forEach(function (n) {
        var ds = datasource(n);
        parts.datasource.appendChild(el("option", { value: n, selected: n === q.datasource,
          text: n + (ds ? " (" + ds.kind + (ds.read_only ? ", read-only" : "") + ")" : " (not registered)") }));
      });
      parts.runOnLoad.checked = q.runOnLoad === true;
      if (root.document.activeElement !== parts.expectRows) {
        parts.expectRows.value = typeof q.expectRows === "number" ? String(q.expectRows) : "";
      }
      var isSql = typeof q.sql === "string";
      var isTransaction = Array.isArray(q.transaction);
      parts.sql.hidden = !isSql;
      parts.docNote.hidden = isSql;
      // A transaction's steps (and their expectRows) are edited in the YAML view for now; the
      // form keeps them as they are (name, data source and run on load still work here).
      parts.docNote.textContent = isTransaction
        ? "A transaction of " + q.transaction.length + " SQL step(s): edit its steps in the YAML view; Run works here."
        : "A document (MongoDB) query: edit its body in the YAML view; Run works here.";
      parts.expectRows.disabled = isTransaction;
      parts.expectRows.title = isTransaction ? "expectRows goes on each step of a transaction (YAML view)" : "";
      if (isSql && sql.text() !== q.sql) sql.setText(q.sql);
    }

    function render() {
      if (current && !query()) current = null;
      if (!current && queryNames().length) current = queryNames()[0];
      renderList();
      renderForm();
      renderSide();
    }

    function setKey(key, value, label) {
      var name = current;
      ctx.doc.edit(label + " of " + name, function (doc) { return model.setQueryKey(doc, name, key, value); });
    }

    parts.add.addEventListener("click", function () {
      var result;
      ctx.doc.edit("Add query", function (doc) {
        result = model.addQuery(doc, "query", (ctx.datasources[0] || {}).name || "");
        return result.doc;
      });
      select(result.name);
      parts.name.focus();
      parts.name.select();
    });
    function rename() {
      var next = parts.name.value.trim(), old = current;
      if (!old || next === old) return;
      var problem = model.nameProblem(ctx.doc.doc, next, old);
      if (problem) { parts.nameError.textContent = problem; return; }
      pushSql.flush();
      current = next;
      ctx.results[next] = ctx.results[old];
      ctx.doc.edit("Rename query " + old + " to " + next, function (doc) { return model.renameQuery(doc, old, next); });
    }
    parts.name.addEventListener("change", rename);
    parts.name.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); rename(); } });
    parts.datasource.addEventListener("change", function () {
      setKey("datasource", parts.datasource.value, "Data source");
      loadSchema(parts.datasource.value);
      configure();
    });
    parts.runOnLoad.addEventListener("change", function () { setKey("runOnLoad", parts.runOnLoad.checked || undefined, "Run on load"); });
    parts.expectRows.addEventListener("input", function () {
      var raw = parts.expectRows.value.trim();
      var name = current;
      ctx.doc.edit("Expected rows of " + name, function (doc) {
        return model.setQueryKey(doc, name, "expectRows", raw === "" ? undefined : Math.max(0, Math.round(Number(raw)) || 0));
      }, "expect:" + name);
    });
    parts.remove.addEventListener("click", function () {
      var name = current;
      ctx.doc.edit("Delete query " + name, function (doc) { return model.removeQuery(doc, name); });
      current = null;
      render();
    });
    parts.run.addEventListener("click", run);
    parts.tabResult.addEventListener("click", function () { side = "result"; renderSide(); });
    parts.tabSchema.addEventListener("click", function () {
      side = "schema";
      var q = query();
      if (q) loadSchema(q.datasource);
      renderSide();
    });

    ctx.doc.subscribe(function (change) {
      if (change.origin === "select") return;
      render();
      sql.relint();
    });
    ctx.bus.on("results", function () { renderSide(); sql.relint(); });
    ctx.bus.on("teststate", function () { sql.relint(); });
    render();
    if (current) select(current);
    return { select: select, run: run, current: function () { return current; } };
  }

  TE.queries = { create: create };
})(window);
