/* Toolcrib <<...>> binding language, part 2 of 3: values (key access, equality, comparison,
 * text and JSON forms, number conversion, rounding) and the filters.
 * The twin of builder/_binding_values.py; the public API is static/bindings.js, which loads this.
 * Plain ES2017, no dependencies, no eval.
 * Browser: window.ToolcribBindingParts.values (private; load static/bindings/parser.js first);
 * Node: module.exports.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) {
    module.exports = factory(require('./parser.js'));
  } else {
    var parts = root.ToolcribBindingParts = root.ToolcribBindingParts || {};
    if (!parts.parser) throw new Error('Toolcrib: load static/bindings/parser.js before values.js');
    parts.values = factory(parts.parser);
  }
})(typeof self !== 'undefined' ? self : this, function (parser) {
  'use strict';

  var hasOwn = Object.prototype.hasOwnProperty;
  var BindingError = parser.BindingError;
  var NUMERIC = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

  function evalError(message) { return new BindingError(message, 'eval'); }

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

  return {
    norm: norm, own: own, typeName: typeName, get: get, equal: equal, compare: compare,
    toJson: toJson, toText: toText, toNumber: toNumber, round: round, FILTER_FUNCS: FILTER_FUNCS
  };
});
