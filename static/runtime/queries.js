/* Toolcrib runtime: running named queries and keeping their state in the store.
 *
 * A query whose table shows it page by page ("paged" in the app JSON) is driven by that
 * table: the table registers a driver, and `run`/`refresh` actions go through it so the
 * table asks for the right page and sort and re-selects its row afterwards.
 */
(function (root, factory) {
  "use strict";
  var node = typeof module === "object" && module.exports;
  var deps = node
    ? { api: require("./api.js"), validate: require("./validate.js") }
    : { api: root.ToolcribRuntime.api, validate: root.ToolcribRuntime.validate };
  var mod = factory(deps.api, deps.validate);
  if (node) module.exports = mod;
  else (root.ToolcribRuntime = root.ToolcribRuntime || {}).queries = mod;
})(typeof self !== "undefined" ? self : this, function (api, validate) {
  "use strict";

  /** Thrown when a required field is empty: the run is stopped before any request. */
  function ValidationBlocked(problems) {
    var err = new Error(problems.map(function (p) { return p.message; }).join("; "));
    err.name = "ValidationBlocked";
    err.problems = problems;
    return err;
  }

  /**
   *   deps.app: the public app JSON; deps.store; deps.client (api.createQueryClient)
   *   deps.snapshot(): a scope snapshot (scope.createScopeBuilder)
   *   deps.hasValue(widget): the widget is a form field with a value
   *   deps.reportInvalid(problems): show what is missing (inline + toast)
   *   deps.t: translator
   */
  function createQueries(deps) {
    var app = deps.app;
    var store = deps.store;
    var drivers = Object.create(null);
    var lastPage = Object.create(null);
    var sequence = Object.create(null);
    var counted = Object.create(null); // name -> {shape, number, total} of the last counted page

    Object.keys(app.queries || {}).forEach(function (name) { store.setQuery(name, {}); });

    function specOf(name) {
      var spec = (app.queries || {})[name];
      if (!spec) throw api.QueryFailure(deps.t("unknownQuery", { name: name }), "unknown_query");
      return spec;
    }

    /**
     * The values the server needs: exactly the query's refs, nothing else, and for a query
     * reading <<page.params.x>> the page shown with those params: state.page = {name, params}.
     */
    function statePayload(name, scope) {
      var spec = specOf(name);
      var out = {};
      (spec.refs || []).forEach(function (ref) {
        var entry = scope[ref[0]];
        var value = entry && typeof entry === "object" ? entry[ref[1]] : undefined;
        out[ref[0]] = out[ref[0]] || {};
        out[ref[0]][ref[1]] = value === undefined ? null : value;
      });
      if (spec.pageParams && spec.pageParams.length) {
        var page = scope.page || {};
        var params = {};
        spec.pageParams.forEach(function (key) {
          var value = page.params ? page.params[key] : undefined;
          params[key] = value === undefined ? null : value;
        });
        out.page = { name: page.name || null, params: params };
      }
      return out;
    }

    /** Everything about a paged request but its page number. */
    function pageShape(body) {
      var page = body.page;
      return JSON.stringify([body.state, page.size, page.sort || [], page.filter || []]);
    }

    /**
     * A page turn (only the number differs from the last answered request, which had a total)
     * does not ask for the total again: counting is the costly half of a page on a big table.
     * A refresh repeats the same number, so it always counts afresh.
     */
    function reusableTotal(name, body) {
      var prev = counted[name];
      if (!body.page || body.page.total === false || !prev) return null;
      if (prev.number === body.page.number || prev.shape !== pageShape(body)) return null;
      return prev.total;
    }

    /** One request; the store only takes the answer of the latest request per query. */
    function execute(name, page) {
      var body;
      try {
        body = { state: statePayload(name, deps.snapshot().scope) };
      } catch (err) {
        return Promise.reject(err);
      }
      if (page) {
        body.page = page;
        lastPage[name] = page;
      }
      var shape = page ? pageShape(body) : null;
      var keptTotal = reusableTotal(name, body);
      if (keptTotal !== null) {
        // The hint lets the server count anyway for a page past the middle (it then reads the
        // page from the other end); the answer's total, when there is one, wins.
        body.page = Object.assign({}, page, { total: false, totalHint: keptTotal });
      }
      var ticket = sequence[name] = (sequence[name] || 0) + 1;
      var call;
      try {
        call = specOf(name)["import"] ? upload(name, body) : deps.client.run(name, body);
      } catch (err) {
        return Promise.reject(err);
      }
      store.setQuery(name, { isLoading: true });
      return call.then(function (result) {
        if (keptTotal !== null && (result.total === null || result.total === undefined)) {
          result.total = keptTotal;
        }
        if (page && typeof result.total === "number") {
          counted[name] = { shape: shape, number: page.number, total: result.total };
        }
        if (sequence[name] === ticket) {
          store.setQuery(name, {
            data: result.rows, columns: result.columns, rowcount: result.rowcount,
            total: result.total, hasMore: result.hasMore, truncated: result.truncated,
            durationMs: result.durationMs, error: null, errorCode: null, isLoading: false,
          });
        }
        return result;
      }, function (err) {
        if (sequence[name] === ticket) {
          var failed = { error: err.message, errorCode: err.code || null, isLoading: false };
          // An import's report of problems comes with its refusal: it is the data to show.
          failed.report = err.data !== undefined;
          if (failed.report) failed.data = err.data;
          store.setQuery(name, failed);
        }
        throw err;
      });
    }

    /** An import query: the file its fileinput holds, with the state, as multipart. */
    function upload(name, body) {
      var widget = specOf(name)["import"].file;
      var file = deps.fileOf ? deps.fileOf(widget) : null;
      if (!file) {
        var problems = [{ widget: widget, message: deps.t("fileMissing") }];
        deps.reportInvalid(problems);
        throw ValidationBlocked(problems);
      }
      return deps.client.upload(name, file, body);
    }

    function check(name) {
      var snap = deps.snapshot();
      var problems = validate.invalidFields(specOf(name).refs, deps.hasValue, snap.propsOf,
        store.widget, deps.t);
      if (problems.length) {
        deps.reportInvalid(problems);
        throw ValidationBlocked(problems);
      }
    }

    function failIfErrored(name) {
      var state = store.query(name);
      if (state.error) throw api.QueryFailure(state.error, state.errorCode);
    }

    /**
     * What a `run` or `refresh` action does. mode "run" starts over (first page, same sort),
     * "refresh" repeats the last request (same page and sort).
     */
    function trigger(name, mode, options) {
      try {
        specOf(name);
        if (options && options.validate) check(name);
      } catch (err) {
        return Promise.reject(err);
      }
      var driver = drivers[name];
      if (driver) {
        return Promise.resolve(driver.reload(mode)).then(function () { failIfErrored(name); });
      }
      var page = lastPage[name] || null;
      if (page && mode === "run") page = Object.assign({}, page, { number: 1 });
      return execute(name, page);
    }

    /**
     * The body of an export request: the values the query reads and, when a table shows the
     * query page by page, that table's current sort and filter (the export has every page).
     */
    function exportBody(name, options) {
      specOf(name);
      if (options && options.validate) check(name);
      var body = { state: statePayload(name, deps.snapshot().scope) };
      var page = lastPage[name];
      if (page && (page.sort || page.filter)) body.page = { sort: page.sort || [], filter: page.filter || [] };
      return body;
    }

    /**
     * Runs the runOnLoad queries that no table drives (only those in `names` when given: the
     * shown page's, see runtime/pages.js); failures stay in their state.
     */
    function runOnLoad(names) {
      return Promise.all(Object.keys(app.queries || {}).map(function (name) {
        var spec = app.queries[name];
        if (!spec.runOnLoad || spec.paged) return null;
        if (names && names.indexOf(name) < 0) return null;
        return execute(name, null).catch(function (err) {
          console.warn("Toolcrib: query " + name + " failed on load: " + err.message);
        });
      }));
    }

    /** A table takes charge of a paged query; returns the function that lets go. */
    function drive(name, driver) {
      drivers[name] = driver;
      return function release() {
        if (drivers[name] === driver) delete drivers[name];
      };
    }

    return {
      execute: execute,
      trigger: trigger,
      runOnLoad: runOnLoad,
      drive: drive,
      statePayload: statePayload,
      exportBody: exportBody,
      isPaged: function (name) { return !!((app.queries || {})[name] || {}).paged; },
      runsOnLoad: function (name) { return !!((app.queries || {})[name] || {}).runOnLoad; },
    };
  }

  return { createQueries: createQueries, ValidationBlocked: ValidationBlocked };
});
