/* Toolcrib editor: the SQL editor of a query (CodeMirror 6 + @codemirror/lang-sql).
 *
 * Highlighting in the data source's dialect, completion of table and column names from the
 * schema browser and of widget state inside << >>, and every binding that cannot be evaluated
 * underlined with the reason (a widget that does not exist, a property a query cannot read...).
 * Ctrl+Enter runs the query.
 * create({ctx, parent, onChange(text), onRun()}) -> {setText, text, configure(kind, tables), focus}
 * Browser: ToolcribEditor.sqleditor (needs the vendored CM6 global).
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};
  var CM = root.CM6;

  var DIALECTS = { postgresql: "PostgreSQL", mysql: "MySQL", mariadb: "MariaSQL", sqlite: "SQLite" };

  function create(options) {
    var ctx = options.ctx;
    var applying = false;
    var language = new CM.Compartment();

    function bindingCompletions(context) {
      var before = context.state.sliceDoc(Math.max(0, context.pos - 300), context.pos);
      var open = before.lastIndexOf("<<");
      if (open < 0 || before.indexOf(">>", open) >= 0) return null;
      var token = /[A-Za-z0-9_$.]*$/.exec(before)[0];
      var after = context.state.sliceDoc(context.pos, context.pos + 40);
      var closed = /^[\w$.]*\s*>>/.test(after);
      var dotted = token.indexOf(".") >= 0;
      var options = ctx.scope.completions(ctx.doc.doc, true).filter(function (c) {
        return (c.label.indexOf(".") >= 0) === dotted || c.type !== "widget";
      }).map(function (c) {
        var finished = c.type !== "widget";
        return { label: c.label, detail: c.detail, type: c.type === "widget" ? "variable" : "property", boost: 99,
          apply: c.label + (finished ? (closed ? "" : ">>") : ".") };
      });
      return { from: context.pos - token.length, options: options, validFor: /^[\w$.]*$/ };
    }

    function lint(view) {
      var text = view.state.doc.toString();
      return ctx.scope.check(text, ctx.doc.doc, true, ctx.snapshot()).map(function (p) {
        return { from: p.from, to: p.to, severity: "error", message: p.message, source: "binding" };
      });
    }

    function sqlLanguage(kind, tables) {
      var schema = {};
      (tables || []).forEach(function (t) { schema[t.name] = t.columns.map(function (c) { return c.name; }); });
      return CM.sql({ dialect: CM[DIALECTS[kind] || "StandardSQL"], schema: schema, upperCaseKeywords: true });
    }

    var view = new CM.EditorView({
      parent: options.parent,
      state: CM.EditorState.create({
        doc: "",
        extensions: [
          CM.keymap.of([{ key: "Mod-Enter", run: function () { options.onRun(); return true; } }]),
          CM.basicSetup, language.of(sqlLanguage(null, [])),
          CM.EditorState.languageData.of(function () { return [{ autocomplete: bindingCompletions }]; }),
          CM.linter(lint, { delay: 300 }), CM.keymap.of([CM.indentWithTab]),
          CM.EditorView.contentAttributes.of({ "aria-label": "SQL" }),
          CM.EditorView.updateListener.of(function (update) {
            if (update.docChanged && !applying) options.onChange(update.state.doc.toString());
          }),
        ],
      }),
    });

    return {
      view: view,
      text: function () { return view.state.doc.toString(); },
      setText: function (text) {
        var current = view.state.doc.toString();
        if (current === text) return;
        applying = true;
        try {
          view.dispatch({ changes: { from: 0, to: current.length, insert: text } });
        } finally {
          applying = false;
        }
      },
      /** The data source's dialect and tables (for completion). */
      configure: function (kind, tables) {
        view.dispatch({ effects: language.reconfigure(sqlLanguage(kind, tables)) });
      },
      /** Re-check the bindings (the widgets they read changed). */
      relint: function () { CM.forceLinting(view); },
      insert: function (text) {
        var range = view.state.selection.main;
        view.dispatch({ changes: { from: range.from, to: range.to, insert: text },
          selection: { anchor: range.from + text.length } });
        view.focus();
      },
      focus: function () { view.focus(); },
    };
  }

  TE.sqleditor = { create: create };
})(window);
