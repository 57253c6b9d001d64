/* Toolcrib runtime: the scope bindings are evaluated in, and widget props evaluation.
 *
 * Scope = every widget (its evaluated props overlaid with its state) + every query state.
 * A widget's props may read other widgets' props (`<<copyAddress.label>>`), so a widget's
 * entry is computed lazily on first read and memoised for one snapshot; a cycle (which
 * validation refuses anyway) reads the literal props instead of looping.
 */
(function (root, factory) {
  "use strict";
  var mod = factory();
  if (typeof module === "object" && module.exports) module.exports = mod;
  else (root.ToolcribRuntime = root.ToolcribRuntime || {}).scope = mod;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  /** Props kept as written: event props (onClick, onRowClick...) hold action lists, evaluated
   * only when they run; a table's rowStyles are evaluated per row, with `row` in scope. */
  function isEventProp(key) {
    return /^on[A-Z]/.test(key) || key === "rowStyles";
  }

  function hasBinding(text) {
    return typeof text === "string" && text.indexOf("<<") !== -1;
  }

  /**
   * Evaluates every `<<...>>` inside a (possibly nested) literal. A binding that throws
   * becomes null and is reported through `onError(error)`: the widget shows empty.
   */
  function evaluateValue(value, bindings, scope, onError) {
    if (hasBinding(value)) {
      try {
        return bindings.render(value, scope);
      } catch (err) {
        onError(err);
        return null;
      }
    }
    if (Array.isArray(value)) {
      return value.map(function (item) { return evaluateValue(item, bindings, scope, onError); });
    }
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (key) {
        out[key] = evaluateValue(value[key], bindings, scope, onError);
      });
      return out;
    }
    return value;
  }

  /** Props with literal values only (bindings dropped): the fallback inside a cycle. */
  function literalProps(props) {
    var out = {};
    Object.keys(props || {}).forEach(function (key) {
      if (!hasBinding(props[key])) out[key] = props[key];
    });
    return out;
  }

  /**
   * A factory of scope snapshots.
   *   specs: {name: widgetSpec} for every widget of every page
   *   store: the state store; bindings: window.ToolcribBindings
   *   warn(widgetName, propName, error): reports a binding that failed
   */
  function createScopeBuilder(specs, store, bindings, warn) {
    return function snapshot() {
      var props = Object.create(null);
      var entries = Object.create(null);
      var inProgress = Object.create(null);
      var scope = {};

      function propsOf(name) {
        if (props[name]) return props[name];
        var spec = specs[name];
        if (!spec) return {};
        if (inProgress[name]) return literalProps(spec.props);
        inProgress[name] = true;
        var out = {};
        Object.keys(spec.props || {}).forEach(function (key) {
          var raw = spec.props[key];
          out[key] = isEventProp(key) ? raw : evaluateValue(raw, bindings, scope, function (err) {
            warn(name, key, err);
          });
        });
        inProgress[name] = false;
        props[name] = out;
        return out;
      }

      function entryOf(name) {
        if (!entries[name]) entries[name] = Object.assign({}, propsOf(name), store.widget(name));
        return entries[name];
      }

      Object.keys(store.state.queries).forEach(function (name) {
        scope[name] = store.state.queries[name];
      });
      if (store.state.page) scope.page = store.state.page; // `page` is a reserved name
      Object.keys(specs).forEach(function (name) {
        Object.defineProperty(scope, name, {
          enumerable: true,
          configurable: true,
          get: function () { return entryOf(name); },
        });
      });

      /** Renders a value from an action (a literal or text with bindings) in this snapshot. */
      function evaluate(value, onError) {
        return evaluateValue(value, bindings, scope, onError || function (err) { throw err; });
      }

      /** The scope plus local names (a table row's `row`), read lazily like the scope. */
      function scopeWith(locals) {
        var out = {};
        Object.keys(scope).forEach(function (name) {
          Object.defineProperty(out, name, { enumerable: true, configurable: true,
            get: function () { return scope[name]; } });
        });
        Object.keys(locals || {}).forEach(function (name) {
          Object.defineProperty(out, name, { enumerable: true, configurable: true, writable: true,
            value: locals[name] });
        });
        return out;
      }

      return { scope: scope, propsOf: propsOf, evaluate: evaluate, scopeWith: scopeWith };
    };
  }

  return {
    createScopeBuilder: createScopeBuilder,
    evaluateValue: evaluateValue,
    isEventProp: isEventProp,
    hasBinding: hasBinding,
  };
});
