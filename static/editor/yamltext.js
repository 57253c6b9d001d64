/* Toolcrib editor: the app's YAML text, read and changed without losing what a person wrote.
 *
 * The text is the document: the canvas and the property panel change it by computing the new
 * document (model.js) and applying only the difference to the parsed YAML (yaml's Document API),
 * so comments, key order and the layout of untouched parts stay as they were and a save diffs
 * cleanly. YAML 1.1 rules, as the server's loader (PyYAML) reads them: `yes` stays a string.
 * New nodes follow the house style of apps/*.yaml: `at: [x, y, w, h]` and other lists of plain
 * values in flow style, table columns and select options as `{key: ..., label: ...}`.
 * Browser: ToolcribEditor.yamltext (needs the vendored YAML global); Node: module.exports.create(YAML).
 */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) module.exports = { create: factory };
  else (root.ToolcribEditor = root.ToolcribEditor || {}).yamltext = factory(root.YAML);
})(typeof self !== "undefined" ? self : this, function (YAML) {
  "use strict";

  var PARSE = { version: "1.1", prettyErrors: true, uniqueKeys: true, merge: false };
  var PRINT = { lineWidth: 0, minContentWidth: 0, flowCollectionPadding: false, blockQuote: true,
    indentSeq: true };
  var FLOW_MAP_PARENTS = ["columns", "options"];
  var FLOW_MAP_KEYS = ["defaultSort", "labels"];

  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  function equal(a, b) {
    if (a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    var ka = Object.keys(a), kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    for (var i = 0; i < ka.length; i++) {
      if (ka[i] !== kb[i] || !equal(a[ka[i]], b[kb[i]])) return false;
    }
    return true;
  }

  function position(lineCounter, offset) {
    var pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  }

  /** {doc, errors: [{line, col, message}]}; doc is null when the text has errors. */
  function parse(text) {
    var lineCounter = new YAML.LineCounter();
    var ydoc = YAML.parseDocument(text, Object.assign({ lineCounter: lineCounter }, PARSE));
    var errors = ydoc.errors.map(function (err) {
      var where = err.linePos && err.linePos[0] ? err.linePos[0]
        : position(lineCounter, (err.pos && err.pos[0]) || 0);
      var message = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
      return { line: where.line, col: where.col, message: message };
    });
    if (errors.length) return { doc: null, errors: errors };
    var doc;
    try {
      doc = ydoc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      return { doc: null, errors: [{ line: 1, col: 1, message: String(err.message || err) }] };
    }
    return { doc: doc === undefined ? null : doc, errors: [] };
  }

  /** Flow style for new nodes that read best on one line. */
  function style(node, parentKey, grandKey) {
    if (YAML.isSeq(node)) {
      var scalars = node.items.every(function (item) { return YAML.isScalar(item); });
      if (scalars && node.items.length) node.flow = true;
      node.items.forEach(function (item) { style(item, null, parentKey); });
    } else if (YAML.isMap(node)) {
      var flat = node.items.every(function (pair) { return YAML.isScalar(pair.value) || flowish(pair.value); });
      if ((FLOW_MAP_PARENTS.indexOf(grandKey) >= 0 && flat) || FLOW_MAP_KEYS.indexOf(parentKey) >= 0) {
        node.flow = true;
      }
      node.items.forEach(function (pair) {
        var key = YAML.isScalar(pair.key) ? pair.key.value : pair.key;
        style(pair.value, key, parentKey);
      });
    }
    return node;
  }

  function flowish(node) { return YAML.isMap(node) && node.items.every(function (p) { return YAML.isScalar(p.value); }); }

  function makeNode(ydoc, value, path) {
    var node = ydoc.createNode(value);
    var key = path[path.length - 1], parent = path[path.length - 2];
    return style(node, typeof key === "string" ? key : null, typeof parent === "string" ? parent : null);
  }

  /** Is ``small`` what is left of ``big`` after removing some items (in order)? The kept
   * indexes of ``big``, or null. */
  function keptIndexes(big, small) {
    var kept = [], j = 0;
    for (var i = 0; i < big.length && j < small.length; i++) {
      if (equal(big[i], small[j])) { kept.push(i); j++; }
    }
    return j === small.length ? kept : null;
  }

  function applyDiff(ydoc, path, a, b) {
    if (equal(a, b)) return;
    var node = path.length ? ydoc.getIn(path, true) : ydoc.contents;
    if (isObject(a) && isObject(b) && YAML.isMap(node)) {
      // An empty `{}` that gets nested lists or objects turns into a block.
      if (!Object.keys(a).length && node.flow && Object.keys(b).some(function (k) { return b[k] !== null && typeof b[k] === "object"; })) {
        node.flow = false;
      }
      Object.keys(a).forEach(function (k) { if (!(k in b)) ydoc.deleteIn(path.concat([k])); });
      Object.keys(b).forEach(function (k) {
        if (k in a) applyDiff(ydoc, path.concat([k]), a[k], b[k]);
        else ydoc.setIn(path.concat([k]), makeNode(ydoc, b[k], path.concat([k])));
      });
      return;
    }
    var seq = node;
    if (Array.isArray(a) && Array.isArray(b) && YAML.isSeq(seq)) {
      if (a.length === b.length) {
        a.forEach(function (item, i) { applyDiff(ydoc, path.concat([i]), item, b[i]); });
        return;
      }
      var kept = b.length < a.length ? keptIndexes(a, b) : null;
      if (kept) {
        for (var i = a.length - 1; i >= 0; i--) if (kept.indexOf(i) < 0) seq.items.splice(i, 1);
        return;
      }
      var added = b.length > a.length ? keptIndexes(b, a) : null;
      if (added) {
        // An empty `[]` that gets objects (widgets: [] plus a first widget) turns into a block.
        if (!a.length && seq.flow && b.some(function (item) { return item !== null && typeof item === "object"; })) {
          seq.flow = false;
        }
        b.forEach(function (item, k) {
          if (added.indexOf(k) < 0) seq.items.splice(k, 0, makeNode(ydoc, item, path.concat([k])));
        });
        return;
      }
    }
    if (!path.length) {
      ydoc.contents = makeNode(ydoc, b, path);
      return;
    }
    var existing = node;
    if (YAML.isScalar(existing) && (b === null || typeof b !== "object") && typeof existing.value === typeof b
        && !(typeof b === "string" && b.indexOf("\n") >= 0 && existing.type === "PLAIN")) {
      // Keep the scalar's quoting and any comment on it; an empty string's quotes were only
      // there because it was empty.
      if (existing.value === "") existing.type = undefined;
      existing.value = b;
      return;
    }
    ydoc.setIn(path, makeNode(ydoc, b, path));
  }

  /** A fresh text for ``doc`` in the house style. */
  function stringify(doc) {
    var ydoc = new YAML.Document(null, { version: "1.1" });
    ydoc.contents = makeNode(ydoc, doc, []);
    return ydoc.toString(PRINT);
  }

  /** ``text`` changed from ``before`` to ``after`` (both plain documents), touching only what
   * differs. When the text does not parse, a fresh text for ``after``. */
  function patch(text, before, after) {
    if (equal(before, after)) return text;
    var ydoc = YAML.parseDocument(text, PARSE);
    if (ydoc.errors.length || !equal(ydoc.toJS(), before)) return stringify(after);
    applyDiff(ydoc, [], before, after);
    return ydoc.toString(PRINT);
  }

  return { parse: parse, patch: patch, stringify: stringify, equal: equal };
});
