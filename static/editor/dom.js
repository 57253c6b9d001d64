/* Toolcrib editor: small DOM helpers shared by the panels (no framework).
 * el("button", {class: "x", onclick: fn, text: "Go"}, [children]) builds elements; toasts,
 * a modal dialog (native <dialog>), an event bus and value formatting for previews.
 * Browser: ToolcribEditor.dom.
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};
  var doc = root.document;

  function el(tag, attrs, children) {
    var node = doc.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === undefined || value === null || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key === "dataset") Object.keys(value).forEach(function (k) { node.dataset[k] = value[k]; });
      else if (key.slice(0, 2) === "on" && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (key === "value") node.value = value;
      else if (key === "checked") node.checked = !!value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? doc.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  /** fn after ``ms`` of quiet; flush() runs a pending call now (with its arguments). */
  function debounce(fn, ms) {
    var timer = null, pending = null;
    function fire() {
      var call = pending;
      clearTimeout(timer);
      timer = null;
      pending = null;
      if (call) fn.apply(call.self, call.args);
    }
    function run() {
      pending = { self: this, args: arguments };
      clearTimeout(timer);
      timer = setTimeout(fire, ms);
    }
    run.flush = fire;
    run.cancel = function () { clearTimeout(timer); timer = null; pending = null; };
    return run;
  }

  /** A value shown in one line: strings as they are, everything else as JSON, cut short. */
  function preview(value, limit) {
    var max = limit || 120;
    var text;
    if (value === undefined) text = "undefined";
    else if (typeof value === "string") text = JSON.stringify(value);
    else {
      try { text = JSON.stringify(value); } catch (e) { text = String(value); }
    }
    if (Array.isArray(value)) text = "[" + value.length + " item" + (value.length === 1 ? "" : "s") + "] " + text;
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  function createBus() {
    var handlers = Object.create(null);
    return {
      on: function (name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
      emit: function (name, data) { (handlers[name] || []).slice().forEach(function (fn) { fn(data); }); },
    };
  }

  function toast(message, kind) {
    var box = doc.getElementById("ed-toasts");
    if (!box) return;
    var item = el("div", { class: "ed-toast ed-toast--" + (kind || "info"), role: kind === "error" ? "alert" : "status" },
      [message]);
    box.appendChild(item);
    setTimeout(function () { item.classList.add("ed-toast--out"); }, kind === "error" ? 6000 : 3000);
    setTimeout(function () { if (item.parentNode) item.parentNode.removeChild(item); }, kind === "error" ? 6400 : 3400);
  }

  /**
   * A modal dialog. options: {title, body: node, actions: [{label, value, primary, danger}],
   * wide}. Resolves with the chosen action's value (null when closed with Escape); the promise's
   * ``element`` is the <dialog>.
   */
  function dialog(options) {
    var box = el("dialog", { class: "ed-dialog" + (options.wide ? " ed-dialog--wide" : ""),
      "aria-labelledby": "ed-dialog-title" });
    var done;
    var result = new Promise(function (resolve) { done = resolve; });
    var buttons = (options.actions || [{ label: "Close", value: null }]).map(function (action) {
      return el("button", { type: "button", class: "tc-button" + (action.primary ? " tc-button--primary" : "") +
        (action.danger ? " tc-button--danger" : ""), text: action.label, dataset: { value: String(action.value) },
      onclick: function () { box.close(); done(action.value); } });
    });
    box.appendChild(el("h2", { id: "ed-dialog-title", text: options.title }));
    if (options.body) box.appendChild(el("div", { class: "ed-dialog__body" }, [options.body]));
    box.appendChild(el("div", { class: "ed-dialog__actions" }, buttons));
    box.addEventListener("close", function () {
      done(null);
      if (box.parentNode) box.parentNode.removeChild(box);
    });
    doc.body.appendChild(box);
    box.showModal();
    var primary = buttons.filter(function (b, i) { return options.actions && options.actions[i].primary; })[0];
    (primary || buttons[0]).focus();
    result.element = box;
    return result;
  }

  function isTyping(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable=true], .cm-editor");
  }

  TE.dom = { el: el, clear: clear, debounce: debounce, preview: preview, createBus: createBus, toast: toast,
    dialog: dialog, isTyping: isTyping };
})(window);
