/* Toolcrib runtime: the action runner (run, refresh, toast, copy, set, reset, navigate, open,
 * export).
 *
 * A list of actions runs in order, each awaited. When an action succeeds its onSuccess list
 * runs, then the next action. When it fails its onError list runs (or, without one, an error
 * toast says why) and the rest of the list is skipped: later steps assume earlier ones
 * worked ("copy" then "toast: copied"). A run stopped by an empty required field is neither:
 * the field and a toast already say what is missing, so onError does not run.
 * Values in actions may be bindings; they are evaluated when the action runs, so an
 * onError toast of <<updateOrder.error>> sees the error that just happened.
 */
(function (root, factory) {
  "use strict";
  var mod = factory();
  if (typeof module === "object" && module.exports) module.exports = mod;
  else (root.ToolcribRuntime = root.ToolcribRuntime || {}).actions = mod;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var KINDS = ["run", "refresh", "toast", "copy", "set", "reset", "navigate", "open", "export"];

  function kindOf(action) {
    if (!action || typeof action !== "object") return null;
    for (var i = 0; i < KINDS.length; i++) {
      if (Object.prototype.hasOwnProperty.call(action, KINDS[i])) return KINDS[i];
    }
    return null;
  }

  function toText(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  /**
   * deps:
   *   evaluate(value): the value with its bindings evaluated against the current state
   *   queries: {trigger(name, mode, {validate})}
   *   toast(text, kind); copyText(text) -> Promise; navigate(page, params); openUrl(url)
   *   setProperty(widget, property, value); resetWidgets([names])
   *   exportQuery(name, {format, filename}) -> Promise: download the query's whole result
   *   t: translator
   */
  function createActionRunner(deps) {
    var handlers = {
      run: function (action) {
        return deps.queries.trigger(String(deps.evaluate(action.run)), "run", { validate: true });
      },
      refresh: function (action) {
        return deps.queries.trigger(String(deps.evaluate(action.refresh)), "refresh", { validate: true });
      },
      toast: function (action) {
        var kind = ["info", "success", "error"].indexOf(action.kind) >= 0 ? action.kind : "info";
        deps.toast(toText(deps.evaluate(action.toast)), kind);
      },
      copy: function (action) {
        var text = toText(deps.evaluate(action.copy));
        if (text === "") throw new Error(deps.t("copyEmpty"));
        return deps.copyText(text);
      },
      set: function (action) {
        var target = String(action.set || "");
        var dot = target.indexOf(".");
        if (dot <= 0 || dot === target.length - 1) throw new Error(deps.t("unknownAction"));
        deps.setProperty(target.slice(0, dot), target.slice(dot + 1), deps.evaluate(action.to));
      },
      reset: function (action) {
        deps.resetWidgets([].concat(deps.evaluate(action.reset) || []));
      },
      navigate: function (action) {
        var params = action.params && typeof action.params === "object"
          ? deps.evaluate(action.params) : {};
        deps.navigate(String(deps.evaluate(action.navigate)), params);
      },
      open: function (action) {
        deps.openUrl(toText(deps.evaluate(action.open)));
      },
      "export": function (action) {
        var filename = action.filename === undefined ? "" : toText(deps.evaluate(action.filename));
        return deps.exportQuery(String(deps.evaluate(action["export"])),
          { format: action.format || "csv", filename: filename });
      },
    };

    /** Runs one action; resolves to {ok: true} or {ok: false, error, blocked}. */
    function runOne(action) {
      var kind = kindOf(action);
      return new Promise(function (resolve) {
        if (!kind) throw new Error(deps.t("unknownAction"));
        resolve(handlers[kind](action));
      }).then(function () {
        return { ok: true };
      }, function (error) {
        return { ok: false, error: error, blocked: !!(error && error.name === "ValidationBlocked") };
      });
    }

    /** Runs a list of actions; resolves to true when every one of them succeeded. */
    function runActions(list) {
      var actions = Array.isArray(list) ? list : list ? [list] : [];
      var index = 0;
      function next() {
        if (index >= actions.length) return Promise.resolve(true);
        var action = actions[index++];
        return runOne(action).then(function (outcome) {
          if (outcome.ok) {
            if (!action.onSuccess) return next();
            return runActions(action.onSuccess).then(function (ok) { return ok ? next() : false; });
          }
          if (outcome.blocked) return false;
          if (action.onError) return runActions(action.onError).then(function () { return false; });
          console.warn("Toolcrib: action " + kindOf(action) + " failed:", outcome.error);
          var error = outcome.error;
          deps.toast(error && error.message ? error.message : String(error), "error");
          return false;
        });
      }
      return next();
    }

    return { runActions: runActions, kindOf: kindOf };
  }

  return { createActionRunner: createActionRunner, kindOf: kindOf, KINDS: KINDS };
});
