/* Toolcrib editor: the property panel of the selected widget (or of the app when none is).
 *
 * The fields come from the widget type's JSON Schema (fields.js); events get the event editor.
 * Every change is one edit of the document (typing in one field merges into one undo step). The
 * panel redraws when the document changes elsewhere (canvas, YAML view, undo) and keeps the focus
 * on the same field; it does not redraw under the caret while you type.
 * Browser: ToolcribEditor.props.
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};
  var el = TE.dom.el, model = TE.model;
  var VISIBLE = { type: "boolean", default: true, "x-bindable": true, description: "Show the widget" };

  function isEvent(key, schema) { return schema && schema.$ref === "#/$defs/actions"; }

  function create(ctx, container) {
    var typing = false;

    /** A field's get/set on widget ``name``'s property ``key``, through the document. */
    function widgetAccess(name, key) {
      return {
        get: function () {
          var found = model.findWidget(ctx.doc.doc, name);
          return found ? found.widget[key] : undefined;
        },
        set: function (value, isTyping) {
          typing = !!isTyping;
          try {
            ctx.doc.edit("Change " + name + "." + key, function (doc) { return model.setProp(doc, name, key, value); },
              isTyping ? "prop:" + name + "." + key : null);
          } finally {
            typing = false;
          }
        },
      };
    }

    function section(title, children, cls) {
      return el("section", { class: "ed-props__section " + (cls || "") }, [el("h3", { text: title })].concat(children));
    }

    function nameField(name) {
      var error = el("div", { class: "ed-field__error", role: "alert" });
      var input = el("input", { class: "ed-input", value: name, "aria-label": "Widget name", id: "ed-prop-name",
        dataset: { fkey: "name" }, spellcheck: "false" });
      function commit() {
        var next = input.value.trim();
        if (next === name) { error.textContent = ""; return; }
        var problem = model.nameProblem(ctx.doc.doc, next, name);
        if (problem) { error.textContent = problem; return; }
        ctx.doc.edit("Rename " + name + " to " + next, function (doc) {
          return { doc: model.renameWidget(doc, name, next), select: [next] };
        });
      }
      input.addEventListener("change", commit);
      input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); commit(); } });
      return el("div", { class: "ed-field" }, [el("label", { class: "ed-field__label", for: "ed-prop-name", text: "Name" }),
        input, error, el("div", { class: "ed-field__hint", text: "Bindings read it as <<" + name + ".…>>; renaming updates them." })]);
    }

    function layoutLine(widget) {
      var at = model.clampAt(widget.at);
      return el("p", { class: "ed-props__at", text: "Column " + at[0] + ", row " + at[1] + " · " + at[2] + " × " + at[3] +
        " cells (arrows move, Shift+arrows resize)" });
    }

    /** For a table whose data is <<q.data>>: columns from the last run of q. */
    function columnsHelper(widget) {
      var match = typeof widget.data === "string" && /^\s*<<\s*([A-Za-z_]\w*)\.data\s*>>\s*$/.exec(widget.data);
      if (!match) return null;
      var result = ctx.results[match[1]];
      if (!result || !result.columns || !result.columns.length) {
        return el("p", { class: "ed-field__hint", text: "Run " + match[1] + " (queries panel) to fill the columns from its result." });
      }
      return el("button", { type: "button", class: "tc-button", text: "Columns from " + match[1] + " (" +
        result.columns.length + ")", onclick: function () {
        var have = (widget.columns || []).map(function (c) { return c.key; });
        var added = result.columns.filter(function (c) { return have.indexOf(c) < 0; }).map(function (c) { return { key: c }; });
        ctx.doc.edit("Columns from " + match[1], function (doc) {
          return model.setProp(doc, widget.name, "columns", (widget.columns || []).concat(added));
        });
      } });
    }

    function widgetPanel(found) {
      var widget = found.widget;
      var info = ctx.config.widgets[widget.type];
      var head = el("div", { class: "ed-props__head" }, [
        el("h2", { text: info ? info.title : widget.type }),
        el("span", { class: "ed-props__tools" }, [
          el("button", { type: "button", class: "tc-button", text: "Duplicate", title: "Duplicate (Ctrl+D)",
            onclick: function () { ctx.commands.duplicate(); } }),
          el("button", { type: "button", class: "tc-button tc-button--danger", text: "Delete", title: "Delete (Del)",
            onclick: function () { ctx.commands.remove(); } }),
        ]),
      ]);
      if (!info) {
        return [head, el("p", { text: "Unknown widget type '" + widget.type + "': edit it in the YAML view." })];
      }
      var props = [], events = [];
      var schemas = Object.assign({}, info.properties, { visible: VISIBLE });
      Object.keys(schemas).forEach(function (key) {
        var access = widgetAccess(widget.name, key);
        var spec = { schema: schemas[key], ctx: ctx, label: key, key: key, get: access.get, set: access.set,
          required: info.required.indexOf(key) >= 0 };
        (isEvent(key, schemas[key]) ? events : props).push(TE.fields.field(spec));
        if (key === "columns" && widget.type === "table") {
          var helper = columnsHelper(widget);
          if (helper) props.push(helper);
        }
      });
      var panel = [head, el("p", { class: "ed-props__desc", text: info.description }), nameField(widget.name),
        layoutLine(widget), section("Properties", props)];
      if (events.length) panel.push(section("Events", events, "ed-props__events"));
      return panel;
    }

    function appPanel() {
      var doc = ctx.doc.doc || {};
      var page = (doc.pages || [])[ctx.doc.page] || {};
      function setter(label, change) {
        return function (value, isTyping) {
          typing = !!isTyping;
          try { ctx.doc.edit(label, change(value), isTyping ? "app:" + label : null); } finally { typing = false; }
        };
      }
      return [
        el("h2", { text: "App" }),
        el("p", { class: "ed-props__desc", text: "Select a widget on the canvas to edit it, or drag one in from the palette." }),
        TE.fields.field({ schema: { type: "string", description: "Shown in the header and the app list" }, ctx: ctx,
          label: "title", key: "app.title", get: function () { return ctx.doc.doc.title; },
          set: setter("Change title", function (v) { return function (d) { var n = model.clone(d); if (v === undefined) delete n.title; else n.title = v; return n; }; }) }),
        TE.fields.field({ schema: { type: "string", description: "Page " + page.name + ": shown in the page header" }, ctx: ctx,
          label: "page title", key: "page.title", get: function () { return page.title; },
          set: setter("Change page title", function (v) {
            return function (d) { var n = model.clone(d); var p = n.pages[ctx.doc.page]; if (v === undefined) delete p.title; else p.title = v; return n; };
          }) }),
      ];
    }

    function render() {
      stale = false;
      var active = root.document.activeElement;
      var fkey = active && container.contains(active) && active.dataset ? active.dataset.fkey : null;
      var caret = fkey && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
      var scrollTop = container.scrollTop;
      TE.dom.clear(container);
      var selection = ctx.doc.selection;
      var content;
      if (!ctx.doc.doc) content = [el("p", { text: "The app could not be read." })];
      else if (selection.length > 1) {
        content = [el("h2", { text: selection.length + " widgets selected" }), el("p", { text: selection.join(", ") }),
          el("button", { type: "button", class: "tc-button tc-button--danger", text: "Delete them",
            onclick: function () { ctx.commands.remove(); } })];
      } else {
        var found = selection.length ? model.findWidget(ctx.doc.doc, selection[0]) : null;
        content = found ? widgetPanel(found) : appPanel();
      }
      content.forEach(function (node) { container.appendChild(node); });
      container.scrollTop = scrollTop;
      if (fkey) {
        var again = container.querySelector('[data-fkey="' + fkey.replace(/"/g, '\\"') + '"]');
        if (again) {
          again.focus();
          if (caret && typeof again.setSelectionRange === "function") {
            try { again.setSelectionRange(caret[0], caret[1]); } catch (e) { /* not a text field */ }
          }
        }
      }
    }

    // Typing does not redraw (the caret stays put); leaving the field does, so what depends on
    // it (a table's "Columns from ..." button, other fields' previews) catches up. Leaving it by
    // pressing a button in the panel waits for the release: a redraw between press and release
    // would replace the button and the click would never happen.
    var stale = false, pressing = false;
    function catchUp() { setTimeout(function () { if (stale && !pressing) render(); }, 0); }
    ctx.doc.subscribe(function () { if (typing) stale = true; else render(); });
    ctx.bus.on("results", function () { if (typing) stale = true; else render(); });
    container.addEventListener("pointerdown", function () { pressing = true; }, true);
    function released() {
      if (!pressing) return;
      pressing = false;
      if (stale) catchUp();
    }
    root.document.addEventListener("pointerup", released, true);
    root.document.addEventListener("pointercancel", released, true);
    root.addEventListener("blur", released);  // a release outside the window is never seen
    container.addEventListener("focusout", function () { if (stale && !pressing) catchUp(); });
    render();
    return { render: render };
  }

  TE.props = { create: create };
})(window);
