/* Text widget: an optional label and a piece of text (usually a binding), selectable so it
 * can be copied by hand; a placeholder when the text is empty. */
(function () {
  "use strict";
  var kit = Toolcrib.kit;

  Toolcrib.registerWidget("text", function (cell) {
    var root = kit.el("div", "tc-text");
    var label = kit.el("div", "tc-text__label");
    var body = kit.el("div", "tc-text__body");
    root.appendChild(label);
    root.appendChild(body);
    cell.appendChild(root);

    return {
      update: function (props) {
        var text = kit.toText(props.text);
        label.textContent = kit.toText(props.label);
        label.hidden = label.textContent === "";
        body.textContent = text === "" ? kit.toText(props.placeholder) : text;
        body.classList.toggle("is-empty", text === "");
        body.style.color = text !== "" && /^#[0-9a-fA-F]{6}$/.test(props.color || "") ? props.color : "";
        root.classList.toggle("is-unselectable", props.selectable === false);
      },
    };
  });
})();
