/* File input widget: a native file picker for an import query (see widgets/fileinput.py).
 *
 * The chosen File stays in the page (ctx.setFile); a `run` of the import query reading this
 * widget uploads it. State: {fileName, fileSize} — never the content. A file of another type
 * or over maxSize is refused here with an inline error (the server checks again). `reset`
 * clears the choice. onChange runs after each pick.
 */
(function () {
  "use strict";
  var kit = Toolcrib.kit;
  var t = Toolcrib.t;
  var DEFAULT_ACCEPT = [".csv", ".xlsx"];
  var DEFAULT_MAX = 5 * 1024 * 1024;

  function humanSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function extensionOf(name) {
    var dot = name.lastIndexOf(".");
    return dot >= 0 ? name.slice(dot).toLowerCase() : "";
  }

  Toolcrib.registerWidget("fileinput", function (cell, ctx) {
    var box = kit.el("div", "tc-fileinput");
    var input = kit.el("input", "tc-input tc-fileinput__input");
    var info = kit.el("span", "tc-fileinput__info");
    var field;
    var props = {};
    var localError = null;

    input.type = "file";
    box.appendChild(input);
    box.appendChild(info);
    field = kit.field(cell, ctx.name, box);

    function accepted() {
      return Array.isArray(props.accept) && props.accept.length ? props.accept : DEFAULT_ACCEPT;
    }

    function choose(file) {
      ctx.setFile(file);
      info.textContent = file ? humanSize(file.size) : (props.placeholder || "");
      ctx.setState({ fileName: file ? file.name : null, fileSize: file ? file.size : null });
    }

    function clear() {
      input.value = "";
      localError = null;
      choose(null);
    }

    input.addEventListener("change", function () {
      var file = input.files && input.files[0] ? input.files[0] : null;
      localError = null;
      if (file && accepted().indexOf(extensionOf(file.name)) < 0) {
        localError = t("fileType", { types: accepted().join(" / ") });
      } else if (file && file.size > (props.maxSize || DEFAULT_MAX)) {
        localError = t("fileTooBig", { max: humanSize(props.maxSize || DEFAULT_MAX) });
      }
      if (localError) {
        input.value = "";
        file = null;
      }
      choose(file);
      field.setError(localError);
      if (!localError && props.onChange) ctx.runActions(props.onChange);
    });

    choose(null);
    return {
      update: function (next, state, ui) {
        props = next;
        field.setLabel(next.label, false);
        input.accept = accepted().join(",");
        input.disabled = !!next.disabled;
        if (!state.fileName) info.textContent = next.placeholder || "";
        field.setError(localError || ui.error);
      },
      reset: clear,
      destroy: function () { ctx.setFile(null); },
    };
  });
})();
