/* Toolcrib runtime: DOM helpers for widgets (Toolcrib.kit) and the browser-side effects of
 * actions (clipboard, opening links).
 */
(function (root, factory) {
  "use strict";
  (root.ToolcribRuntime = root.ToolcribRuntime || {}).kit = factory(root.ToolcribRuntime.util);
})(typeof self !== "undefined" ? self : this, function (util) {
  "use strict";

  /** document.createElement with a class and text. */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  /**
   * A labelled form field inside a widget cell: label, the control, an inline error.
   * Returns {root, control, setLabel(text, required), setError(message|null)}.
   */
  function field(host, name, control) {
    var id = "tc-w-" + name;
    var errorId = id + "-error";
    var root = el("div", "tc-field");
    var label = el("label", "tc-field__label");
    var labelText = el("span", "tc-field__label-text");
    var mark = el("span", "tc-field__required", "*");
    var holder = el("div", "tc-field__control");
    var error = el("div", "tc-field__error");

    control.id = id;
    label.htmlFor = id;
    mark.setAttribute("aria-hidden", "true");
    error.id = errorId;
    error.hidden = true;
    label.appendChild(labelText);
    label.appendChild(mark);
    // The message sits inside the control's box (right side): grid rows are one line high,
    // so there is no room below the field without covering the widget underneath.
    holder.appendChild(control);
    holder.appendChild(error);
    root.appendChild(label);
    root.appendChild(holder);
    host.appendChild(root);

    return {
      root: root,
      control: control,
      setLabel: function (text, required) {
        labelText.textContent = util.toText(text);
        label.hidden = labelText.textContent === "";
        mark.hidden = !required;
        control.required = !!required;
        control.setAttribute("aria-required", required ? "true" : "false");
      },
      setError: function (message) {
        error.textContent = message || "";
        error.hidden = !message;
        root.classList.toggle("is-invalid", !!message);
        if (message) {
          control.setAttribute("aria-invalid", "true");
          control.setAttribute("aria-describedby", errorId);
        } else {
          control.removeAttribute("aria-invalid");
          control.removeAttribute("aria-describedby");
        }
      },
    };
  }

  /** The old way to copy, for pages without the async clipboard (plain http on a LAN IP). */
  function copyWithTextarea(text) {
    var area = el("textarea", "tc-offscreen");
    area.value = text;
    area.setAttribute("readonly", "");
    document.body.appendChild(area);
    var focused = document.activeElement;
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(area);
    if (focused && focused.focus) focused.focus();
    return ok;
  }

  /** Puts text on the clipboard; rejects with a readable error when nothing works. */
  function copyText(text, t) {
    var clipboard = navigator.clipboard;
    var viaApi = clipboard && window.isSecureContext
      ? clipboard.writeText(text) : Promise.reject(new Error("no clipboard API"));
    return viaApi.catch(function () {
      if (!copyWithTextarea(text)) throw new Error(t("copyFailed"));
    });
  }

  /** Opens an http(s) or relative link in a new tab; anything else is refused. */
  function openUrl(url, t) {
    var safe = util.safeUrl(url, window.location.href);
    if (!safe) throw new Error(t("badUrl"));
    var win = window.open(safe, "_blank", "noopener,noreferrer");
    if (win) win.opener = null;
  }

  /** Saves a Blob as a download named `filename` (an <a download> click). */
  function saveFile(blob, filename) {
    var url = URL.createObjectURL(blob);
    var link = el("a", "tc-offscreen");
    link.href = url;
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  return {
    el: el,
    saveFile: saveFile,
    field: field,
    copyText: copyText,
    openUrl: openUrl,
    toText: util.toText,
    formatDate: util.formatDate,
    isBlank: util.isBlank,
    safeUrl: util.safeUrl,
  };
});
