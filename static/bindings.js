/* Toolcrib <<...>> binding language for the browser: the twin of builder/bindings.py.
 * Both must pass tests/bindings_cases.json; the language is described in docs/bindings.md.
 * Plain ES2017, no dependencies, no eval. Browser: window.ToolcribBindings; Node: module.exports.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.ToolcribBindings = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  var hasOwn = Object.prototype.hasOwnProperty;
  // name -> [min args, max args]; same table as FILTERS in builder/_binding_parser.py
  var FILTERS = {
    upper: [0, 0], lower: [0, 0], trim: [0, 0], length: [0, 0], string: [0, 0], number: [0, 0],
    json: [0, 0], default: [1, 1], join: [0, 1], first: [0, 0], last: [0, 0], round: [0, 1]
  };
  var MAX_DEPTH = 32;
  var KEYWORDS = { true: true, false: false, null: null };
  var OPS = ['===', '!==', '==', '!=', '<=', '>=', '&&', '||', '??',
    '<', '>', '!', '?', ':', '|', '.', ',', '(', ')', '[', ']'];
  var LEVELS = [['??'], ['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>=']];
  var LOGICAL_LEVELS = 3;
  var NUMBER = /-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
  var NUMERIC = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
  var ESCAPES = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '/': '/', '\\': '\\',
    "'": "'", '"': '"' };
  var NAME_START, NAME_PART;
  try { // Unicode property escapes are ES2018; fall back to "any non-ASCII, non-space" on old engines
    NAME_START = new RegExp('^\\p{L}$', 'u');
    NAME_PART = new RegExp('^[\\p{L}\\p{Nd}\\p{Mn}\\p{Mc}]$', 'u');
  } catch (e) {
    NAME_START = NAME_PART = /^[^\x00-\x7f\s]+$/;
  }

  class BindingError extends Error {
    constructor(message, kind, column) {
      super(message);
      this.name = 'BindingError';
      this.kind = kind; // "syntax" | "eval"
      if (column !== undefined) this.column = column;
    }
  }

  // Columns are 1-based and count code points, like Python string indexes.
  function column(text, pos) { return Array.from(text.slice(0, pos)).length + 1; }

  function syntaxError(source, message, pos, extra) {
    var col = column(source, pos);
    return new BindingError(message + ' at column ' + col + (extra || ''), 'syntax', col);
  }

  function evalError(message) { return new BindingError(message, 'eval'); }

  function isNameStart(ch) {
    return ch.charCodeAt(0) < 128 ? /^[A-Za-z_$]$/.test(ch) : NAME_START.test(ch);
  }

  function isNamePart(ch) {
    return ch.charCodeAt(0) < 128 ? /^[A-Za-z0-9_$]$/.test(ch) : NAME_PART.test(ch);
  }

  function readString(source, start) {
    var quote = source[start], out = '', i = start + 1, ch, esc, hex;
    for (; i < source.length && (ch = source[i]) !== quote; i++) {
      if (ch !== '\\') { out += ch; continue; }
      esc = source.charAt(++i);
      hex = source.slice(i + 1, i + 5);
      if (esc === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw syntaxError(source, 'invalid \\u escape', i - 1);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
      }
      else if (hasOwn.call(ESCAPES, esc)) out += ESCAPES[esc];
      else if (esc) throw syntaxError(source, "invalid escape '\\" + esc + "'", i - 1);
    }
    if (i >= source.length) throw syntaxError(source, 'unterminated string', start);
    return [out, i + 1];
  }

  function badChar(source, ch, pos) {
    if ('+-*/%'.indexOf(ch) >= 0) return syntaxError(source, 'arithmetic is not supported', pos);
    if (ch === '=') return syntaxError(source, "'=' is not supported", pos, "; use '==' to compare");
    if (ch === '&') return syntaxError(source, "unexpected character '&'", pos, "; did you mean '&&'?");
    return syntaxError(source, "unexpected character '" + ch + "'", pos);
  }

  // Tokens {kind: num|str|name|op|eof, value, pos, text}; '-' is only a sign of a number literal.
  function tokenize(source) {
    var tokens = [], i = 0, n = source.length, ch, start, text, last;
    function push(kind, value) {
      tokens.push({ kind: kind, value: value, pos: start, text: source.slice(start, i) });
    }
    while (i < n) {
      ch = String.fromCodePoint(source.codePointAt(i));
      start = i;
      last = tokens[tokens.length - 1];
      if (/\s/.test(ch)) {
        i += 1;
      } else if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(source.charAt(i + 1)))) {
        if (ch === '-' && last && (last.kind !== 'op' || last.value === ')' || last.value === ']')) {
          throw syntaxError(source, 'arithmetic is not supported', i);
        }
        NUMBER.lastIndex = i;
        text = NUMBER.exec(source)[0];
        i += text.length;
        push('num', Number(text));
      } else if (ch === '"' || ch === "'") {
        text = readString(source, i);
        i = text[1];
        push('str', text[0]);
      } else if (isNameStart(ch)) {
        for (i += ch.length; i < n && isNamePart(ch = String.fromCodePoint(source.codePointAt(i)));) {
          i += ch.length;
        }
        push('name', source.slice(start, i));
      } else {
        text = OPS.find(function (op) { return source.startsWith(op, i); });
        if (text === '===' || text === '!==') {
          throw syntaxError(source, "'" + text + "' is not supported", i,
            "; use '" + text.slice(0, 2) + "' (always strict)");
        }
        if (!text) throw badChar(source, ch, i);
        i += text.length;
        push('op', text);
      }
    }
    tokens.push({ kind: 'eof', value: null, pos: n, text: '' });
    return tokens;
  }

  function describe(tok) {
    return { eof: 'end of expression', op: "'" + tok.text + "'", name: "name '" + tok.text + "'",
      num: 'number ' + tok.text, str: 'string ' + tok.text }[tok.kind];
  }

  // Levenshtein distance, the same algorithm as _distance in Python, so suggestions agree.
  function distance(a, b) {
    a = Array.from(a); b = Array.from(b);
    var prev = [];
    for (var j = 0; j <= b.length; j++) prev.push(j);
    for (var i = 1; i <= a.length; i++) {
      var cur = [i];
      for (j = 1; j <= b.length; j++) {
        cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
      }
      prev = cur;
    }
    return prev[prev.length - 1];
  }

  function suggestFilter(name) {
    var best = null, bestDistance = 3;
    Object.keys(FILTERS).forEach(function (known) {
      var d = distance(name.toLowerCase(), known);
      if (d < bestDistance) { best = known; bestDistance = d; }
    });
    return best;
  }

  function node(fields) { return Object.freeze(fields); }

  // Recursive descent over the token list; the grammar is in builder/_binding_parser.py.
  function parseTokens(source) {
    var tokens = tokenize(source), i = 0, depth = 0;
    function peek() { return tokens[i]; }
    function fail(message, tok, extra) { return syntaxError(source, message, tok.pos, extra); }
    function found(tok) { return ', found ' + describe(tok); }
    function accept(op) {
      if (tokens[i].kind !== 'op' || tokens[i].value !== op) return false;
      i += 1;
      return true;
    }
    function expect(op) {
      if (!accept(op)) throw fail("expected '" + op + "'", peek(), found(peek()));
    }
    function enter() {
      if (++depth > MAX_DEPTH) throw fail('expression is nested too deeply', peek());
    }
    function items(close) {
      var list = [];
      if (accept(close)) return list;
      do list.push(pipe()); while (accept(','));
      expect(close);
      return list;
    }
    function pipe() {
      var expr = conditional();
      while (accept('|')) {
        var tok = tokens[i++], name = tok.value;
        if (tok.kind !== 'name') throw fail("expected a filter name after '|'", tok, found(tok));
        if (!hasOwn.call(FILTERS, name)) {
          var hint = suggestFilter(name);
          throw fail("unknown filter '" + name + "'", tok,
            hint ? "; did you mean '" + hint + "'?" : '; known: ' + Object.keys(FILTERS).join(', '));
        }
        var args = accept('(') ? items(')') : [], low = FILTERS[name][0], high = FILTERS[name][1];
        if (args.length < low || args.length > high) {
          var need = high ? (low < high ? 'at most ' : 'exactly ') + '1 argument' : 'no arguments';
          throw fail("filter '" + name + "' takes " + need, tok);
        }
        expr = node({ type: 'filter', operand: expr, name: name, args: args });
      }
      return expr;
    }
    function conditional() {
      enter();
      var expr = binary(0);
      if (accept('?')) {
        var then = conditional();
        expect(':');
        expr = node({ type: 'cond', test: expr, then: then, otherwise: conditional() });
      }
      depth -= 1;
      return expr;
    }
    function binary(level) {
      if (level === LEVELS.length) return unary();
      var left = binary(level + 1), tok;
      while ((tok = peek()).kind === 'op' && LEVELS[level].indexOf(tok.value) >= 0) {
        i += 1;
        var type = level < LOGICAL_LEVELS ? 'logical' : 'compare';
        left = node({ type: type, op: tok.value, left: left, right: binary(level + 1) });
      }
      return left;
    }
    function unary() {
      if (!accept('!')) return postfix();
      enter();
      var expr = node({ type: 'not', operand: unary() });
      depth -= 1;
      return expr;
    }
    function postfix() {
      var expr = primary(), tok, key;
      for (;;) {
        tok = peek();
        if (accept('.')) {
          var name = tokens[i++];
          if (name.kind !== 'name') throw fail("expected a property name after '.'", name, found(name));
          key = node({ type: 'literal', value: name.value });
        } else if (accept('[')) {
          key = pipe();
          expect(']');
        } else if (tok.kind === 'op' && tok.value === '(') {
          throw fail('function calls are not supported', tok);
        } else {
          return expr;
        }
        var k = key.type === 'literal' ? typeof key.value : '';
        expr = expr.type === 'path' && (k === 'string' || k === 'number')
          ? node({ type: 'path', root: expr.root, keys: Object.freeze(expr.keys.concat([key.value])) })
          : node({ type: 'member', obj: expr, key: key });
      }
    }
    function primary() {
      var tok = tokens[i++];
      if (tok.kind === 'num' || tok.kind === 'str') return node({ type: 'literal', value: tok.value });
      if (tok.kind === 'name') {
        if (hasOwn.call(KEYWORDS, tok.value)) return node({ type: 'literal', value: KEYWORDS[tok.value] });
        return node({ type: 'path', root: tok.value, keys: Object.freeze([]) });
      }
      if (tok.kind === 'op' && tok.value === '[') return node({ type: 'array', items: items(']') });
      if (tok.kind !== 'op' || tok.value !== '(') throw fail('unexpected ' + describe(tok), tok);
      var expr = pipe();
      expect(')');
      return expr;
    }

    if (peek().kind === 'eof') throw syntaxError(source, 'empty expression', 0);
    var expr = pipe(), tok = peek();
    if (tok.kind !== 'eof') {
      throw fail('unexpected ' + describe(tok), tok,
        expr.type === 'filter' ? '; a filter applies to everything before it: use (x | f)' : '');
    }
    return expr;
  }

  var cache = new Map();

  // Parse one expression (the text between '<<' and '>>'); cached. Throws BindingError (syntax).
  function parse(source) {
    var expr = cache.get(source);
    if (expr) return expr;
    expr = parseTokens(source);
    if (cache.size >= 4096) cache.clear();
    cache.set(source, expr);
    return expr;
  }

  // --- values ------------------------------------------------------------------------

  // Values JS may hold but the language does not: undefined and functions read as null.
  function norm(v) { return v === undefined || typeof v === 'function' ? null : v; }

  function own(obj, key) { return hasOwn.call(obj, key) ? norm(obj[key]) : null; }

  function typeName(v) {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'array';
    return typeof v;
  }

  function get(obj, key) {
    if (obj === null) return null;
    if (typeof key === 'string') {
      if (Array.isArray(obj) || typeof obj === 'string') return key === 'length' ? obj.length : null;
      return typeof obj === 'object' ? own(obj, key) : null;
    }
    if (typeof key === 'number' && Array.isArray(obj) && key % 1 === 0 && key >= 0 && key < obj.length) {
      return norm(obj[key]);
    }
    return null;
  }

  // Strict deep equality: no coercion; arrays and objects compare by content.
  function equal(a, b) {
    a = norm(a); b = norm(b);
    if (a === b) return true;
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a)) {
      return a.length === b.length && a.every(function (item, i) { return equal(item, b[i]); });
    }
    var keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every(function (k) {
      return hasOwn.call(b, k) && equal(a[k], b[k]);
    });
  }

  function compare(op, a, b) {
    var t = typeof a;
    if (a === null || b === null || t !== typeof b || (t !== 'number' && t !== 'string')) {
      throw evalError('cannot compare ' + typeName(a) + ' with ' + typeName(b));
    }
    if (op === '<') return a < b;
    if (op === '>') return a > b;
    return op === '<=' ? a <= b : a >= b;
  }

  function toJson(v) { return JSON.stringify(norm(v)); }

  function toText(v) {
    v = norm(v);
    if (v === null) return '';
    return typeof v === 'object' ? toJson(v) : String(v);
  }

  // --- filters -----------------------------------------------------------------------

  function textFilter(name, fn) {
    return function (v) {
      if (v === null) return null;
      if (typeof v !== 'string') throw evalError(name + ' expects a string, got ' + typeName(v));
      return fn(v);
    };
  }

  function arrayFilter(name, fn) {
    return function (v, arg) {
      if (v === null) return null;
      if (!Array.isArray(v)) throw evalError(name + ' expects an array, got ' + typeName(v));
      return fn(v, arg);
    };
  }

  function toNumber(v) {
    if (v === null || typeof v === 'number') return v;
    if (typeof v !== 'string') throw evalError('cannot convert ' + typeName(v) + ' to a number');
    var text = v.trim();
    if (!text) return null;
    if (!NUMERIC.test(text)) throw evalError('cannot convert ' + toJson(v) + ' to a number');
    return Number(text);
  }

  function increment(digits) { // "129" -> "130", "99" -> "100"
    var i = digits.length - 1;
    while (i >= 0 && digits[i] === '9') i -= 1;
    var zeros = '0'.repeat(digits.length - 1 - i);
    return i < 0 ? '1' + zeros : digits.slice(0, i) + (+digits[i] + 1) + zeros;
  }

  // Round half away from zero on the shortest decimal form, as Python's Decimal ROUND_HALF_UP.
  function round(v, digits) {
    if (digits === undefined) digits = 0;
    if (typeof digits !== 'number' || digits % 1 !== 0 || digits < 0 || digits > 15) {
      throw evalError('round expects a whole number of digits from 0 to 15');
    }
    if (v === null) return null;
    if (typeof v !== 'number') throw evalError('round expects a number, got ' + typeName(v));
    if (!isFinite(v) || v % 1 === 0) return v;
    var m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(Math.abs(v)));
    var all = m[1] + (m[2] || ''); // |v| = all * 10^scale
    var scale = (m[3] ? parseInt(m[3], 10) : 0) - (m[2] || '').length;
    var drop = -digits - scale;
    if (drop <= 0) return v;
    var keep = drop >= all.length ? '0' : all.slice(0, all.length - drop);
    if (drop <= all.length && all[all.length - drop] >= '5') keep = increment(keep);
    var result = parseFloat(keep + 'e' + -digits);
    return v < 0 ? -result : result;
  }

  var FILTER_FUNCS = {
    upper: textFilter('upper', function (s) { return s.toUpperCase(); }),
    lower: textFilter('lower', function (s) { return s.toLowerCase(); }),
    trim: textFilter('trim', function (s) { return s.trim(); }),
    length: function (v) {
      if (v === null) return 0;
      if (typeof v === 'string' || Array.isArray(v)) return v.length;
      if (typeof v === 'object') return Object.keys(v).length;
      throw evalError('length expects a string, array or object, got ' + typeName(v));
    },
    string: toText,
    number: toNumber,
    json: toJson,
    default: function (v, fallback) { return v === null ? fallback : v; },
    join: arrayFilter('join', function (a, sep) {
      if (sep === undefined) sep = ',';
      if (typeof sep !== 'string') throw evalError('join expects a string separator, got ' + typeName(sep));
      return a.map(toText).join(sep);
    }),
    first: arrayFilter('first', function (a) { return a.length ? norm(a[0]) : null; }),
    last: arrayFilter('last', function (a) { return a.length ? norm(a[a.length - 1]) : null; }),
    round: round
  };

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
