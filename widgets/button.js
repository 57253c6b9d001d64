/* Button widget: runs its onClick actions. While they run the button is disabled and shows a
 * spinner (aria-busy), so a second click cannot submit twice. */
(function () {
  "use strict";
  var kit = Toolcrib.kit;
  var VARIANTS = ["primary", "secondary", "danger"];

  Toolcrib.registerWidget("button", function (cell, ctx) {
    var button = kit.el("button", "tc-button");
    var spinner = kit.el("span", "tc-spinner");
    var label = kit.el("span", "tc-button__label");
    var props = {};
    var busy = false;

    button.type = "button";
    spinner.setAttribute("aria-hidden", "true");
    button.appendChild(spinner);
    button.appendChild(label);
    cell.appendChild(button);

    function paint() {
      var variant = VARIANTS.indexOf(props.variant) >= 0 ? props.variant : "primary";
      button.className = "tc-button tc-button--" + variant + (busy ? " is-busy" : "");
      button.disabled = busy || !!props.disabled;
      button.setAttribute("aria-busy", busy ? "true" : "false");
      label.textContent = kit.toText(props.label);
    }

    button.addEventListener("click", function () {
      if (busy || button.disabled) return;
      busy = true;
      paint();
      ctx.runActions(props.onClick || []).catch(function (err) {
        console.error("Toolcrib: " + ctx.name + ".onClick failed", err);
      }).then(function () {
        busy = false;
        paint();
      });
    });

    return {
      update: function (next) {
        props = next;
        paint();
      },
    };
  });
})();
