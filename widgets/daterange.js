/* Date-range widget: a label, two native date inputs (from, to) and optional preset buttons.
 *
 * State: {start, end, endExclusive} as ISO dates (YYYY-MM-DD) or null; `end` is inclusive and
 * `endExclusive` is the day after it, so a query can write `created_at < <<r.endExclusive>>`
 * on every engine. Dates are the browser's local calendar days. Picking a start after the end
 * moves the other end along. onChange runs after each change (typed, picked or a preset).
 */
(function () {
  "use strict";
  var kit = Toolcrib.kit;
  var t = Toolcrib.t;
  /** Preset name -> its button's message (runtime/util.js MESSAGES). */
  var PRESETS = { today: "presetToday", last7days: "presetLast7days", last30days: "presetLast30days",
    thisMonth: "presetThisMonth" };
  var ISO = /^\d{4}-\d{2}-\d{2}$/;

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function iso(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function parse(text) {
    if (typeof text !== "string" || !ISO.test(text)) return null;
    var d = new Date(Number(text.slice(0, 4)), Number(text.slice(5, 7)) - 1, Number(text.slice(8, 10)));
    return isNaN(d.getTime()) || iso(d) !== text ? null : d;
  }

  function addDays(d, n) {
    return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);
  }

  /** [start, end] of a preset, as ISO dates, relative to today. */
  function presetRange(name, today) {
    if (name === "today") return [iso(today), iso(today)];
    if (name === "last7days") return [iso(addDays(today, -6)), iso(today)];
    if (name === "last30days") return [iso(addDays(today, -29)), iso(today)];
    if (name === "thisMonth") {
      return [iso(new Date(today.getFullYear(), today.getMonth(), 1)),
        iso(new Date(today.getFullYear(), today.getMonth() + 1, 0))];
    }
    return [null, null];
  }

  function stateOf(start, end) {
    var last = parse(end);
    return { start: parse(start) ? start : null, end: last ? end : null,
      endExclusive: last ? iso(addDays(last, 1)) : null };
  }

  Toolcrib.registerWidget("daterange", function (cell, ctx) {
    var box = kit.el("div", "tc-daterange");
    var from = kit.el("input", "tc-input tc-daterange__from");
    var to = kit.el("input", "tc-input tc-daterange__to");
    var dash = kit.el("span", "tc-daterange__dash", "–");
    var presetBox = kit.el("span", "tc-daterange__presets");
    var props = ctx.props();
    var presetKeys = "";

    from.type = "date";
    to.type = "date";
    from.setAttribute("aria-label", t("dateFrom"));
    to.setAttribute("aria-label", t("dateTo"));
    dash.setAttribute("aria-hidden", "true");
    box.setAttribute("role", "group");
    [from, dash, to, presetBox].forEach(function (node) { box.appendChild(node); });
    var field = kit.field(cell, ctx.name, box);
    box.removeAttribute("id");
    from.id = "tc-w-" + ctx.name;
    field.root.querySelector("label").htmlFor = from.id;
    box.setAttribute("aria-labelledby", from.id + "-label");
    field.root.querySelector(".tc-field__label-text").id = from.id + "-label";

    function initial(p) {
      if (parse(p.start) || parse(p.end)) return stateOf(p.start, p.end);
      var range = presetRange(p.defaultPreset, new Date());
      return stateOf(range[0], range[1]);
    }

    function commit(start, end) {
      var before = ctx.state();
      var next = stateOf(start, end);
      if (next.start === before.start && next.end === before.end) return;
      ctx.setState(next);
      if (props.onChange) ctx.runActions(props.onChange);
    }

    from.addEventListener("change", function () {
      var end = to.value;
      if (from.value && end && from.value > end) end = from.value;
      commit(from.value || null, end || null);
    });
    to.addEventListener("change", function () {
      var start = from.value;
      if (to.value && start && start > to.value) start = to.value;
      commit(start || null, to.value || null);
    });

    function renderPresets(list) {
      var keys = JSON.stringify(list);
      if (keys === presetKeys) return;
      presetKeys = keys;
      presetBox.textContent = "";
      list.forEach(function (name) {
        if (!PRESETS[name]) return;
        var button = kit.el("button", "tc-daterange__preset", t(PRESETS[name]));
        button.type = "button";
        button.dataset.preset = name;
        button.addEventListener("click", function () {
          var range = presetRange(name, new Date());
          commit(range[0], range[1]);
        });
        presetBox.appendChild(button);
      });
    }

    if (!("start" in ctx.state())) ctx.setState(initial(props));

    return {
      update: function (next, state, ui) {
        props = next;
        field.setLabel(next.label, !!next.required);
        from.required = to.required = !!next.required;
        var disabled = !!next.disabled;
        from.disabled = to.disabled = disabled;
        renderPresets(Array.isArray(next.presets) ? next.presets : []);
        Array.prototype.forEach.call(presetBox.children, function (b) {
          b.disabled = disabled;
          var range = presetRange(b.dataset.preset, new Date());
          b.setAttribute("aria-pressed", range[0] === state.start && range[1] === state.end ? "true" : "false");
        });
        if (from.value !== (state.start || "")) from.value = state.start || "";
        if (to.value !== (state.end || "")) to.value = state.end || "";
        to.min = state.start || "";
        from.max = state.end || "";
        field.setError(ui.error);
      },
      reset: function () {
        ctx.setState(initial(ctx.props()));
      },
    };
  });

})();
