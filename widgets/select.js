/* Select widget: a native <select> with a label, a placeholder option and options
 * [{value, label}]. Its value follows the `value` binding until the user picks something
 * (see static/runtime/follow.js). A value that is not among the options (old data) is shown
 * as an extra option rather than silently dropped. */
(function () {
  "use strict";
  var kit = Toolcrib.kit;

  function sameValue(a, b) {
    if (a === b) return true;
    return a !== null && b !== null && a !== undefined && b !== undefined && String(a) === String(b);
  }

  Toolcrib.registerWidget("select", function (cell, ctx) {
    var select = kit.el("select", "tc-select");
    var field = kit.field(cell, ctx.name, select);
    var props = {};
    var choices = []; // the typed values behind select.options, index for index
    var filled = null;

    function optionsOf(p) {
      return (Array.isArray(p.options) ? p.options : []).filter(function (o) {
        return o && typeof o === "object" && o.value !== undefined && o.value !== null;
      });
    }

    function fill(options, value) {
      var list = options.slice();
      var known = list.some(function (o) { return sameValue(o.value, value); });
      if (!kit.isBlank(value) && !known) list.push({ value: value, label: String(value) });
      var key = JSON.stringify([list, props.placeholder]);
      if (key === filled) return; // unchanged: keep the DOM (and an open dropdown) as it is
      filled = key;
      select.textContent = "";
      var placeholder = kit.el("option", null, kit.toText(props.placeholder) || "—");
      placeholder.value = "";
      select.appendChild(placeholder);
      choices = [null];
      list.forEach(function (o) {
        var option = kit.el("option", null, kit.toText(o.label === undefined ? o.value : o.label));
        option.value = String(choices.length); // the placeholder is "", index 0
        select.appendChild(option);
        choices.push(o.value);
      });
    }

    function indexOf(value) {
      if (kit.isBlank(value)) return 0;
      for (var i = 1; i < choices.length; i++) if (sameValue(choices[i], value)) return i;
      return 0;
    }

    select.addEventListener("change", function () {
      ctx.setState({ value: choices[Number(select.value) || 0] });
      if (props.onChange) ctx.runActions(props.onChange);
    });

    return {
      update: function (next, state, ui) {
        props = next;
        field.setLabel(next.label, !!next.required);
        fill(optionsOf(next), state.value);
        var index = indexOf(state.value);
        select.value = index ? String(index) : "";
        select.classList.toggle("is-placeholder", !index);
        select.disabled = !!next.disabled;
        field.setError(ui.error);
      },
    };
  }, { hasValue: true });
})();
