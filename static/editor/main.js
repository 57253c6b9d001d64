/* Toolcrib editor: start the editor page and wire its parts together.
 *
 * Loads the app's newest version and the data sources, opens the document (document.js) and
 * mounts the canvas, the property panel, the YAML view, the queries panel, versions and the
 * preview on it. Keyboard: Ctrl+S save, Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) undo / redo; on the
 * canvas: arrows move the selected widgets (Shift+arrows resize), Delete removes them, Ctrl+D
 * duplicates, Ctrl+C / Ctrl+X / Ctrl+V copy, cut and paste (also between apps, through local
 * storage), Ctrl+A selects the page's widgets, Escape clears the selection.
 * Browser: runs on DOMContentLoaded; window.ToolcribEditor.app is the running editor (for tests).
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor;
  var $ = function (id) { return root.document.getElementById(id); };
  var CLIPBOARD_KEY = "toolcrib.editor.clipboard";

  function start(config, app, datasources) {
    var model = TE.model;
    var doc = TE.document.createDocument({ text: app.source, version: app.version });
    var designScope = TE.scope.createDesignScope({ widgets: config.widgets, queryProperties: config.queryProperties,
      user: config.user });
    var cached = null;
    var ctx = {
      config: config, app: app, doc: doc, scope: designScope, bus: TE.dom.createBus(), results: {}, testState: {},
      datasources: datasources,
      snapshot: function () {
        if (!cached) cached = designScope.snapshot(doc.doc, ctx.results, ctx.testState);
        return cached;
      },
      setTestState: function (name, patch) {
        ctx.testState[name] = Object.assign({}, ctx.testState[name] || {}, patch);
        cached = null;
        ctx.bus.emit("teststate", name);
      },
      flush: function () { if (views.yaml) views.yaml.flush(); },
      showView: function (name) { showView(name); },
    };
    // Invalidate the cached scope before any view redraws.
    doc.subscribe(function () { cached = null; });
    ctx.bus.on("results", function () { cached = null; });

    ctx.commands = commands(ctx, model);
    var views = {};
    views.canvas = TE.canvas.create(ctx, { grid: $("ed-grid"), palette: $("ed-palette"), pages: $("ed-pagetabs"),
      empty: $("ed-canvas-empty") });
    views.props = TE.props.create(ctx, $("ed-props"));
    views.yaml = TE.yamlview.create(ctx, { editor: $("ed-yaml"), problems: $("ed-problems") });
    views.queries = TE.queries.create(ctx, {
      list: $("ed-query-list"), add: $("ed-query-add"), form: $("ed-query-form"), empty: $("ed-query-empty"),
      name: $("ed-query-name"), nameError: $("ed-query-name-error"), datasource: $("ed-query-datasource"),
      runOnLoad: $("ed-query-runonload"), expectRows: $("ed-query-expect"), remove: $("ed-query-delete"),
      run: $("ed-query-run"), sql: $("ed-query-sql"), docNote: $("ed-query-docnote"), side: $("ed-query-side"),
      tabResult: $("ed-query-tab-result"), tabSchema: $("ed-query-tab-schema"),
    });
    views.versions = TE.versions.create(ctx);
    views.preview = TE.preview.create(ctx, { form: $("ed-preview-form"), draft: $("ed-preview-draft"),
      version: $("ed-preview-version"), csrf: $("ed-preview-csrf"), reload: $("ed-preview-reload") });

    function showView(name) {
      views.yaml.flush();
      doc.seal(); // typing in one view, then in another, are two steps
      ["canvas", "yaml", "preview"].forEach(function (view) {
        $("ed-view-" + view).hidden = view !== name;
        $("ed-tab-" + view).setAttribute("aria-selected", view === name ? "true" : "false");
      });
      $("ed-root").dataset.view = name;
      if (name === "preview") views.preview.show();
      if (name === "yaml") views.yaml.view.requestMeasure();
    }
    ["canvas", "yaml", "preview"].forEach(function (view) {
      $("ed-tab-" + view).addEventListener("click", function () { showView(view); });
    });

    // --- toolbar ------------------------------------------------------------------------------
    var problemCount = 0;
    function status() {
      var parts = ["v" + doc.version];
      if (ctx.app.published_version) parts.push("published v" + ctx.app.published_version);
      else parts.push("not published");
      $("ed-status").textContent = parts.join(" · ");
      $("ed-dirty").hidden = !doc.dirty;
      $("ed-undo").disabled = !doc.canUndo();
      $("ed-redo").disabled = !doc.canRedo();
      $("ed-undo").title = doc.canUndo() ? "Undo " + doc.undoLabel() + " (Ctrl+Z)" : "Nothing to undo";
      $("ed-redo").title = doc.canRedo() ? "Redo " + doc.redoLabel() + " (Ctrl+Shift+Z)" : "Nothing to redo";
      var problems = $("ed-problem-count");
      problems.hidden = !problemCount;
      problems.textContent = problemCount + " problem" + (problemCount === 1 ? "" : "s");
      $("ed-publish").disabled = !ctx.app.can_publish;
      if (!ctx.app.can_publish) $("ed-publish").title = "Only an admin or the app's owner may publish it";
    }
    doc.subscribe(status);
    ctx.bus.on("problems", function (list) { problemCount = list.length; status(); });
    ctx.bus.on("published", status);
    ctx.bus.on("app", status);
    $("ed-problem-count").addEventListener("click", function () { showView("yaml"); });
    $("ed-undo").addEventListener("click", function () { doc.undo(); });
    $("ed-redo").addEventListener("click", function () { doc.redo(); });
    $("ed-save").addEventListener("click", function () { views.versions.save(); });
    $("ed-publish").addEventListener("click", function () { views.versions.publish(); });
    $("ed-history").addEventListener("click", function () { views.versions.history(); });
    status();

    root.addEventListener("beforeunload", function (event) {
      if (doc.dirty) { event.preventDefault(); event.returnValue = ""; }
    });

    root.document.addEventListener("keydown", function (event) {
      var mod = event.ctrlKey || event.metaKey, key = event.key.toLowerCase();
      if (mod && key === "s") { event.preventDefault(); views.versions.save(); return; }
      if (root.document.querySelector("dialog[open]") || TE.dom.isTyping(event.target)) return;
      if (mod && key === "z") { event.preventDefault(); if (event.shiftKey) doc.redo(); else doc.undo(); refocus(); return; }
      if (mod && key === "y") { event.preventDefault(); doc.redo(); refocus(); return; }
      if ($("ed-root").dataset.view !== "canvas") return;
      var handled = ctx.commands.key(event, mod, key);
      if (handled) { event.preventDefault(); refocus(); }
    });

    function refocus() { if ($("ed-root").dataset.view === "canvas") views.canvas.focusSelected(); }

    $("ed-root").dataset.view = "canvas";
    root.document.body.classList.add("ed-ready");
    return { ctx: ctx, views: views, doc: doc, showView: showView };
  }

  /** Canvas commands on the selection (toolbar buttons, the panel and the keyboard use them). */
  function commands(ctx, model) {
    var doc = ctx.doc;
    function selected() { return doc.selection; }
    function remove() {
      var names = selected();
      if (!names.length) return false;
      doc.edit("Delete " + names.join(", "), function (d) { return { doc: model.removeWidgets(d, names), select: [] }; });
      return true;
    }
    function duplicate() {
      var name = selected()[0];
      if (!name) return false;
      doc.edit("Duplicate " + name, function (d) { var r = model.duplicate(d, name); return { doc: r.doc, select: [r.name] }; });
      return true;
    }
    function copy() {
      var widgets = selected().map(function (n) { return model.findWidget(doc.doc, n); }).filter(Boolean)
        .map(function (f) { return f.widget; });
      if (!widgets.length) return false;
      var text = JSON.stringify({ toolcribWidgets: widgets });
      try { root.localStorage.setItem(CLIPBOARD_KEY, text); } catch (e) { /* private mode */ }
      ctx.clipboard = widgets;
      TE.dom.toast("Copied " + widgets.length + " widget" + (widgets.length === 1 ? "" : "s"), "info");
      return true;
    }
    function paste() {
      var widgets = ctx.clipboard;
      try {
        var stored = JSON.parse(root.localStorage.getItem(CLIPBOARD_KEY) || "null");
        if (stored && Array.isArray(stored.toolcribWidgets)) widgets = stored.toolcribWidgets;
      } catch (e) { /* keep the in-page clipboard */ }
      if (!widgets || !widgets.length) return false;
      doc.edit("Paste", function (d) { var r = model.pasteWidgets(d, doc.page, widgets); return { doc: r.doc, select: r.names }; });
      return true;
    }
    function nudge(dx, dy, dw, dh) {
      var names = selected();
      if (!names.length) return false;
      doc.edit(dw || dh ? "Resize" : "Move", function (d) { return model.nudge(d, names, dx, dy, dw, dh); },
        "nudge:" + names.join(","));
      return true;
    }
    var ARROWS = { arrowleft: [-1, 0], arrowright: [1, 0], arrowup: [0, -1], arrowdown: [0, 1] };
    function key(event, mod, k) {
      if (ARROWS[k] && !mod) {
        var d = ARROWS[k];
        return event.shiftKey ? nudge(0, 0, d[0], d[1]) : nudge(d[0], d[1], 0, 0);
      }
      if ((k === "delete" || k === "backspace") && !mod) return remove();
      if (k === "escape") { doc.select([]); return true; }
      if (!mod) return false;
      if (k === "d") return duplicate();
      if (k === "c") return copy();
      if (k === "x") return copy() && remove();
      if (k === "v") return paste();
      if (k === "a") {
        var page = (doc.doc.pages || [])[doc.page] || {};
        doc.select((page.widgets || []).map(function (w) { return w.name; }));
        return true;
      }
      return false;
    }
    return { remove: remove, duplicate: duplicate, copy: copy, paste: paste, nudge: nudge, key: key };
  }

  function boot() {
    var holder = root.document.getElementById("ed-config");
    if (!holder) return;
    var config = JSON.parse(holder.textContent);
    Promise.all([TE.api.get(config.urls.app), TE.api.get(config.urls.datasources)]).then(function (loaded) {
      TE.app = start(config, loaded[0], loaded[1].datasources);
    }, function (err) {
      $("ed-root").classList.add("ed-failed");
      TE.dom.toast("The editor could not load this app: " + err.message, "error");
    });
  }

  if (root.document.readyState === "loading") root.document.addEventListener("DOMContentLoaded", boot);
  else boot();
})(window);
