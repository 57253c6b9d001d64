/* Toolcrib editor: what bindings see while you build — the design-time scope.
 *
 * The same scope the runtime builds (static/runtime/scope.js: every widget's evaluated props
 * overlaid with its state, plus every query's state), from the document being edited, the last
 * result of each query run in the editor, and test values the developer picked (a table row
 * clicked in a result). So a property's live preview shows what the app would show.
 * Also: the reasons a binding cannot be evaluated (for underlines) and the names to complete.
 * Browser: ToolcribEditor.scope (needs ToolcribBindings, ToolcribRuntime.scope);
 * Node: module.exports.create(bindings, runtimeScope).
 */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) module.exports = { create: factory };
  else {
    (root.ToolcribEditor = root.ToolcribEditor || {}).scope = factory(root.ToolcribBindings,
      root.ToolcribRuntime.scope);
  }
})(typeof self !== "undefined" ? self : this, function (bindings, runtimeScope) {
  "use strict";

  var SERVER = { current_user: ["id", "username", "email", "roles"], now: [] };
  var PAGE = ["name", "title", "params"];

  function specsOf(doc) {
    var specs = {};
    ((doc && doc.pages) || []).forEach(function (page) {
      (page.widgets || []).forEach(function (w) {
        if (!w || typeof w.name !== "string") return;
        var props = {};
        Object.keys(w).forEach(function (k) { if (k !== "name" && k !== "type" && k !== "at") props[k] = w[k]; });
        specs[w.name] = { name: w.name, type: w.type, at: w.at, props: props };
      });
    });
    return specs;
  }

  function queryState(result) {
    var r = result || {};
    return {
      data: r.rows || null, error: r.error || null, errorCode: r.errorCode || null, isLoading: false,
      rowcount: r.rowcount === undefined ? null : r.rowcount, total: r.total === undefined ? null : r.total,
      hasMore: null, columns: r.columns || null, truncated: !!r.truncated,
      durationMs: r.duration_ms === undefined ? null : r.duration_ms,
    };
  }

  function distance(a, b) {
    var prev = [], i, j;
    for (j = 0; j <= b.length; j++) prev[j] = j;
    for (i = 1; i <= a.length; i++) {
      var cur = [i];
      for (j = 1; j <= b.length; j++) {
        cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      prev = cur;
    }
    return prev[b.length];
  }

  function didYouMean(word, candidates) {
    var best = null, bestScore = Infinity;
    candidates.forEach(function (c) {
      var d = distance(word.toLowerCase(), c.toLowerCase());
      if (d < bestScore) { best = c; bestScore = d; }
    });
    return best !== null && bestScore <= Math.max(2, Math.floor(word.length / 3)) ? " — did you mean '" + best + "'?" : "";
  }

  /**
   * options.widgets: {type: {referenceable: [...]}} from the editor config;
   * options.queryProperties: what a binding may read from a query; options.user: current_user.
   */
  function createDesignScope(options) {
    var types = options.widgets || {};

    /** A snapshot: {scope, propsOf(name), evaluate(text) -> {ok, value} | {ok: false, error}}. */
    function snapshot(doc, results, testState) {
      var specs = specsOf(doc);
      var queries = {};
      Object.keys((doc && doc.queries) || {}).forEach(function (name) { queries[name] = queryState(results[name]); });
      var store = { state: { queries: queries }, widget: function (name) { return (testState || {})[name] || {}; } };
      var snap = runtimeScope.createScopeBuilder(specs, store, bindings, function () {})();
      var page = ((doc && doc.pages) || [])[0] || {};
      snap.scope.current_user = options.user || { id: null, email: null, roles: [] };
      snap.scope.now = new Date().toISOString().slice(0, 19) + "Z";
      snap.scope.page = { name: page.name || "", title: page.title || page.name || "", params: {} };
      return {
        scope: snap.scope,
        /** A widget's props with bindings evaluated (a failing binding reads null). */
        propsOf: snap.propsOf,
        evaluate: function (text) {
          try {
            return { ok: true, value: bindings.render(text, snap.scope) };
          } catch (err) {
            return { ok: false, error: err.message || String(err) };
          }
        },
      };
    }

    /** Why a reference cannot be read ("" when it can), from the names in ``doc``; the
     * validator's rules (builder/appspec/semantic.py): a query reads only widget state,
     * current_user and now. */
    function refProblem(path, doc, inQuery) {
      var specs = specsOf(doc);
      var queries = (doc && doc.queries) || {};
      var root = String(path[0]), prop = path.length > 1 && typeof path[1] === "string" ? path[1] : null;
      var onServer = "queries run on the server and read only widget state, current_user and now";
      if (specs[root]) {
        var info = types[specs[root].type];
        if (!info) return "";
        if (inQuery) {
          if (prop !== null && info.state.indexOf(prop) >= 0) return "";
          return "a query must read a state property of " + root + " (a " + specs[root].type + " has " +
            (info.state.join(", ") || "none") + ")" + (prop ? didYouMean(prop, info.state) : "");
        }
        var known = info.referenceable.concat(["visible"]);
        return prop === null || known.indexOf(prop) >= 0 ? "" : "a " + specs[root].type + " has no '" + prop + "'" +
          didYouMean(prop, known);
      }
      if (Object.prototype.hasOwnProperty.call(queries, root)) {
        if (inQuery) return "a query cannot read " + root + ": " + onServer;
        return prop === null || options.queryProperties.indexOf(prop) >= 0 ? "" : "a query has no '" + prop + "'" +
          didYouMean(prop, options.queryProperties);
      }
      if (root === "page") {
        if (inQuery) return "a query cannot read page: " + onServer;
        return prop === null || PAGE.indexOf(prop) >= 0 ? "" : "page has no '" + prop + "'";
      }
      if (SERVER[root]) {
        return prop === null || !SERVER[root].length || SERVER[root].indexOf(prop) >= 0 ? ""
          : root + " has no '" + prop + "'" + didYouMean(prop, SERVER[root]);
      }
      var names = Object.keys(specs).concat(Object.keys(queries));
      return "no widget or query is named '" + root + "'" + didYouMean(root, names);
    }

    /**
     * Problems of every binding in ``text``: [{from, to, message}] (offsets into text).
     * ``inQuery``: server-side names are allowed (SQL); ``snap``: also evaluate, reporting errors.
     */
    function check(text, doc, inQuery, snap) {
      if (typeof text !== "string" || text.indexOf("<<") < 0) return [];
      var found;
      try {
        found = bindings.findBindings(text);
      } catch (err) {
        var at = text.lastIndexOf("<<");
        return [{ from: at, to: text.length, message: err.message }];
      }
      var problems = [];
      found.forEach(function (b) {
        var refs;
        try {
          refs = bindings.references(b.source);
        } catch (err) {
          problems.push({ from: b.start, to: b.end, message: "cannot parse: " + err.message });
          return;
        }
        var reasons = refs.map(function (path) { return refProblem(path, doc, inQuery); }).filter(Boolean);
        if (reasons.length) {
          problems.push({ from: b.start, to: b.end, message: reasons[0] });
          return;
        }
        if (snap) {
          var result = snap.evaluate("<<" + b.source + ">>");
          if (!result.ok) problems.push({ from: b.start, to: b.end, message: "cannot evaluate: " + result.error });
        }
      });
      return problems;
    }

    /** Everything a binding may name: [{label, detail, type}]. In a query: widget state,
     * current_user and now only. */
    function completions(doc, inQuery) {
      var out = [];
      var specs = specsOf(doc);
      Object.keys(specs).forEach(function (name) {
        var info = types[specs[name].type];
        var props = info ? (inQuery ? info.state : info.referenceable) : [];
        if (inQuery && !props.length) return;
        out.push({ label: name, detail: specs[name].type, type: "widget" });
        props.forEach(function (prop) {
          out.push({ label: name + "." + prop, detail: info.state.indexOf(prop) >= 0 ? "state" : "property",
            type: "property" });
        });
      });
      if (!inQuery) {
        Object.keys((doc && doc.queries) || {}).forEach(function (name) {
          out.push({ label: name, detail: "query", type: "query" });
          options.queryProperties.forEach(function (prop) {
            out.push({ label: name + "." + prop, detail: "query", type: "property" });
          });
        });
        PAGE.forEach(function (prop) { out.push({ label: "page." + prop, detail: "page", type: "property" }); });
      }
      SERVER.current_user.forEach(function (p) {
        out.push({ label: "current_user." + p, detail: "signed-in user", type: "property" });
      });
      out.push({ label: "now", detail: "server time", type: "property" });
      return out;
    }

    return { snapshot: snapshot, check: check, completions: completions, specsOf: specsOf };
  }

  return { createDesignScope: createDesignScope, didYouMean: didYouMean };
});
