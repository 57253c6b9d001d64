/* Toolcrib runtime: the one store of page state.
 *
 *   state.widgets[name] = {value, selectedRow, ...}   what each widget exposes
 *   state.queries[name] = {data, error, isLoading, ...} the last run of each query
 *
 * Entries are replaced, never mutated, so an old snapshot stays valid and a change
 * is cheap to detect. Listeners are told once per batch (see util.batcher).
 */
(function (root, factory) {
  "use strict";
  var mod = factory();
  if (typeof module === "object" && module.exports) module.exports = mod;
  else (root.ToolcribRuntime = root.ToolcribRuntime || {}).store = mod;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  function emptyQueryState() {
    return {
      data: null, error: null, errorCode: null, isLoading: false, rowcount: null,
      total: null, hasMore: null, columns: null, truncated: false, durationMs: null,
    };
  }

  function shallowSame(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  /** A store; `schedule(fn)` decides when listeners run (default: a microtask). */
  function createStore(schedule) {
    // page: the page shown and its typed params (<<page.params.id>>), see runtime/pages.js
    var state = { widgets: {}, queries: {}, page: { name: null, title: null, params: {} } };
    var listeners = [];
    var pending = false;
    var run = schedule || (typeof queueMicrotask === "function" ? queueMicrotask
      : function (cb) { Promise.resolve().then(cb); });

    function notify() {
      if (pending) return;
      pending = true;
      run(function () {
        pending = false;
        listeners.slice().forEach(function (listener) {
          try {
            listener(state);
          } catch (err) {
            console.error("Toolcrib: a state listener failed", err);
          }
        });
      });
    }

    /** Merge `patch` into one entry of a section; true when something changed. */
    function patchEntry(section, name, patch, initial) {
      var old = state[section][name] || initial();
      var changed = !state[section][name];
      Object.keys(patch).forEach(function (key) {
        if (!shallowSame(old[key], patch[key])) changed = true;
      });
      if (!changed) return false;
      state[section][name] = Object.assign({}, old, patch);
      notify();
      return true;
    }

    return {
      state: state,
      widget: function (name) { return state.widgets[name] || {}; },
      query: function (name) { return state.queries[name] || emptyQueryState(); },
      setWidget: function (name, patch) {
        return patchEntry("widgets", name, patch, Object);
      },
      setQuery: function (name, patch) {
        return patchEntry("queries", name, patch, emptyQueryState);
      },
      /** Replaces the page entry ({name, title, params}); true when it changed. */
      setPage: function (page) {
        if (shallowSame(state.page, page)) return false;
        state.page = Object.assign({}, page);
        notify();
        return true;
      },
      subscribe: function (listener) {
        listeners.push(listener);
        return function unsubscribe() {
          listeners = listeners.filter(function (l) { return l !== listener; });
        };
      },
    };
  }

  return { createStore: createStore, emptyQueryState: emptyQueryState };
});
