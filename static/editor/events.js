/* Toolcrib editor: the event editor — a widget event's list of actions (onClick, onChange...).
 *
 * Each action is one verb (run a query, refresh one, toast, copy, set a widget value, reset,
 * navigate to a page, open a URL, export a query's rows) with its target; `run` and `export` have
 * their own onSuccess / onError lists, edited the same way (nested). The list is read with get()
 * and written with set(), like every field of the property panel (fields.js).
 * Browser: ToolcribEditor.events.
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};
  var el = TE.dom.el;

  var VERBS = [
    { verb: "run", title: "Run query" }, { verb: "refresh", title: "Refresh query" },
    { verb: "toast", title: "Show message" }, { verb: "copy", title: "Copy text" },
    { verb: "set", title: "Set value" }, { verb: "reset", title: "Reset widget" },
    { verb: "navigate", title: "Go to page" }, { verb: "open", title: "Open URL" },
    { verb: "export", title: "Export query (CSV)" },
  ];
  /** Verbs whose value is a query name, and those with onSuccess / onError lists. */
  var QUERY_VERBS = ["run", "refresh", "export"], BRANCHING = ["run", "export"];
  var TOAST_KINDS = ["info", "success", "error"];

  function verbOf(action) {
    return VERBS.map(function (v) { return v.verb; }).filter(function (v) {
      return action && Object.prototype.hasOwnProperty.call(action, v);
    })[0] || "toast";
  }

  function freshAction(verb, ctx) {
    var doc = ctx.doc.doc;
    var queries = Object.keys(doc.queries || {});
    var action = {};
    if (QUERY_VERBS.indexOf(verb) >= 0) action[verb] = queries[0] || "";
    else if (verb === "toast") action.toast = "Done";
    else if (verb === "set") { action.set = "widget.value"; action.to = ""; }
    else if (verb === "reset") action.reset = (TE.model.allWidgets(doc)[0] || { widget: { name: "" } }).widget.name;
    else if (verb === "navigate") action.navigate = ((doc.pages || [])[0] || {}).name || "";
    else action[verb] = "";
    return action;
  }

  function choice(label, values, current, key, onchange) {
    var options = values.slice();
    if (current && options.indexOf(current) < 0) options.unshift(current);
    return el("select", { class: "ed-input", "aria-label": label, dataset: { fkey: key }, onchange: function (e) {
      onchange(e.target.value);
    } }, options.map(function (v) { return el("option", { value: v, text: v, selected: v === current }); }));
  }

  /** Field editing part of one action: ``name`` of action ``get()``. */
  function actionPart(spec, name) {
    return {
      get: function () { var a = spec.get(); return a ? a[name] : undefined; },
      set: function (value, typing) {
        var next = Object.assign({}, spec.get() || {});
        if (value === undefined || (value === "" && name !== spec.verb)) delete next[name]; else next[name] = value;
        spec.set(next, typing);
      },
    };
  }

  function text(spec, name, label) {
    var part = actionPart(spec, name);
    var input = TE.bindinput.create({ ctx: spec.ctx, value: part.get(), label: label, placeholder: "text or <<binding>>",
      onChange: function (v) { part.set(v, true); } });
    input.input.dataset.fkey = spec.key + "." + name;
    return input.element;
  }

  function actionRow(spec, index, total, move) {
    var action = spec.get() || {};
    var verb = verbOf(action);
    var ctx = spec.ctx, doc = ctx.doc.doc;
    var queries = Object.keys(doc.queries || {});
    var widgets = TE.model.allWidgets(doc).map(function (w) { return w.widget.name; });
    var pages = (doc.pages || []).map(function (p) { return p.name; });
    var body = [];
    var sub = { ctx: ctx, get: spec.get, set: spec.set, key: spec.key, verb: verb };
    if (QUERY_VERBS.indexOf(verb) >= 0) {
      body.push(choice("Query", queries, action[verb], spec.key + "." + verb, function (v) { actionPart(sub, verb).set(v); }));
      if (verb === "export") body.push(text(sub, "filename", "File name"));
    } else if (verb === "toast") {
      body.push(text(sub, "toast", "Message"));
      body.push(choice("Kind", TOAST_KINDS, action.kind || "info", spec.key + ".kind", function (v) {
        actionPart(sub, "kind").set(v === "info" ? undefined : v);
      }));
    } else if (verb === "copy" || verb === "open") {
      body.push(text(sub, verb, verb === "copy" ? "Text to copy" : "URL"));
    } else if (verb === "set") {
      body.push(el("input", { class: "ed-input", value: action.set || "", "aria-label": "Widget and property",
        placeholder: "widget.value", dataset: { fkey: spec.key + ".set" },
        oninput: function (e) { actionPart(sub, "set").set(e.target.value, true); } }));
      body.push(text(sub, "to", "New value"));
    } else if (verb === "reset") {
      body.push(choice("Widget", widgets, typeof action.reset === "string" ? action.reset : "", spec.key + ".reset",
        function (v) { actionPart(sub, "reset").set(v); }));
    } else if (verb === "navigate") {
      body.push(choice("Page", pages, action.navigate, spec.key + ".navigate", function (v) {
        actionPart(sub, "navigate").set(v);
      }));
    }
    var verbSelect = el("select", { class: "ed-input ed-action__verb", "aria-label": "Action " + (index + 1),
      dataset: { fkey: spec.key + ".verb" }, onchange: function (e) { spec.set(freshAction(e.target.value, ctx)); } },
    VERBS.map(function (v) { return el("option", { value: v.verb, text: v.title, selected: v.verb === verb }); }));
    var row = el("div", { class: "ed-action", dataset: { verb: verb, index: String(index) } }, [
      el("div", { class: "ed-action__line" }, [
        verbSelect,
        el("span", { class: "ed-action__tools" }, [
          el("button", { type: "button", class: "ed-icon", "aria-label": "Move action up", disabled: index === 0,
            onclick: function () { move(index, index - 1); } }, ["↑"]),
          el("button", { type: "button", class: "ed-icon", "aria-label": "Move action down",
            disabled: index === total - 1, onclick: function () { move(index, index + 1); } }, ["↓"]),
          el("button", { type: "button", class: "ed-icon ed-icon--danger", "aria-label": "Remove action " + (index + 1),
            onclick: function () { move(index, null); } }, ["×"]),
        ]),
      ]),
      el("div", { class: "ed-action__body" }, body),
    ]);
    if (BRANCHING.indexOf(verb) >= 0) {
      ["onSuccess", "onError"].forEach(function (branch) {
        var part = actionPart(sub, branch);
        row.appendChild(el("div", { class: "ed-action__branch ed-action__branch--" + branch }, [
          el("div", { class: "ed-action__branch-title", text: branch === "onSuccess" ? "On success" : "On error" }),
          create({ ctx: ctx, get: part.get, set: part.set, key: spec.key + "." + branch, label: branch }),
        ]));
      });
    }
    return row;
  }

  /** The editor of one action list: {ctx, get, set, key, label}. */
  function create(spec) {
    var list = Array.isArray(spec.get()) ? spec.get() : [];
    var box = el("div", { class: "ed-actions", dataset: { fkey: spec.key } });
    function current() { return Array.isArray(spec.get()) ? spec.get().slice() : []; }
    function move(i, to) {
      var next = current();
      if (to === null) next.splice(i, 1); else next.splice(to, 0, next.splice(i, 1)[0]);
      spec.set(next.length ? next : undefined);
    }
    list.forEach(function (action, i) {
      box.appendChild(actionRow({
        ctx: spec.ctx, key: spec.key + "." + i,
        get: function () { return current()[i]; },
        set: function (value, typing) { var next = current(); next[i] = value; spec.set(next, typing); },
      }, i, list.length, move));
    });
    var add = el("select", { class: "ed-input ed-actions__add", "aria-label": "Add an action to " + (spec.label || "event"),
      dataset: { fkey: spec.key + ".add" },
      onchange: function (e) {
        if (!e.target.value) return;
        spec.set(current().concat([freshAction(e.target.value, spec.ctx)]));
      } }, [el("option", { value: "", text: "+ Add action…" })].concat(VERBS.map(function (v) {
      return el("option", { value: v.verb, text: v.title });
    })));
    box.appendChild(add);
    return box;
  }

  TE.events = { create: create, VERBS: VERBS, verbOf: verbOf };
})(window);
