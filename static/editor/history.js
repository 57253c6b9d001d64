/* Toolcrib editor: the undo/redo stack.
 *
 * Every edit, whether made on the canvas, in a property field or in the YAML view, is one entry
 * {label, before, after} where before/after are whole states (the app's YAML text and what was
 * selected): undo restores ``before``, redo ``after``. Consecutive edits with the same merge key
 * within ``mergeMs`` (typing in one field, dragging one widget) become one entry. A new edit after
 * an undo drops the redo branch, as in every editor.
 * Browser: ToolcribEditor.history; Node: module.exports.
 */
(function (root, factory) {
  "use strict";
  var mod = factory();
  if (typeof module === "object" && module.exports) module.exports = mod;
  else (root.ToolcribEditor = root.ToolcribEditor || {}).history = mod;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  function createHistory(options) {
    var opts = options || {};
    var limit = opts.limit || 200;
    var mergeMs = opts.mergeMs === undefined ? 1500 : opts.mergeMs;
    var now = opts.now || function () { return Date.now(); };
    var done = [];
    var undone = [];

    /** Record an edit. ``mergeKey``: same key as the previous edit, soon after it = one entry. */
    function record(label, before, after, mergeKey) {
      var last = done[done.length - 1];
      var at = now();
      undone = [];
      if (last && mergeKey && last.mergeKey === mergeKey && at - last.at <= mergeMs) {
        last.after = after;
        last.at = at;
        return last;
      }
      var entry = { label: label, before: before, after: after, mergeKey: mergeKey || null, at: at };
      done.push(entry);
      if (done.length > limit) done.shift();
      return entry;
    }

    /** The state to go back to, or null when there is nothing to undo. */
    function undo() {
      var entry = done.pop();
      if (!entry) return null;
      undone.push(entry);
      return { state: entry.before, label: entry.label };
    }

    function redo() {
      var entry = undone.pop();
      if (!entry) return null;
      entry.mergeKey = null; // a redone edit never absorbs the next one
      done.push(entry);
      return { state: entry.after, label: entry.label };
    }

    /** Stop merging into the last entry (e.g. a field lost focus). */
    function seal() {
      var last = done[done.length - 1];
      if (last) last.mergeKey = null;
    }

    function clear() { done = []; undone = []; }

    return {
      record: record, undo: undo, redo: redo, seal: seal, clear: clear,
      canUndo: function () { return done.length > 0; },
      canRedo: function () { return undone.length > 0; },
      undoLabel: function () { return done.length ? done[done.length - 1].label : ""; },
      redoLabel: function () { return undone.length ? undone[undone.length - 1].label : ""; },
      size: function () { return { undo: done.length, redo: undone.length }; },
    };
  }

  return { createHistory: createHistory };
});
