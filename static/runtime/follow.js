/* Toolcrib runtime: values that follow their default binding.
 *
 * An input's `value` prop is its default (`<<ordersTable.selectedRow.shipping_company>>`).
 * The widget's state.value starts at that default, the user may edit it, and it snaps back
 * to the default whenever what the default is computed from changes: we watch the values
 * of the references' first two segments (widget.property), so selecting another row resets
 * the field even when both rows hold the same value, while an unrelated state change
 * leaves the user's edit alone.
 */
(function (root, factory) {
  "use strict";
  var mod = factory();
  if (typeof module === "object" && module.exports) module.exports = mod;
  else (root.ToolcribRuntime = root.ToolcribRuntime || {}).follow = mod;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var MAX_PASSES = 5; // a default may read another field's value; settle chains, never loop

  function stringify(value) {
    try {
      return JSON.stringify(value === undefined ? null : value);
    } catch (e) {
      return String(value);
    }
  }

  function bindingSources(bindings, text) {
    try {
      return bindings.findBindings(text).map(function (b) {
        return typeof b === "string" ? b : b.source;
      });
    } catch (e) {
      return [];
    }
  }

  /** Paths [widget, property] that a bindable text reads. */
  function watchedPaths(bindings, text) {
    if (typeof text !== "string" || text.indexOf("<<") === -1) return [];
    var paths = [];
    bindingSources(bindings, text).forEach(function (source) {
      var refs;
      try {
        refs = bindings.references(source);
      } catch (e) {
        refs = [];
      }
      refs.forEach(function (path) { paths.push(path.slice(0, 2)); });
    });
    return paths;
  }

  function readPath(scope, path) {
    var cur = scope;
    for (var i = 0; i < path.length; i++) {
      if (cur === null || cur === undefined || typeof cur !== "object") return null;
      cur = cur[path[i]];
    }
    return cur === undefined ? null : cur;
  }

  /** What must stay equal for a user's edit to survive. */
  function signature(bindings, rawDefault, evaluatedDefault, scope) {
    var watched = watchedPaths(bindings, rawDefault).map(function (path) {
      return readPath(scope, path);
    });
    return stringify([evaluatedDefault, watched]);
  }

  /**
   * A follower for the widgets named in `names` (those with a value).
   *   sync(snapshotFn, specs, store, onReset) resets values whose default moved;
   *   returns the names that were reset.
   */
  function createFollower(bindings, names) {
    var memo = Object.create(null);

    function syncOnce(snap, specs, store, reset) {
      var changed = false;
      names.forEach(function (name) {
        var raw = (specs[name].props || {}).value;
        var value = snap.propsOf(name).value;
        if (value === undefined) value = null;
        var sig = signature(bindings, raw, value, snap.scope);
        if (memo[name] === sig) return;
        memo[name] = sig;
        if (store.setWidget(name, { value: value })) changed = true;
        reset.push(name);
      });
      return changed;
    }

    function sync(snapshotFn, specs, store, onReset) {
      var reset = [];
      for (var pass = 0; pass < MAX_PASSES; pass++) {
        if (!syncOnce(snapshotFn(), specs, store, reset)) break;
      }
      reset.forEach(function (name) { if (onReset) onReset(name); });
      return reset;
    }

    return { sync: sync };
  }

  return { createFollower: createFollower, watchedPaths: watchedPaths, signature: signature };
});
