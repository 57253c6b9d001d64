/* Input widget: a labelled one-line field (text, number, email, password). Its value follows
 * the `value` binding until the user types (see static/runtime/follow.js). onChange runs
 * when an edit is committed (blur or Enter), onSubmit when Enter is pressed. */
(function () {
  "use strict";
  var kit = Toolcrib.kit;
  var TYPES = ["text", "number", "email", "password"];

  Toolcrib.registerWidget("input", function (cell, ctx) {
    var input = kit.el("input", "tc-input");
    var field = kit.field(cell, ctx.name, input);
    var props = {};

    input.autocomplete = "off";
    input.spellcheck = false;

    function valueOfInput() {
      if (input.type !== "number") return input.value;
      if (input.value.trim() === "") return null;
      var n = Number(input.value);
      return isNaN(n) ? input.value : n;
    }

    input.addEventListener("input", function () {
      ctx.setState({ value: valueOfInput() });
    });
    input.addEventListener("change", function () {
      if (props.onChange) ctx.runActions(props.onChange);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.isComposing && props.onSubmit) {
        event.preventDefault();
        ctx.runActions(props.onSubmit);
      }
    });

    return {
      update: function (next, state, ui) {
        props = next;
        var type = TYPES.indexOf(next.inputType) >= 0 ? next.inputType : "text";
        if (input.type !== type) input.type = type;
        field.setLabel(next.label, !!next.required);
        input.placeholder = kit.toText(next.placeholder);
        if (next.maxLength) input.maxLength = next.maxLength;
        else input.removeAttribute("maxlength");
        if (next.pattern) input.pattern = next.pattern;
        else input.removeAttribute("pattern");
        input.disabled = !!next.disabled;
        // Only write when different: rewriting the same text would move the caret.
        var text = kit.toText(state.value);
        if (input.value !== text && String(valueOfInput() === null ? "" : valueOfInput()) !== text) {
          input.value = text;
        }
        field.setError(ui.error);
      },
    };
  }, { hasValue: true });
})();
