/* Toolcrib editor: the open app — one YAML text, the document parsed from it, and the command
 * stack of every edit.
 *
 * The canvas, the property panel and the queries panel call edit(label, change): change(doc)
 * returns the new document (model.js) and the text is patched to match (yamltext.js). The YAML view
 * calls setText(text): when the text parses, the document follows; when it does not, the last
 * good document stays on the canvas and the errors are reported. Either way each change is one
 * undoable step and every listener hears about it with its origin, so a view does not redraw what
 * it has just typed itself.
 * Browser: ToolcribEditor.document; Node: module.exports.
 */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) module.exports = factory;
  else {
    var TE = root.ToolcribEditor = root.ToolcribEditor || {};
    TE.document = factory(TE.yamltext, TE.history);
  }
})(typeof self !== "undefined" ? self : this, function (yamltext, history) {
  "use strict";

  /**
   * options.text: the loaded YAML; options.version: its version number (the save base);
   * options.history: a history (for tests); options.now: clock.
   */
  function createDocument(options) {
    var listeners = [];
    var stack = options.history || history.createHistory({ now: options.now });
    var state = {
      text: "", doc: null, errors: [], version: null, savedText: "", selection: [], page: 0,
    };

    function emit(origin, extra) {
      var change = Object.assign({ origin: origin, text: state.text, doc: state.doc, errors: state.errors,
        selection: state.selection.slice(), page: state.page }, extra || {});
      listeners.slice().forEach(function (fn) { fn(change); });
    }

    function snapshot() {
      return { text: state.text, selection: state.selection.slice(), page: state.page };
    }

    function applyText(text) {
      var parsed = yamltext.parse(text);
      state.text = text;
      state.errors = parsed.errors;
      if (parsed.doc) state.doc = parsed.doc;
      var pages = state.doc && Array.isArray(state.doc.pages) ? state.doc.pages.length : 0;
      if (state.page >= pages) state.page = Math.max(0, pages - 1);
      return parsed;
    }

    function restore(snap) {
      applyText(snap.text);
      state.selection = snap.selection.slice();
      state.page = snap.page;
    }

    /** A freshly loaded (or reloaded) version: no history, nothing to save. */
    function load(text, version) {
      stack.clear();
      state.selection = [];
      state.page = 0;
      applyText(text);
      state.version = version;
      state.savedText = text;
      emit("load");
    }

    /**
     * One edit of the document. ``change(doc)`` returns the new document, or {doc, select}
     * to also change the selection. ``mergeKey``: edits with the same key in a row merge.
     */
    function edit(label, change, mergeKey) {
      if (!state.doc) throw new Error("the app did not load");
      var before = snapshot();
      var result = change(state.doc);
      var next = result && result.doc !== undefined && result.select !== undefined ? result.doc : result;
      var text = yamltext.patch(state.text, state.doc, next);
      if (result && result.select !== undefined) state.selection = result.select.slice();
      if (text === state.text && before.selection.join() === state.selection.join()) return false;
      applyText(text);
      stack.record(label, before, snapshot(), mergeKey);
      emit("edit", { label: label });
      return true;
    }

    /** The YAML view's text: parsed when it can be, recorded as one (merging) edit. */
    function setText(text, origin) {
      if (text === state.text) return;
      var before = snapshot();
      applyText(text);
      state.selection = state.selection.filter(function (name) { return !!findName(name); });
      stack.record("Edit YAML", before, snapshot(), "yaml");
      emit(origin || "yaml");
    }

    function findName(name) {
      var pages = state.doc && Array.isArray(state.doc.pages) ? state.doc.pages : [];
      return pages.some(function (p) {
        return (p.widgets || []).some(function (w) { return w && w.name === name; });
      });
    }

    function undo() {
      var step = stack.undo();
      if (!step) return false;
      restore(step.state);
      emit("undo", { label: step.label });
      return true;
    }

    function redo() {
      var step = stack.redo();
      if (!step) return false;
      restore(step.state);
      emit("redo", { label: step.label });
      return true;
    }

    function select(names) {
      var list = (names || []).filter(findName);
      if (list.join() === state.selection.join()) return;
      state.selection = list;
      stack.seal();
      emit("select");
    }

    function setPage(index) {
      if (index === state.page) return;
      state.page = index;
      state.selection = [];
      emit("page");
    }

    /** After a save: this text is version ``version``. */
    function saved(text, version) {
      state.savedText = text;
      state.version = version;
      emit("saved");
    }

    if (options.text !== undefined) load(options.text, options.version);

    return {
      load: load, edit: edit, setText: setText, undo: undo, redo: redo, select: select,
      setPage: setPage, saved: saved, seal: stack.seal,
      subscribe: function (fn) {
        listeners.push(fn);
        return function () { listeners = listeners.filter(function (f) { return f !== fn; }); };
      },
      get text() { return state.text; },
      get doc() { return state.doc; },
      get errors() { return state.errors; },
      get version() { return state.version; },
      get selection() { return state.selection.slice(); },
      get page() { return state.page; },
      get dirty() { return state.text !== state.savedText; },
      canUndo: stack.canUndo, canRedo: stack.canRedo, undoLabel: stack.undoLabel,
      redoLabel: stack.redoLabel,
    };
  }

  return { createDocument: createDocument };
});
