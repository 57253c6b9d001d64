/* Toolcrib editor: one form field per JSON Schema, for the property panel.
 *
 * field({schema, get, set, ctx, label, key}) -> element. get() reads the current value from the
 * document (never a stale copy: several fields of one list change it in turn), set(value, typing)
 * writes it; typing is true for keystrokes, so the panel does not redraw under the caret. The
 * kind of field follows the
 * widget type's schema: enum -> select, boolean -> toggle, number/integer -> number, string ->
 * text (format "color" -> colour picker), a list of objects (table columns, select options) -> a
 * list editor whose rows are fields again, an object -> its fields, a map of strings (column
 * labels) -> key/value rows, an action list -> the event editor. A bindable property takes a
 * <<binding>> (with completion and a live preview); a bindable non-text property has a switch
 * between its literal editor and a binding. set(undefined) removes the key.
 * Browser: ToolcribEditor.fields.
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};
  var el = TE.dom.el;
  var BINDABLE = "x-bindable";
  var ACTIONS = "#/$defs/actions";
  var counter = 0;

  function types(schema) {
    var t = schema.type;
    return Array.isArray(t) ? t : t ? [t] : [];
  }

  function isBinding(value) { return typeof value === "string" && value.indexOf("<<") >= 0; }

  function uid(prefix) { return prefix + "-" + (++counter); }

  function labelled(label, control, hint, id) {
    return el("div", { class: "ed-field" }, [
      label ? el("label", { class: "ed-field__label", for: id || null, text: label }) : null,
      control,
      hint ? el("div", { class: "ed-field__hint", text: hint }) : null,
    ]);
  }

  function hintOf(schema) {
    var parts = [];
    if (schema.description) parts.push(schema.description);
    if (schema.default !== undefined && !schema.enum) parts.push("default: " + JSON.stringify(schema.default));
    return parts.join(" · ");
  }

  // --- literal editors ------------------------------------------------------------------------

  function enumField(spec, id) {
    var schema = spec.schema, value = spec.get();
    var options = [el("option", { value: "", text: schema.default !== undefined ? "(default: " + schema.default + ")" : "—" })];
    schema.enum.forEach(function (v) {
      options.push(el("option", { value: JSON.stringify(v), text: String(v), selected: value === v }));
    });
    return el("select", { class: "ed-input", id: id, "aria-label": spec.label, dataset: { fkey: spec.key },
      onchange: function (event) {
        spec.set(event.target.value === "" ? undefined : JSON.parse(event.target.value));
      } }, options);
  }

  function toggleField(spec, id) {
    var value = spec.get();
    var checked = value === undefined ? !!spec.schema.default : value === true;
    var box = el("input", { type: "checkbox", role: "switch", id: id, class: "ed-toggle", checked: checked,
      "aria-label": spec.label, dataset: { fkey: spec.key }, onchange: function (event) {
        var on = event.target.checked;
        spec.set(spec.schema.default !== undefined && on === spec.schema.default ? undefined : on);
      } });
    return el("span", { class: "ed-toggle-wrap" }, [box, el("span", { class: "ed-toggle__text", text: checked ? "on" : "off" })]);
  }

  function numberField(spec, id) {
    var integer = types(spec.schema).indexOf("integer") >= 0, value = spec.get();
    return el("input", { type: "number", class: "ed-input", id: id, "aria-label": spec.label,
      step: integer ? "1" : "any", min: spec.schema.minimum, max: spec.schema.maximum, dataset: { fkey: spec.key },
      value: typeof value === "number" ? String(value) : "",
      placeholder: spec.schema.default !== undefined ? String(spec.schema.default) : "",
      oninput: function (event) {
        var raw = event.target.value.trim();
        if (raw === "") return spec.set(undefined, true);
        var n = Number(raw);
        if (!isNaN(n)) spec.set(integer ? Math.round(n) : n, true);
      } });
  }

  function colorField(spec, id) {
    var value = spec.get();
    var text = el("input", { class: "ed-input ed-color__text", id: id, "aria-label": spec.label,
      value: typeof value === "string" ? value : "", placeholder: "#2563eb", dataset: { fkey: spec.key },
      oninput: function (event) {
        var v = event.target.value.trim();
        if (/^#[0-9a-fA-F]{6}$/.test(v)) picker.value = v;
        spec.set(v || undefined, true);
      } });
    var picker = el("input", { type: "color", class: "ed-color__picker", "aria-label": (spec.label || "") + " colour",
      value: /^#[0-9a-fA-F]{6}$/.test(value || "") ? value : "#000000",
      oninput: function (event) { text.value = event.target.value; spec.set(event.target.value, true); } });
    return el("span", { class: "ed-color" }, [picker, text]);
  }

  function textField(spec, id) {
    var value = spec.get();
    return el("input", { class: "ed-input", id: id, "aria-label": spec.label, dataset: { fkey: spec.key },
      value: value === undefined || value === null ? "" : String(value),
      placeholder: spec.schema.default !== undefined ? String(spec.schema.default) : "",
      oninput: function (event) { spec.set(event.target.value === "" ? undefined : event.target.value, true); } });
  }

  // --- lists and objects ----------------------------------------------------------------------

  /** A field for part of the value: item ``i`` of a list, key ``k`` of an object. */
  function part(spec, index, schema, label, required) {
    return field({ schema: schema, ctx: spec.ctx, label: label, required: required, key: spec.key + "." + index,
      get: function () {
        var whole = spec.get();
        return whole && typeof whole === "object" ? whole[index] : undefined;
      },
      set: function (v, typing) {
        var whole = spec.get();
        var next = Array.isArray(whole) ? whole.slice() : Object.assign({}, whole && typeof whole === "object" ? whole : {});
        if (v === undefined && !Array.isArray(next)) delete next[index]; else next[index] = v === undefined ? {} : v;
        spec.set(Array.isArray(next) || Object.keys(next).length ? next : undefined, typing);
      } });
  }

  function listField(spec) {
    var items = Array.isArray(spec.get()) ? spec.get() : [];
    var itemSchema = spec.schema.items || {};
    var box = el("div", { class: "ed-list-editor", dataset: { fkey: spec.key } });
    function move(i, to) {
      var next = (spec.get() || []).slice();
      if (to === null) next.splice(i, 1); else next.splice(to, 0, next.splice(i, 1)[0]);
      spec.set(next.length ? next : undefined);
    }
    items.forEach(function (item, i) {
      var title = String(item && typeof item === "object" ? (item.key || item.value || item.label || "#" + (i + 1))
        : "#" + (i + 1));
      box.appendChild(el("div", { class: "ed-list-editor__item", dataset: { index: String(i) } }, [
        el("div", { class: "ed-list-editor__head" }, [
          el("strong", { text: title }),
          el("span", { class: "ed-list-editor__tools" }, [
            el("button", { type: "button", class: "ed-icon", "aria-label": "Move " + title + " up", title: "Move up",
              disabled: i === 0, onclick: function () { move(i, i - 1); } }, ["↑"]),
            el("button", { type: "button", class: "ed-icon", "aria-label": "Move " + title + " down", title: "Move down",
              disabled: i === items.length - 1, onclick: function () { move(i, i + 1); } }, ["↓"]),
            el("button", { type: "button", class: "ed-icon ed-icon--danger", "aria-label": "Remove " + title,
              title: "Remove", onclick: function () { move(i, null); } }, ["×"]),
          ]),
        ]),
        part(spec, i, itemSchema, null, false),
      ]));
    });
    var required = (itemSchema.required || [])[0];
    var noun = spec.itemName || itemSchema.title ||
      (required === "key" ? "column" : required === "value" ? "option" : "item");
    box.appendChild(el("button", { type: "button", class: "tc-button ed-list-editor__add", text: "Add " + noun,
      dataset: { fkey: spec.key + ".add" },
      onclick: function () {
        var current = Array.isArray(spec.get()) ? spec.get() : [];
        var fresh = {};
        if (required) fresh[required] = noun + (current.length + 1);
        spec.set(current.concat([itemSchema.type === "object" ? fresh : ""]));
      } }));
    return box;
  }

  function objectField(spec) {
    var props = spec.schema.properties || {};
    return el("div", { class: "ed-object" }, Object.keys(props).map(function (key) {
      return part(spec, key, props[key], key, (spec.schema.required || []).indexOf(key) >= 0);
    }));
  }

  function mapField(spec) {
    var value = spec.get() && typeof spec.get() === "object" ? spec.get() : {};
    function update(change) {
      var pairs = Object.keys(spec.get() || {}).map(function (k) { return [k, spec.get()[k]]; });
      pairs = change(pairs);
      var next = {};
      pairs.forEach(function (p) { if (p[0] !== "") next[p[0]] = p[1]; });
      spec.set(Object.keys(next).length ? next : undefined);
    }
    var rows = Object.keys(value).map(function (k, i) {
      return el("div", { class: "ed-map__row" }, [
        el("input", { class: "ed-input", value: k, "aria-label": "stored value", placeholder: "stored",
          dataset: { fkey: spec.key + "." + i + ".k" },
          onchange: function (e) { update(function (p) { p[i] = [e.target.value, p[i][1]]; return p; }); } }),
        el("input", { class: "ed-input", value: value[k], "aria-label": "shown as " + k, placeholder: "shown as",
          dataset: { fkey: spec.key + "." + i + ".v" },
          onchange: function (e) { update(function (p) { p[i] = [p[i][0], e.target.value]; return p; }); } }),
        el("button", { type: "button", class: "ed-icon ed-icon--danger", "aria-label": "Remove " + k,
          onclick: function () { update(function (p) { return p.filter(function (x, j) { return j !== i; }); }); } },
        ["×"]),
      ]);
    });
    rows.push(el("button", { type: "button", class: "tc-button", text: "Add label", dataset: { fkey: spec.key + ".add" },
      onclick: function () { update(function (p) { return p.concat([["value" + (p.length + 1), ""]]); }); } }));
    return el("div", { class: "ed-map" }, rows);
  }

  // --- dispatch -------------------------------------------------------------------------------

  function literal(spec, id) {
    var schema = spec.schema, t = types(schema);
    if (schema.enum) return enumField(spec, id);
    if (t.length === 1 && t[0] === "boolean") return toggleField(spec, id);
    if (t.length === 1 && (t[0] === "integer" || t[0] === "number")) return numberField(spec, id);
    if (t[0] === "array" && schema.items) return listField(spec);
    if (t[0] === "object" && schema.properties) return objectField(spec);
    if (t[0] === "object" && schema.additionalProperties) return mapField(spec);
    if (schema.format === "color") return colorField(spec, id);
    return textField(spec, id);
  }

  function hasEditor(schema) {
    var t = types(schema);
    return !!(schema.enum || (t.length === 1 && ["boolean", "integer", "number"].indexOf(t[0]) >= 0) ||
      (t[0] === "array" && schema.items) || (t[0] === "object" && (schema.properties || schema.additionalProperties)));
  }

  function bindingField(spec, id, multiline) {
    var input = TE.bindinput.create({ ctx: spec.ctx, value: spec.get(), label: spec.label, multiline: multiline,
      placeholder: "text or <<binding>>", onChange: function (text) { spec.set(text === "" ? undefined : text, true); } });
    input.input.id = id;
    input.input.dataset.fkey = spec.key;
    return input.element;
  }

  /** A bindable property that is not text: its literal editor, or a binding. */
  function switchable(spec, id) {
    var bound = isBinding(spec.get());
    var body = el("div", { class: "ed-switchable__body" }, [bound ? bindingField(spec, id) : literal(spec, id)]);
    var button = el("button", { type: "button", class: "ed-fx" + (bound ? " ed-fx--on" : ""),
      title: bound ? "Use a fixed value" : "Use a <<binding>>", "aria-pressed": bound ? "true" : "false",
      "aria-label": (spec.label || "value") + ": use a binding", text: "<<>>", dataset: { fkey: spec.key + ".fx" },
      onclick: function () { spec.set(bound ? undefined : "<<>>"); } });
    return el("div", { class: "ed-switchable" }, [body, button]);
  }

  function field(spec) {
    var schema = spec.schema || {};
    var id = uid("ed-f");
    var label = spec.label ? spec.label + (spec.required ? " *" : "") : null;
    var control;
    if (schema.$ref === ACTIONS) {
      control = TE.events.create({ ctx: spec.ctx, get: spec.get, set: spec.set, label: spec.label, key: spec.key });
      return labelled(label, control, schema.description);
    }
    var t = types(schema);
    var textual = t.indexOf("string") >= 0 || (!t.length && !schema.enum && !schema.anyOf);
    // A bindable value with no editor of its own (a table's `data`) is simply a binding.
    if (schema[BINDABLE] && (textual || !hasEditor(schema)) && !schema.enum) control = bindingField(spec, id, false);
    else if (schema[BINDABLE]) control = switchable(spec, id);
    else control = literal(spec, id);
    return labelled(label, control, hintOf(schema), id);
  }

  TE.fields = { field: field, isBinding: isBinding };
})(window);
