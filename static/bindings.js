/* Toolcrib <<...>> binding language for the browser: the twin of builder/bindings.py.
 * Both must pass tests/bindings_cases.json; the language is described in docs/bindings.md.
 * This file is the public API (find, parse, evaluate, references, render) and the evaluator;
 * the parts are static/bindings/parser.js (tokenizer, parser) and static/bindings/values.js
 * (values, filters), loaded first. Plain ES2017, no dependencies, no eval.
 * Browser: window.ToolcribBindings (after the parts); Node: module.exports.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) {
    module.exports = factory(require('./bindings/parser.js'), require('./bindings/values.js'));
  } else {
    var parts = root.ToolcribBindingParts || {};
    if (!parts.parser || !parts.values) {
      throw new Error('Toolcrib: load static/bindings/parser.js and values.js before bindings.js');
    }
    root.ToolcribBindings = factory(parts.parser, parts.values);
  }
})(typeof self !== 'undefined' ? self : this, function (parser, values) {
  'use strict';

  var BindingError = parser.BindingError, FILTERS = parser.FILTERS, column = parser.column;
  var own = values.own, get = values.get, equal = values.equal, compare = values.compare;
  var toText = values.toText, FILTER_FUNCS = values.FILTER_FUNCS;

  var cache = new Map();

  // Parse one expression (the text between '<<' and '>>'); cached. Throws BindingError (syntax).
  function parse(source) {
    var expr = cache.get(source);
    if (expr) return expr;
    expr = parser.parseExpression(source);
    if (cache.size >= 4096) cache.clear();
    cache.set(source, expr);
    return expr;
  }

  // --- evaluator ---------------------------------------------------------------------

  function evalNode(n, scope) {
    switch (n.type) {
      case 'path': {
        var value = own(scope, n.root);
        for (var i = 0; i < n.keys.length; i++) {
          if (value === null) return null;
          value = get(value, n.keys[i]);
        }
        return value;
      }
      case 'literal': return n.value;
      case 'array': return n.items.map(function (item) { return evalNode(item, scope); });
      case 'member': {
        var obj = evalNode(n.obj, scope);
        return get(obj, evalNode(n.key, scope));
      }
      case 'not': return !evalNode(n.operand, scope);
      case 'compare': {
        var a = evalNode(n.left, scope), b = evalNode(n.right, scope);
        if (n.op === '==' || n.op === '!=') return equal(a, b) === (n.op === '==');
        return compare(n.op, a, b);
      }
      case 'logical': {
        var left = evalNode(n.left, scope);
        if (n.op === '&&') return left ? evalNode(n.right, scope) : left;
        if (n.op === '||') return left ? left : evalNode(n.right, scope);
        return left === null ? evalNode(n.right, scope) : left;
      }
      case 'cond': return evalNode(evalNode(n.test, scope) ? n.then : n.otherwise, scope);
      case 'filter': {
        var operand = evalNode(n.operand, scope);
        var args = n.args.map(function (arg) { return evalNode(arg, scope); });
        return FILTER_FUNCS[n.name].apply(null, [operand].concat(args));
      }
    }
    throw new Error('unknown node ' + n.type);
  }

  function evaluate(sourceOrAst, scope) {
    return evalNode(typeof sourceOrAst === 'string' ? parse(sourceOrAst) : sourceOrAst, scope || {});
  }

  // --- text --------------------------------------------------------------------------

  // Every <<...>> of the text: [{start, end, source}]; a '>>' inside a quoted string does not end one.
  function findBindings(text) {
    var found = [], pos = 0, start, i, quote, ch;
    while ((start = text.indexOf('<<', pos)) >= 0) {
      for (i = start + 2, quote = ''; i < text.length; i++) {
        ch = text[i];
        if (quote) { if (ch === '\\') i += 1; else if (ch === quote) quote = ''; }
        else if (ch === '"' || ch === "'") quote = ch;
        else if (ch === '>' && text[i + 1] === '>') break;
      }
      if (i >= text.length) {
        var col = column(text, start);
        throw new BindingError("unterminated '<<' at column " + col + "; missing '>>'", 'syntax', col);
      }
      found.push({ start: start, end: i + 2, source: text.slice(start + 2, i).trim() });
      pos = i + 2;
    }
    return found;
  }

  function single(text, bindings) {
    var b = bindings[0];
    return bindings.length === 1 && !text.slice(0, b.start).trim() && !text.slice(b.end).trim();
  }

  function isSingleBinding(text) {
    try {
      return single(text, findBindings(text));
    } catch (e) {
      if (e instanceof BindingError) return false;
      throw e;
    }
  }

  function render(text, scope) {
    var bindings = findBindings(text);
    if (!bindings.length) return text;
    if (single(text, bindings)) return evaluate(bindings[0].source, scope);
    var out = '', pos = 0;
    bindings.forEach(function (b) {
      out += text.slice(pos, b.start) + toText(evaluate(b.source, scope));
      pos = b.end;
    });
    return out + text.slice(pos);
  }

  function collect(n, found) {
    switch (n.type) {
      case 'path': {
        var path = [n.root].concat(n.keys), key = JSON.stringify(path);
        if (!found.has(key)) found.set(key, path);
        return;
      }
      case 'member':
        collect(n.obj, found);
        if (n.key.type !== 'literal') collect(n.key, found);
        return;
      case 'not': collect(n.operand, found); return;
      case 'compare': case 'logical': collect(n.left, found); collect(n.right, found); return;
      case 'cond': collect(n.test, found); collect(n.then, found); collect(n.otherwise, found); return;
      case 'filter': [n.operand].concat(n.args).forEach(function (a) { collect(a, found); }); return;
      case 'array': n.items.forEach(function (a) { collect(a, found); });
    }
  }

  // Static paths the expression reads, deduplicated, in first-seen order.
  function references(sourceOrAst) {
    var found = new Map();
    collect(typeof sourceOrAst === 'string' ? parse(sourceOrAst) : sourceOrAst, found);
    return Array.from(found.values());
  }

  return {
    BindingError: BindingError, FILTER_NAMES: Object.keys(FILTERS), findBindings: findBindings,
    isSingleBinding: isSingleBinding, parse: parse, evaluate: evaluate, references: references,
    render: render, toText: toText
  };
});
