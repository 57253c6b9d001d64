/* Toolcrib runtime: toasts, stacked bottom-right.
 *
 * info/success toasts are role=status (announced politely), error toasts role=alert.
 * Each stays about 3 s (errors a little longer: they are usually read twice); hovering
 * or focusing a toast keeps it until the pointer/focus leaves. At most MAX are shown.
 */
(function (root, factory) {
  "use strict";
  var mod = factory();
  if (typeof module === "object" && module.exports) module.exports = mod;
  else (root.ToolcribRuntime = root.ToolcribRuntime || {}).toasts = mod;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var DURATION_MS = 3000;
  var ERROR_DURATION_MS = 5000;
  var MAX = 5;
  var ICONS = { info: "ℹ", success: "✓", error: "!" };

  function createToaster(doc, t) {
    var region = doc.createElement("div");
    region.className = "tc-toasts";
    doc.body.appendChild(region);

    function dismiss(toast) {
      if (!toast.parentNode) return;
      clearTimeout(toast._timer);
      toast.classList.add("is-leaving");
      setTimeout(function () {
        if (toast.parentNode) toast.parentNode.removeChild(toast);
      }, 150);
    }

    function arm(toast, ms) {
      clearTimeout(toast._timer);
      toast._timer = setTimeout(function () { dismiss(toast); }, ms);
    }

    function build(text, kind) {
      var toast = doc.createElement("div");
      toast.className = "tc-toast tc-toast--" + kind;
      toast.setAttribute("role", kind === "error" ? "alert" : "status");
      toast.dataset.kind = kind;

      var icon = doc.createElement("span");
      icon.className = "tc-toast__icon";
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = ICONS[kind];

      var body = doc.createElement("span");
      body.className = "tc-toast__text";
      body.textContent = text;

      var close = doc.createElement("button");
      close.type = "button";
      close.className = "tc-toast__close";
      close.setAttribute("aria-label", t("close"));
      close.textContent = "×";
      close.addEventListener("click", function () { dismiss(toast); });

      toast.appendChild(icon);
      toast.appendChild(body);
      toast.appendChild(close);
      return toast;
    }

    /** Shows a toast; returns its element. */
    function show(text, kind) {
      kind = ICONS[kind] ? kind : "info";
      var toast = build(text, kind);
      var ms = kind === "error" ? ERROR_DURATION_MS : DURATION_MS;
      var hold = function () { clearTimeout(toast._timer); };
      var release = function () { arm(toast, ms); };
      toast.addEventListener("mouseenter", hold);
      toast.addEventListener("mouseleave", release);
      toast.addEventListener("focusin", hold);
      toast.addEventListener("focusout", release);
      region.appendChild(toast);
      while (region.children.length > MAX) region.removeChild(region.firstChild);
      arm(toast, ms);
      return toast;
    }

    return { show: show };
  }

  return { createToaster: createToaster };
});
