/* Toolcrib editor: the YAML view — the app's text in CodeMirror, a first-class way to edit it.
 *
 * Typing here changes the document (a pause of a quarter second makes it one step); the canvas
 * follows as soon as the text parses. Problems are shown inline and listed below the editor,
 * with their line:col: YAML syntax errors at once (the browser parses), and the validator's
 * problems (unknown widget type, a binding naming nothing, a missing data source...) from the
 * server's check a moment later. Invalid text never breaks the editor: the canvas keeps the last
 * good document until the text parses again. The check runs whichever view is showing, so the
 * toolbar can say how many problems there are.
 * Browser: ToolcribEditor.yamlview (needs the vendored CM6 global).
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};
  var el = TE.dom.el;
  var CM = root.CM6;

  function create(ctx, parts) {
    var applying = false;
    var serverProblems = [];
    var checkedText = null;
    var view = new CM.EditorView({
      parent: parts.editor,
      state: CM.EditorState.create({
        doc: ctx.doc.text,
        extensions: [
          CM.basicSetup, CM.yaml(), CM.lintGutter(), CM.keymap.of([CM.indentWithTab]),
          CM.EditorView.updateListener.of(function (update) {
            if (update.docChanged && !applying) push();
          }),
          CM.EditorView.contentAttributes.of({ "aria-label": "App YAML" }),
        ],
      }),
    });
    var push = TE.dom.debounce(function () { ctx.doc.setText(view.state.doc.toString(), "yaml"); }, 250);

    function offset(line, col) {
      var doc = view.state.doc;
      var l = doc.line(Math.max(1, Math.min(doc.lines, line || 1)));
      return Math.min(l.to, l.from + Math.max(0, (col || 1) - 1));
    }

    /** Problems of the current text: syntax errors first, then the validator's. */
    function problems() {
      var local = ctx.doc.errors.map(function (e) { return { line: e.line, col: e.col, message: e.message, path: "" }; });
      return local.length ? local : checkedText === ctx.doc.text ? serverProblems : [];
    }

    function showProblems() {
      var list = problems();
      var diagnostics = list.map(function (p) {
        var from = offset(p.line, p.col);
        var line = view.state.doc.lineAt(from);
        return { from: from, to: Math.max(from + 1, Math.min(line.to, from + 1)), severity: "error",
          message: p.message + (p.path ? " (at " + p.path + ")" : "") };
      });
      view.dispatch(CM.setDiagnostics(view.state, diagnostics));
      TE.dom.clear(parts.problems);
      list.forEach(function (p) {
        parts.problems.appendChild(el("li", {}, [el("button", { type: "button", class: "ed-problem",
          onclick: function () { reveal(p.line, p.col); } }, [
          el("code", { text: p.line + ":" + p.col }), " " + p.message, p.path ? el("span", { class: "ed-muted", text: " (" + p.path + ")" }) : null,
        ])]));
      });
      parts.problems.hidden = !list.length;
      ctx.bus.emit("problems", list);
    }

    function reveal(line, col) {
      ctx.showView("yaml");
      var at = offset(line, col);
      view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
      view.focus();
    }

    var check = TE.dom.debounce(function () {
      var text = ctx.doc.text;
      if (ctx.doc.errors.length) { showProblems(); return; }
      TE.api.post(ctx.config.urls.check, { source: text }).then(function (body) {
        if (text !== ctx.doc.text) return;
        serverProblems = body.problems;
        checkedText = text;
        showProblems();
      }, function () { /* offline: the save will tell */ });
    }, 500);

    /** Bring the editor's text in line with the document, as one minimal change. */
    function sync() {
      var current = view.state.doc.toString(), text = ctx.doc.text;
      if (current === text) return;
      push.cancel();
      var start = 0, endA = current.length, endB = text.length;
      while (start < endA && start < endB && current[start] === text[start]) start++;
      while (endA > start && endB > start && current[endA - 1] === text[endB - 1]) { endA--; endB--; }
      applying = true;
      try {
        view.dispatch({ changes: { from: start, to: endA, insert: text.slice(start, endB) } });
      } finally {
        applying = false;
      }
    }

    ctx.doc.subscribe(function (change) {
      if (change.origin === "select" || change.origin === "page" || change.origin === "saved") return;
      if (change.origin !== "yaml") sync();
      showProblems();
      check();
    });
    check();

    return {
      view: view, reveal: reveal, problems: problems,
      /** Send what is typed now (before a save), without waiting for the pause. */
      flush: function () { push.flush(); },
      /** Wait for the validator's verdict on the current text. */
      checkNow: function () { check.flush(); },
    };
  }

  TE.yamlview = { create: create };
})(window);
