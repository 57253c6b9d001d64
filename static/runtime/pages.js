/* Toolcrib runtime: pages, their parameters and their URLs (no DOM: tested by node --test).
 *
 * A published app lives at app.baseUrl (/apps/<slug>): its first page there, every other page
 * at /apps/<slug>/<page>, parameters in the query string (/apps/orders/detail?id=42), so a
 * detail page can be bookmarked, reloaded and reached with Back. Without a baseUrl (the
 * editor's preview, a POSTed page) the page and its parameters go in the hash: #detail?id=42.
 * URL values are text; a page's declared params ({id: {type: integer, required: true}}) turn
 * them into numbers, booleans... A value that does not convert stays text: the server refuses
 * it with a message when a query reads it.
 */
(function (root, factory) {
  "use strict";
  var mod = factory();
  if (typeof module === "object" && module.exports) module.exports = mod;
  else (root.ToolcribRuntime = root.ToolcribRuntime || {}).pages = mod;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  function pageNamed(app, name) {
    return (app.pages || []).filter(function (p) { return p.name === name; })[0] || null;
  }

  function firstPage(app) {
    return (app.pages || [])[0] || null;
  }

  function decode(text) {
    try {
      return decodeURIComponent(text.replace(/\+/g, " "));
    } catch (e) {
      return text;
    }
  }

  /** {name: text} of a query string ("?id=42&x=a" or "id=42"); a repeated name keeps the last. */
  function parseQuery(search) {
    var out = {};
    String(search || "").replace(/^\?/, "").split("&").forEach(function (part) {
      if (!part) return;
      var eq = part.indexOf("=");
      var key = decode(eq < 0 ? part : part.slice(0, eq));
      if (key) out[key] = eq < 0 ? "" : decode(part.slice(eq + 1));
    });
    return out;
  }

  /** The URL text of a value (null, undefined and "" are left out of the URL). */
  function paramText(value) {
    if (value === null || value === undefined || value === "") return null;
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function queryString(params) {
    var parts = [];
    Object.keys(params || {}).forEach(function (key) {
      var text = paramText(params[key]);
      if (text !== null) parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(text));
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  /** One URL text converted to a declared type; undefined when it does not convert. */
  function convert(type, text) {
    if (type === "integer") return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
    if (type === "number") {
      var n = text.trim() === "" ? NaN : Number(text);
      return isFinite(n) ? n : undefined;
    }
    if (type === "boolean") {
      if (text === "true" || text === "1") return true;
      if (text === "false" || text === "0") return false;
      return undefined;
    }
    if (type === "date") return /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : undefined;
    return text;
  }

  /**
   * Typed params of `page` from URL texts: {params, problems}. Each declared param gets a
   * value (null when absent); undeclared ones stay text. problems: [{param, kind: "missing" |
   * "invalid", type}] for a missing required param or a value that does not convert.
   */
  function typedParams(page, texts) {
    var declared = (page && page.params) || {};
    var params = {};
    var problems = [];
    Object.keys(texts || {}).forEach(function (key) {
      if (!declared[key]) params[key] = texts[key];
    });
    Object.keys(declared).forEach(function (key) {
      var decl = declared[key] || {};
      var text = texts ? texts[key] : undefined;
      if (text === undefined || text === null || text === "") {
        params[key] = null;
        if (decl.required) problems.push({ param: key, kind: "missing", type: decl.type });
        return;
      }
      var value = convert(decl.type, String(text));
      if (value === undefined) {
        params[key] = String(text);
        problems.push({ param: key, kind: "invalid", type: decl.type });
      } else {
        params[key] = value;
      }
    });
    return { params: params, problems: problems };
  }

  /** The URL texts of values a `navigate` action gave (a row's id 42 -> "42"). */
  function textsOf(values) {
    var out = {};
    Object.keys(values || {}).forEach(function (key) {
      var text = paramText(values[key]);
      if (text !== null) out[key] = text;
    });
    return out;
  }

  /** The URL of a page with its params. */
  function urlFor(app, pageName, params) {
    var query = queryString(params);
    if (!app.baseUrl) return "#" + encodeURIComponent(pageName) + query;
    var first = firstPage(app);
    if (first && first.name === pageName && !query) return app.baseUrl;
    return app.baseUrl.replace(/\/$/, "") + "/" + encodeURIComponent(pageName) + query;
  }

  /**
   * The page and param texts a location names: {page, texts}. loc: {pathname, search, hash}.
   * Falls back to the first page; an old "#page" link still opens that page.
   */
  function fromLocation(app, loc) {
    var hash = String(loc.hash || "").replace(/^#/, "");
    var q = hash.indexOf("?");
    var hashPage = pageNamed(app, decode(q < 0 ? hash : hash.slice(0, q)));
    if (app.baseUrl) {
      var base = app.baseUrl.replace(/\/$/, "");
      var path = String(loc.pathname || "");
      var rest = path.indexOf(base) === 0 ? path.slice(base.length).replace(/^\/+|\/+$/g, "") : "";
      var named = rest ? pageNamed(app, decode(rest)) : null;
      if (named) return { page: named, texts: parseQuery(loc.search) };
      if (hashPage) return { page: hashPage, texts: parseQuery(q < 0 ? "" : hash.slice(q)) };
      return { page: firstPage(app), texts: parseQuery(loc.search) };
    }
    if (hashPage) return { page: hashPage, texts: parseQuery(q < 0 ? "" : hash.slice(q)) };
    return { page: firstPage(app), texts: {} };
  }

  /**
   * The runOnLoad queries to run when `page` is shown: those its widgets read (`readsOf(widget)`
   * -> query names), and on the first page shown also those no widget of any page reads.
   * Paged queries are left out: their table runs them when it mounts.
   */
  function loadQueries(app, page, readsOf, first) {
    var queries = app.queries || {};
    var onPage = {};
    var anywhere = {};
    (app.pages || []).forEach(function (p) {
      (p.widgets || []).forEach(function (w) {
        readsOf(w).forEach(function (name) {
          anywhere[name] = true;
          if (p === page) onPage[name] = true;
        });
      });
    });
    return Object.keys(queries).filter(function (name) {
      var spec = queries[name] || {};
      if (!spec.runOnLoad || spec.paged) return false;
      return onPage[name] || (first && !anywhere[name]);
    });
  }

  /** Pages shown as tabs: those that need no parameter, and the current one. */
  function tabPages(app, current) {
    return (app.pages || []).filter(function (p) {
      if (p.name === current) return true;
      var declared = p.params || {};
      return !Object.keys(declared).some(function (k) { return declared[k] && declared[k].required; });
    });
  }

  return {
    pageNamed: pageNamed, parseQuery: parseQuery, queryString: queryString, typedParams: typedParams,
    textsOf: textsOf, urlFor: urlFor, fromLocation: fromLocation, loadQueries: loadQueries,
    tabPages: tabPages,
  };
});
