/* Toolcrib <<...>> binding language, part 1 of 3: errors, tokenizer, AST, parser.
 * The twin of builder/_binding_parser.py; the public API is static/bindings.js, which loads this.
 * Plain ES2017, no dependencies, no eval.
 * Browser: window.ToolcribBindingParts.parser (private); Node: module.exports.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else (root.ToolcribBindingParts = root.ToolcribBindingParts || {}).parser = factory();
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
  // Uncached: static/bindings.js parse() caches. Throws BindingError (syntax).
  function parseExpression(source) {
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

  return {
    BindingError: BindingError, FILTERS: FILTERS, column: column, tokenize: tokenize,
    parseExpression: parseExpression
  };
});
