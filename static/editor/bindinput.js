/* Toolcrib editor: a text field that takes <<bindings>>, with completion of widget, property and
 * query names inside << >>, and a live preview of the value it evaluates to (or the reason it
 * cannot be evaluated, the field underlined).
 *
 * create({ctx, value, multiline, placeholder, label, onChange(text), inQuery}) ->
 *   {element, input, setValue(text), refresh()}
 * Keyboard: typing inside << >> opens the list; ArrowUp/ArrowDown move, Enter or Tab take the
 * highlighted name (closing the binding with >> when needed), Escape closes the list.
 * Browser: ToolcribEditor.bindinput.
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};
  var el = TE.dom.el;
  var counter = 0;
  var MAX_ITEMS = 12;

  /** The binding being typed at ``caret``: {start, token} or null. */
  function openBinding(text, caret) {
    var before = text.slice(0, caret);
    var open = before.lastIndexOf("<<");
    if (open < 0 || before.indexOf(">>", open) >= 0) return null;
    var token = /[A-Za-z0-9_$.]*$/.exec(before)[0];
    return { start: caret - token.length, token: token };
  }

  function create(options) {
    var ctx = options.ctx;
    var id = "ed-bind-" + (++counter);
    var input = el(options.multiline ? "textarea" : "input", {
      class: "ed-input ed-bind__input", id: id, placeholder: options.placeholder || "", spellcheck: "false",
      autocomplete: "off", role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
      "aria-controls": id + "-list", "aria-label": options.label || null, rows: options.multiline ? 3 : null,
      value: options.value === undefined || options.value === null ? "" : String(options.value),
    });
    var list = el("ul", { class: "ed-bind__list", id: id + "-list", role: "listbox", hidden: true });
    var preview = el("div", { class: "ed-bind__preview", "aria-live": "polite" });
    var element = el("div", { class: "ed-bind" }, [input, list, preview]);
    var items = [];
    var active = 0;
    var current = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      items = [];
    }

    function render() {
      TE.dom.clear(list);
      items.forEach(function (item, i) {
        var option = el("li", { id: id + "-opt-" + i, role: "option", class: "ed-bind__option",
          "aria-selected": i === active ? "true" : "false",
          onmousedown: function (event) { event.preventDefault(); accept(i); } }, [
          el("span", { class: "ed-bind__label", text: item.label }),
          el("span", { class: "ed-bind__detail", text: item.detail }),
        ]);
        list.appendChild(option);
      });
      list.hidden = !items.length;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      if (items.length) input.setAttribute("aria-activedescendant", id + "-opt-" + active);
    }

    function suggest() {
      current = openBinding(input.value, input.selectionStart);
      if (!current) return close();
      var token = current.token.toLowerCase();
      var all = ctx.scope.completions(ctx.doc.doc, !!options.inQuery);
      // Names first; after a dot, the properties of that name.
      var dotted = token.indexOf(".") >= 0;
      items = all.filter(function (c) {
        var label = c.label.toLowerCase();
        return label.indexOf(token) === 0 && label !== token && (c.label.indexOf(".") >= 0) === dotted;
      }).slice(0, MAX_ITEMS);
      active = 0;
      render();
    }

    function accept(index) {
      var item = items[index];
      if (!item || !current) return;
      var text = input.value, caret = input.selectionStart;
      var after = text.slice(caret);
      var closing = /^\s*>>/.test(after) || item.type === "widget" || item.type === "query" ? "" : ">>";
      var next = text.slice(0, current.start) + item.label + closing + after;
      input.value = next;
      var pos = current.start + item.label.length + closing.length;
      input.setSelectionRange(pos, pos);
      close();
      changed();
      if (item.type === "widget" || item.type === "query") {
        input.value = input.value.slice(0, pos) + "." + input.value.slice(pos);
        input.setSelectionRange(pos + 1, pos + 1);
        changed();
        suggest();
      }
    }

    function changed() {
      if (options.onChange) options.onChange(input.value);
      refresh();
    }

    /** Show the evaluated value, or why it cannot be evaluated. */
    function refresh() {
      var text = input.value;
      var hasBinding = text.indexOf("<<") >= 0;
      element.classList.toggle("ed-bind--binding", hasBinding);
      if (!hasBinding) {
        preview.textContent = "";
        input.classList.remove("ed-invalid");
        input.removeAttribute("aria-invalid");
        return;
      }
      var snap = ctx.snapshot();
      var problems = ctx.scope.check(text, ctx.doc.doc, !!options.inQuery, options.inQuery ? null : snap);
      if (problems.length) {
        preview.className = "ed-bind__preview ed-bind__preview--error";
        preview.textContent = problems[0].message;
        input.classList.add("ed-invalid");
        input.setAttribute("aria-invalid", "true");
        input.title = problems[0].message;
        return;
      }
      input.classList.remove("ed-invalid");
      input.removeAttribute("aria-invalid");
      input.removeAttribute("title");
      if (options.inQuery) {
        preview.className = "ed-bind__preview";
        preview.textContent = "";
        return;
      }
      var result = snap.evaluate(text);
      preview.className = "ed-bind__preview";
      preview.textContent = "= " + TE.dom.preview(result.value);
    }

    input.addEventListener("input", function () { changed(); suggest(); });
    input.addEventListener("click", suggest);
    input.addEventListener("blur", function () { setTimeout(close, 100); if (options.onBlur) options.onBlur(); });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) {
        if (event.key === " " && event.ctrlKey) { event.preventDefault(); suggest(); }
        return;
      }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        active = (active + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        render();
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        accept(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });

    refresh();
    return {
      element: element, input: input, refresh: refresh,
      setValue: function (value) {
        var text = value === undefined || value === null ? "" : String(value);
        if (input.value !== text) input.value = text;
        refresh();
      },
    };
  }

  TE.bindinput = { create: create, openBinding: openBinding };
})(window);
