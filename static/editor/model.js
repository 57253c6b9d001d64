/* Toolcrib editor: operations on the app document (the parsed YAML as plain data).
 *
 * Pure functions: each takes a document and returns a new one (the input is never changed), so
 * the command stack can keep any document it has seen. Names follow the validator's rules: one
 * namespace for widgets and queries, identifiers, a few reserved words. Renaming a widget or a
 * query rewrites the bindings and action targets that name it.
 * Browser: ToolcribEditor.model; Node: module.exports.
 */
(function (root, factory) {
  "use strict";
  var mod = factory();
  if (typeof module === "object" && module.exports) module.exports = mod;
  else (root.ToolcribEditor = root.ToolcribEditor || {}).model = mod;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var COLUMNS = 12;
  var IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
  var RESERVED = ["current_user", "now", "page", "true", "false", "null"];
  var TARGET_KEYS = ["run", "refresh", "export"]; // actions whose value is a query name

  function clone(value) { return value === undefined ? undefined : JSON.parse(JSON.stringify(value)); }

  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  function pages(doc) { return Array.isArray(doc && doc.pages) ? doc.pages : []; }

  function widgetsOf(page) { return page && Array.isArray(page.widgets) ? page.widgets : []; }

  /** Every widget with where it is: [{page, index, widget}]. */
  function allWidgets(doc) {
    var out = [];
    pages(doc).forEach(function (page, p) {
      widgetsOf(page).forEach(function (widget, i) {
        if (isObject(widget)) out.push({ page: p, index: i, widget: widget });
      });
    });
    return out;
  }

  function findWidget(doc, name) {
    return allWidgets(doc).filter(function (w) { return w.widget.name === name; })[0] || null;
  }

  function queries(doc) { return isObject(doc && doc.queries) ? doc.queries : {}; }

  function names(doc) {
    var taken = Object.create(null);
    allWidgets(doc).forEach(function (w) { if (typeof w.widget.name === "string") taken[w.widget.name] = true; });
    Object.keys(queries(doc)).forEach(function (n) { taken[n] = true; });
    return taken;
  }

  /** Why ``name`` cannot be used for a new or renamed widget/query ("" when it can). */
  function nameProblem(doc, name, current) {
    if (!IDENTIFIER.test(name || "")) return "a name is letters, digits and _, not starting with a digit";
    if (RESERVED.indexOf(name) >= 0) return "'" + name + "' is reserved";
    if (name !== current && names(doc)[name]) return "'" + name + "' is already used in this app";
    return "";
  }

  /** ``base1``, ``base2``... the first free one (``base`` is lowercased at the start). */
  function uniqueName(doc, base) {
    var stem = String(base || "item").replace(/[^A-Za-z0-9_]/g, "").replace(/\d+$/, "") || "item";
    if (!/^[A-Za-z_]/.test(stem)) stem = "w" + stem;
    var taken = names(doc);
    for (var n = 1; ; n++) if (!taken[stem + n] && RESERVED.indexOf(stem + n) < 0) return stem + n;
  }

  function clampAt(at) {
    var a = Array.isArray(at) ? at : [];
    var w = Math.max(1, Math.min(COLUMNS, Math.round(a[2]) || 1));
    var x = Math.max(0, Math.min(COLUMNS - w, Math.round(a[0]) || 0));
    return [x, Math.max(0, Math.round(a[1]) || 0), w, Math.max(1, Math.round(a[3]) || 1)];
  }

  /** The first row below every widget of the page. */
  function bottom(doc, pageIndex) {
    return widgetsOf(pages(doc)[pageIndex]).reduce(function (max, w) {
      var at = Array.isArray(w.at) ? w.at : [0, 0, 1, 1];
      return Math.max(max, (at[1] | 0) + (at[3] | 0));
    }, 0);
  }

  function withPage(doc, pageIndex, change) {
    var next = clone(doc);
    var page = next.pages && next.pages[pageIndex];
    if (!page) throw new Error("there is no page " + pageIndex);
    if (!Array.isArray(page.widgets)) page.widgets = [];
    change(page, next);
    return next;
  }

  /** Add a widget: ``{name, type, at, ...props}``. Returns {doc, name}. */
  function addWidget(doc, pageIndex, type, at, props) {
    var name = uniqueName(doc, type);
    var widget = { name: name, type: type, at: clampAt(at) };
    Object.keys(props || {}).forEach(function (k) { widget[k] = clone(props[k]); });
    return { doc: withPage(doc, pageIndex, function (page) { page.widgets.push(widget); }), name: name };
  }

  function withWidget(doc, name, change) {
    var found = findWidget(doc, name);
    if (!found) throw new Error("there is no widget " + name);
    var next = clone(doc);
    change(next.pages[found.page].widgets[found.index], next, found);
    return next;
  }

  /** Set (or with ``undefined``, remove) one property of a widget. */
  function setProp(doc, name, key, value) {
    return withWidget(doc, name, function (widget) {
      if (value === undefined) delete widget[key];
      else widget[key] = clone(value);
    });
  }

  /** New grid places for several widgets at once: {name: [x, y, w, h]}. */
  function setLayout(doc, places) {
    var next = clone(doc);
    allWidgets(next).forEach(function (w) {
      if (Object.prototype.hasOwnProperty.call(places, w.widget.name)) w.widget.at = clampAt(places[w.widget.name]);
    });
    return next;
  }

  /** Move (dx, dy) and/or resize (dw, dh) widgets by grid cells, staying on the grid. */
  function nudge(doc, list, dx, dy, dw, dh) {
    var places = {};
    list.forEach(function (name) {
      var found = findWidget(doc, name);
      if (!found) return;
      var a = clampAt(found.widget.at);
      var w = Math.max(1, Math.min(COLUMNS - a[0], a[2] + (dw || 0)));
      places[name] = [Math.max(0, Math.min(COLUMNS - w, a[0] + (dx || 0))), Math.max(0, a[1] + (dy || 0)),
        w, Math.max(1, a[3] + (dh || 0))];
    });
    return setLayout(doc, places);
  }

  function removeWidgets(doc, list) {
    var next = clone(doc);
    pages(next).forEach(function (page) {
      if (Array.isArray(page.widgets)) {
        page.widgets = page.widgets.filter(function (w) { return !isObject(w) || list.indexOf(w.name) < 0; });
      }
    });
    return next;
  }

  /** Copies of widgets (from a clipboard or the same app) added below the page's widgets, with
   * fresh names; references between the pasted widgets follow the new names. {doc, names}. */
  function pasteWidgets(doc, pageIndex, widgets, offsetBelow) {
    var next = doc, renamed = [], created = [];
    var top = Math.min.apply(null, widgets.map(function (w) { return clampAt(w.at)[1]; }));
    var y0 = offsetBelow === false ? top : bottom(doc, pageIndex);
    widgets.forEach(function (widget) {
      var copy = clone(widget);
      var name = uniqueName(next, copy.name || copy.type);
      renamed.push([copy.name, name]);
      var at = clampAt(copy.at);
      copy.name = name;
      copy.at = [at[0], y0 + at[1] - top, at[2], at[3]];
      next = withPage(next, pageIndex, function (page) { page.widgets.push(copy); });
      created.push(name);
    });
    // All renames at once (through placeholders): one copy's new name may be another's old one
    // (table1 -> table2 while table2 -> table3), and renaming one after the other would chain.
    var moves = renamed.filter(function (pair) { return pair[0] && pair[0] !== pair[1]; });
    if (moves.length) {
      next = withPage(next, pageIndex, function (page) {
        page.widgets = page.widgets.map(function (widget) {
          if (!isObject(widget) || created.indexOf(widget.name) < 0) return widget;
          var out = widget; // its name is no binding: renameRefs leaves it
          moves.forEach(function (pair, i) { out = renameRefs(out, pair[0], "__tc_paste" + i + "__"); });
          moves.forEach(function (pair, i) { out = renameRefs(out, "__tc_paste" + i + "__", pair[1]); });
          return out;
        });
      });
    }
    return { doc: next, names: created };
  }

  function duplicate(doc, name) {
    var found = findWidget(doc, name);
    if (!found) throw new Error("there is no widget " + name);
    var result = pasteWidgets(doc, found.page, [found.widget], true);
    return { doc: result.doc, name: result.names[0] };
  }

  // --- renaming ----------------------------------------------------------------------------

  function escapeRe(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  /** ``text`` with every binding root ``old`` (``<<old.x>>``, ``<<!old.y>>``) renamed. */
  function renameInText(text, old, name) {
    if (typeof text !== "string" || text.indexOf("<<") < 0 || text.indexOf(old) < 0) return text;
    var root = new RegExp("(^|[^A-Za-z0-9_$.\"'])" + escapeRe(old) + "(?![A-Za-z0-9_$])", "g");
    return text.replace(/<<([\s\S]*?)>>/g, function (all, inner) {
      // Leave quoted strings alone: split on quotes, rename outside them only.
      var parts = inner.split(/("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/);
      return "<<" + parts.map(function (part, i) {
        return i % 2 ? part : part.replace(root, function (m, before) { return before + name; });
      }).join("") + ">>";
    });
  }

  /** A copy of ``value`` with bindings and action targets that name ``old`` renamed. */
  function renameRefs(value, old, name) {
    if (typeof value === "string") return renameInText(value, old, name);
    if (Array.isArray(value)) return value.map(function (v) { return renameRefs(v, old, name); });
    if (!isObject(value)) return value;
    var out = {};
    Object.keys(value).forEach(function (key) {
      var v = value[key];
      if (TARGET_KEYS.indexOf(key) >= 0 && v === old) out[key] = name;
      else if (key === "reset" && (v === old || Array.isArray(v))) {
        out[key] = Array.isArray(v) ? v.map(function (n) { return n === old ? name : n; }) : name;
      } else if (key === "set" && typeof v === "string" && v.split(".")[0] === old) {
        out[key] = name + v.slice(old.length);
      } else out[key] = renameRefs(v, old, name);
    });
    return out;
  }

  function renameWidget(doc, old, name) {
    var problem = nameProblem(doc, name, old);
    if (problem) throw new Error(problem);
    var next = renameRefs(doc, old, name);
    return withWidget(next, old, function (w) { w.name = name; });
  }

  // --- queries -----------------------------------------------------------------------------

  function addQuery(doc, base, datasource) {
    var next = clone(doc);
    var name = uniqueName(doc, base || "query");
    if (!isObject(next.queries)) next.queries = {};
    next.queries[name] = { datasource: datasource || "", sql: "SELECT 1" };
    return { doc: next, name: name };
  }

  function setQueryKey(doc, name, key, value) {
    var next = clone(doc);
    var query = queries(next)[name];
    if (!query) throw new Error("there is no query " + name);
    if (value === undefined || value === null || value === "") delete query[key];
    else query[key] = clone(value);
    return next;
  }

  /** Rename a query keeping its place among the others. */
  function renameQuery(doc, old, name) {
    var problem = nameProblem(doc, name, old);
    if (problem) throw new Error(problem);
    var next = renameRefs(doc, old, name);
    var renamed = {};
    Object.keys(next.queries).forEach(function (k) { renamed[k === old ? name : k] = next.queries[k]; });
    next.queries = renamed;
    return next;
  }

  function removeQuery(doc, name) {
    var next = clone(doc);
    delete next.queries[name];
    if (!Object.keys(next.queries).length) delete next.queries;
    return next;
  }

  function addPage(doc, base) {
    var next = clone(doc);
    var taken = pages(doc).map(function (p) { return p.name; });
    var n = pages(doc).length + 1;
    while (taken.indexOf((base || "page") + n) >= 0) n++;
    next.pages = pages(next).concat([{ name: (base || "page") + n, widgets: [] }]);
    return { doc: next, index: next.pages.length - 1 };
  }

  return {
    COLUMNS: COLUMNS, RESERVED: RESERVED, clone: clone, allWidgets: allWidgets, findWidget: findWidget,
    queries: queries, nameProblem: nameProblem, uniqueName: uniqueName, clampAt: clampAt, bottom: bottom,
    addWidget: addWidget, setProp: setProp, setLayout: setLayout, nudge: nudge,
    removeWidgets: removeWidgets, pasteWidgets: pasteWidgets, duplicate: duplicate,
    renameInText: renameInText, renameRefs: renameRefs, renameWidget: renameWidget,
    addQuery: addQuery, setQueryKey: setQueryKey, renameQuery: renameQuery, removeQuery: removeQuery,
    addPage: addPage,
  };
});
