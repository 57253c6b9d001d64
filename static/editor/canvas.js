/* Toolcrib editor: the canvas — the page's widgets on a 12-column GridStack grid, and the palette.
 *
 * Drag a widget type from the palette onto the grid (or press Enter / click it: it goes below the
 * others), move and resize widgets with the mouse; every move is one edit of the document (`at`).
 * Click selects (Shift/Ctrl+click adds to the selection), a click on the empty grid clears it.
 * The grid is redrawn from the document after every change, whoever made it (YAML view, undo...),
 * without feeding its own redraw back as an edit.
 * Browser: ToolcribEditor.canvas (needs the vendored GridStack global).
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};
  var el = TE.dom.el, model = TE.model;
  var CELL_HEIGHT = 44;

  function create(ctx, parts) {
    var gridEl = parts.grid;
    var cells = Object.create(null);
    var syncing = false;
    var grid = root.GridStack.init({
      column: ctx.config.columns, cellHeight: CELL_HEIGHT, margin: 4, float: true, animate: false,
      acceptWidgets: function (node) { return node.classList.contains("ed-palette__item"); },
      minRow: 12, draggable: { cancel: ".ed-w__table tbody" }, resizable: { handles: "e,se,s,w" },
    }, gridEl);

    // --- palette ----------------------------------------------------------------------------

    function addAtBottom(type) {
      var info = ctx.config.widgets[type];
      var size = info.defaultSize;
      ctx.doc.edit("Add " + info.title.toLowerCase(), function (doc) {
        var result = model.addWidget(doc, ctx.doc.page, type, [0, model.bottom(doc, ctx.doc.page), size[0], size[1]],
          defaults(type));
        return { doc: result.doc, select: [result.name] };
      });
      focusSelected();
    }

    /** What a new widget starts with, so it is valid and shows something. */
    function defaults(type) {
      var info = ctx.config.widgets[type];
      var props = {};
      (info.required || []).forEach(function (key) {
        var schema = info.properties[key] || {};
        props[key] = key === "label" ? info.title : schema.default !== undefined ? schema.default : "";
      });
      if (type === "text") props.text = "Text";
      return props;
    }

    Object.keys(ctx.config.widgets).sort(function (a, b) {
      var order = ["table", "text", "input", "select", "button"];
      return (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99);
    }).forEach(function (type) {
      var info = ctx.config.widgets[type];
      var item = el("div", { class: "ed-palette__item grid-stack-item", "gs-w": String(info.defaultSize[0]),
        "gs-h": String(info.defaultSize[1]), dataset: { type: type }, tabindex: "0", role: "button",
        title: info.description + " — drag onto the canvas, or press Enter to add it below",
        "aria-label": "Add " + info.title }, [
        el("div", { class: "grid-stack-item-content" }, [el("span", { class: "ed-palette__icon ed-palette__icon--" + type }),
          el("span", { text: info.title })]),
      ]);
      item.addEventListener("click", function () { addAtBottom(type); });
      item.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); addAtBottom(type); }
      });
      parts.palette.appendChild(item);
    });
    root.GridStack.setupDragIn(".ed-palette__item", { appendTo: "body", helper: "clone" });

    grid.on("dropped", function (event, previous, node) {
      var type = node.el && node.el.dataset.type;
      var place = [node.x, node.y, node.w, node.h];
      grid.removeWidget(node.el, true, false);
      if (!type || !ctx.config.widgets[type]) return;
      ctx.doc.edit("Add " + ctx.config.widgets[type].title.toLowerCase(), function (doc) {
        var result = model.addWidget(doc, ctx.doc.page, type, place, defaults(type));
        return { doc: result.doc, select: [result.name] };
      });
      focusSelected();
    });

    // --- moves and resizes ------------------------------------------------------------------

    grid.on("change", function (event, nodes) {
      if (syncing) return;
      var places = {}, moved = [];
      (nodes || []).forEach(function (node) {
        var name = node.el && node.el.getAttribute("gs-id");
        if (!name || !cells[name]) return;
        places[name] = [node.x, node.y, node.w, node.h];
        moved.push(name);
      });
      if (!moved.length) return;
      ctx.doc.edit((moved.length === 1 ? "Move " + moved[0] : "Move widgets"), function (doc) {
        return model.setLayout(doc, places);
      });
    });

    // --- selection --------------------------------------------------------------------------

    gridEl.addEventListener("mousedown", function (event) {
      var item = event.target.closest(".grid-stack-item");
      if (!item || !gridEl.contains(item)) {
        if (event.target === gridEl || event.target.classList.contains("grid-stack")) ctx.doc.select([]);
        return;
      }
      var name = item.getAttribute("gs-id");
      if (!name) return;
      var selection = ctx.doc.selection;
      if (event.shiftKey || event.ctrlKey || event.metaKey) {
        ctx.doc.select(selection.indexOf(name) >= 0 ? selection.filter(function (n) { return n !== name; })
          : selection.concat([name]));
      } else if (selection.indexOf(name) < 0 || selection.length > 1) {
        ctx.doc.select([name]);
      }
    });
    gridEl.addEventListener("focusin", function (event) {
      var item = event.target.closest && event.target.closest(".grid-stack-item");
      var name = item && item.getAttribute("gs-id");
      if (name && ctx.doc.selection.indexOf(name) < 0) ctx.doc.select([name]);
    });

    function focusSelected() {
      var name = ctx.doc.selection[0];
      if (name && cells[name]) cells[name].focus({ preventScroll: false });
    }

    // --- drawing from the document ----------------------------------------------------------

    function makeCell(widget) {
      var cell = el("div", { class: "grid-stack-item ed-cell", "gs-id": widget.name, tabindex: "0",
        role: "button", "aria-label": widget.type + " " + widget.name }, [el("div", { class: "grid-stack-item-content" })]);
      return cell;
    }

    function render() {
      var doc = ctx.doc.doc;
      var page = doc && doc.pages && doc.pages[ctx.doc.page];
      var widgets = page && Array.isArray(page.widgets) ? page.widgets.filter(function (w) {
        return w && typeof w.name === "string";
      }) : [];
      var snap = ctx.snapshot();
      var selection = ctx.doc.selection;
      var seen = Object.create(null);
      syncing = true;
      try {
        grid.batchUpdate(true);
        widgets.forEach(function (widget) {
          if (seen[widget.name]) return;
          seen[widget.name] = true;
          var at = model.clampAt(widget.at);
          var cell = cells[widget.name];
          if (!cell) {
            cell = cells[widget.name] = makeCell(widget);
            gridEl.appendChild(cell);
            grid.makeWidget(cell, { x: at[0], y: at[1], w: at[2], h: at[3], id: widget.name });
          } else {
            var n = cell.gridstackNode;
            if (!n || n.x !== at[0] || n.y !== at[1] || n.w !== at[2] || n.h !== at[3]) {
              grid.update(cell, { x: at[0], y: at[1], w: at[2], h: at[3] });
            }
          }
          var inner = cell.querySelector(".grid-stack-item-content");
          TE.dom.clear(inner).appendChild(TE.render.content(widget, snap, ctx));
          cell.classList.toggle("is-selected", selection.indexOf(widget.name) >= 0);
          cell.setAttribute("aria-pressed", selection.indexOf(widget.name) >= 0 ? "true" : "false");
        });
        Object.keys(cells).forEach(function (name) {
          if (!seen[name]) {
            grid.removeWidget(cells[name], true, false);
            delete cells[name];
          }
        });
        grid.batchUpdate(false);
      } finally {
        syncing = false;
      }
      parts.empty.hidden = widgets.length > 0;
    }

    function renderPages() {
      var doc = ctx.doc.doc;
      TE.dom.clear(parts.pages);
      ((doc && doc.pages) || []).forEach(function (page, i) {
        parts.pages.appendChild(el("button", { type: "button", class: "ed-pagetab", role: "tab",
          "aria-selected": i === ctx.doc.page ? "true" : "false", text: page.title || page.name,
          onclick: function () { ctx.doc.setPage(i); } }));
      });
      parts.pages.appendChild(el("button", { type: "button", class: "ed-pagetab ed-pagetab--add", text: "+ Page",
        title: "Add a page", onclick: function () {
          ctx.doc.edit("Add page", function (doc) { return model.addPage(doc, "page").doc; });
          ctx.doc.setPage(ctx.doc.doc.pages.length - 1);
        } }));
    }

    ctx.doc.subscribe(function (change) {
      if (change.origin === "select") {
        Object.keys(cells).forEach(function (name) {
          var on = change.selection.indexOf(name) >= 0;
          cells[name].classList.toggle("is-selected", on);
          cells[name].setAttribute("aria-pressed", on ? "true" : "false");
        });
        return;
      }
      render();
      renderPages();
    });
    ctx.bus.on("results", render);
    ctx.bus.on("teststate", render);
    render();
    renderPages();
    return { render: render, focusSelected: focusSelected, grid: grid, addAtBottom: addAtBottom };
  }

  TE.canvas = { create: create };
})(window);
