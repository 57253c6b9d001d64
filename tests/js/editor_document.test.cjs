'use strict';
// The DOM-free core of the app editor (static/editor/): document operations, the undo/redo
// stack, YAML text patching that keeps comments and layout, and the open document that ties
// them together. The DOM parts (canvas, panels) are covered by tests/browser/ in Chromium.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const ROOT = path.join(__dirname, '..', '..');
const STATIC = path.join(ROOT, 'static');

// The vendored yaml bundle is an IIFE defining the global YAML (run in this realm, so the
// objects it builds compare equal to literals).
function loadYaml() {
  vm.runInThisContext(fs.readFileSync(path.join(STATIC, 'vendor', 'yaml', 'yaml.min.js'), 'utf8') +
    ';globalThis.YAML = YAML;');
  return globalThis.YAML;
}

const YAML = loadYaml();
const model = require(path.join(STATIC, 'editor', 'model.js'));
const { createHistory } = require(path.join(STATIC, 'editor', 'history.js'));
const yamltext = require(path.join(STATIC, 'editor', 'yamltext.js')).create(YAML);
const historyModule = require(path.join(STATIC, 'editor', 'history.js'));
const { createDocument } = require(path.join(STATIC, 'editor', 'document.js'))(yamltext, historyModule);

const FLAGSHIP = fs.readFileSync(path.join(ROOT, 'apps', 'order_shipping.yaml'), 'utf8');
const EMPTY = 'format: 1\napp: demo\ntitle: Demo\npages:\n  - name: main\n    widgets: []\n';

function clock() {
  let now = 1000;
  const fn = () => now;
  fn.advance = (ms) => { now += ms; };
  return fn;
}

function changedLines(a, b) {
  const x = a.split('\n'), y = b.split('\n');
  return { removed: x.filter((l, i) => l !== y[i]), added: y.filter((l, i) => l !== x[i]) };
}

// --- model ---------------------------------------------------------------------------------

test('widgets get free names, grid places that fit, and the input is never changed', () => {
  const doc = yamltext.parse(EMPTY).doc;
  const frozen = JSON.stringify(doc);
  const a = model.addWidget(doc, 0, 'table', [10, 0, 8, 8]);
  assert.equal(a.name, 'table1');
  assert.deepEqual(a.doc.pages[0].widgets[0], { name: 'table1', type: 'table', at: [4, 0, 8, 8] });
  const b = model.addWidget(a.doc, 0, 'table', [0, 8, 4, 1], { columns: [{ key: 'id' }] });
  assert.equal(b.name, 'table2');
  assert.equal(JSON.stringify(doc), frozen);
  assert.equal(model.uniqueName(b.doc, 'button'), 'button1');
  assert.equal(model.nameProblem(b.doc, 'table1'), "'table1' is already used in this app");
  assert.equal(model.nameProblem(b.doc, 'table1', 'table1'), '');
  assert.match(model.nameProblem(b.doc, '1x'), /letters, digits/);
  assert.match(model.nameProblem(b.doc, 'page'), /reserved/);
});

test('nudging moves and resizes inside the 12 columns', () => {
  let doc = model.addWidget(yamltext.parse(EMPTY).doc, 0, 'button', [0, 0, 2, 1]).doc;
  doc = model.nudge(doc, ['button1'], -1, -1);
  assert.deepEqual(doc.pages[0].widgets[0].at, [0, 0, 2, 1]);
  doc = model.nudge(doc, ['button1'], 20, 2);
  assert.deepEqual(doc.pages[0].widgets[0].at, [10, 2, 2, 1]);
  doc = model.nudge(doc, ['button1'], 0, 0, 5, 1);
  assert.deepEqual(doc.pages[0].widgets[0].at, [10, 2, 2, 2], 'cannot grow past the right edge');
});

test('renaming a widget rewrites bindings and action targets, not quoted text', () => {
  const doc = yamltext.parse(FLAGSHIP).doc;
  const renamed = model.renameWidget(doc, 'ordersTable', 'orders');
  const text = JSON.stringify(renamed);
  assert.ok(!text.includes('ordersTable'));
  assert.ok(text.includes('<<orders.selectedRow.address>>'));
  assert.ok(text.includes('<<!orders.selectedRow>>'));
  assert.equal(model.renameInText('<<a.b + "a.b" ?? ab.c>>', 'a', 'z'), '<<z.b + "a.b" ?? ab.c>>');
  const q = model.renameQuery(doc, 'updateOrder', 'saveOrder');
  assert.deepEqual(Object.keys(q.queries), ['getOrders', 'saveOrder']);
  const button = model.findWidget(q, 'updateButton').widget;
  assert.equal(button.onClick[0].run, 'saveOrder');
  assert.throws(() => model.renameWidget(doc, 'ordersTable', 'getOrders'), /already used/);
});

test('duplicate and paste give fresh names below the page and keep references among copies', () => {
  const doc = yamltext.parse(FLAGSHIP).doc;
  const dup = model.duplicate(doc, 'copyAddress');
  assert.equal(dup.name, 'copyAddress1');
  const copy = model.findWidget(dup.doc, 'copyAddress1').widget;
  assert.equal(copy.at[1], model.bottom(doc, 0));
  const pair = ['shippingCompany', 'updateButton'].map((n) => model.findWidget(doc, n).widget);
  pair[1] = { ...pair[1], label: '<<shippingCompany.value>>' };
  const pasted = model.pasteWidgets(doc, 0, pair);
  assert.deepEqual(pasted.names, ['shippingCompany1', 'updateButton1']);
  assert.equal(model.findWidget(pasted.doc, 'updateButton1').widget.label, '<<shippingCompany1.value>>');
  const removed = model.removeWidgets(pasted.doc, pasted.names);
  assert.deepEqual(removed, doc);
});

test('paste renames all at once: a copy taking another copy\'s old name does not chain', () => {
  const doc = { pages: [{ name: 'main', widgets: [{ name: 'input1', type: 'input', at: [0, 0, 4, 1] }] }] };
  const copies = [
    { name: 'input1', type: 'input', at: [0, 0, 4, 1] },
    { name: 'input2', type: 'input', at: [4, 0, 4, 1] },
    { name: 'text1', type: 'text', at: [0, 1, 4, 1], text: '<<input1.value>> / <<input2.value>>' },
  ];
  const pasted = model.pasteWidgets(doc, 0, copies);
  assert.deepEqual(pasted.names, ['input2', 'input3', 'text1']);
  assert.equal(model.findWidget(pasted.doc, 'text1').widget.text, '<<input2.value>> / <<input3.value>>');
});

test('renaming a query follows export actions too', () => {
  const doc = { pages: [{ name: 'main', widgets: [{ name: 'b', type: 'button', at: [0, 0, 2, 1],
    onClick: [{ export: 'getOrders', filename: 'orders.csv' }, { refresh: 'getOrders' }] }] }],
  queries: { getOrders: { datasource: 'shop', sql: 'SELECT 1' } } };
  const renamed = model.renameQuery(doc, 'getOrders', 'listOrders');
  assert.deepEqual(model.findWidget(renamed, 'b').widget.onClick,
    [{ export: 'listOrders', filename: 'orders.csv' }, { refresh: 'listOrders' }]);
});

test('queries: add, change, rename, remove', () => {
  let doc = yamltext.parse(EMPTY).doc;
  const added = model.addQuery(doc, 'getOrders', 'shop');
  assert.equal(added.name, 'getOrders1');
  doc = model.setQueryKey(added.doc, 'getOrders1', 'sql', 'SELECT * FROM orders');
  doc = model.setQueryKey(doc, 'getOrders1', 'runOnLoad', true);
  doc = model.setQueryKey(doc, 'getOrders1', 'runOnLoad', undefined);
  assert.deepEqual(doc.queries, { getOrders1: { datasource: 'shop', sql: 'SELECT * FROM orders' } });
  doc = model.renameQuery(doc, 'getOrders1', 'getOrders');
  assert.deepEqual(Object.keys(doc.queries), ['getOrders']);
  assert.equal(model.removeQuery(doc, 'getOrders').queries, undefined);
});

// --- history -------------------------------------------------------------------------------

test('undo and redo walk the stack; a new edit drops the redo branch', () => {
  const h = createHistory({ now: clock() });
  h.record('a', 0, 1);
  h.record('b', 1, 2);
  assert.deepEqual(h.undo(), { state: 1, label: 'b' });
  assert.deepEqual(h.undo(), { state: 0, label: 'a' });
  assert.equal(h.undo(), null);
  assert.deepEqual(h.redo(), { state: 1, label: 'a' });
  h.record('c', 1, 5);
  assert.equal(h.canRedo(), false);
  assert.deepEqual(h.undo(), { state: 1, label: 'c' });
});

test('edits with the same merge key in quick succession are one step', () => {
  const now = clock();
  const h = createHistory({ now, mergeMs: 1000 });
  h.record('type', 'a', 'ab', 'label');
  now.advance(300);
  h.record('type', 'ab', 'abc', 'label');
  now.advance(2000);
  h.record('type', 'abc', 'abcd', 'label');
  h.record('other', 'abcd', 'x', 'other');
  h.seal();
  h.record('other', 'x', 'y', 'other');
  assert.deepEqual(h.size(), { undo: 4, redo: 0 });
  h.undo(); h.undo(); h.undo();
  assert.deepEqual(h.undo(), { state: 'a', label: 'type' });
});

test('the stack keeps at most its limit', () => {
  const h = createHistory({ limit: 3 });
  for (let i = 0; i < 10; i++) h.record('e', i, i + 1);
  assert.equal(h.size().undo, 3);
});

// --- YAML text -----------------------------------------------------------------------------

test('a canvas edit changes only the lines it must; comments and styles stay', () => {
  const doc = yamltext.parse(FLAGSHIP).doc;
  const added = model.addWidget(doc, 0, 'button', [0, 12, 2, 1], { label: 'Go' });
  const text = yamltext.patch(FLAGSHIP, doc, added.doc);
  assert.equal(text, FLAGSHIP.replace('\nqueries:', '\n      - name: button1\n        type: button\n' +
    '        at: [0, 12, 2, 1]\n        label: Go\nqueries:'));
  assert.ok(text.includes('# A colleague saved this order first'));
  assert.deepEqual(yamltext.parse(text).doc, added.doc);

  const moved = model.setLayout(added.doc, { addressText: [8, 0, 4, 3] });
  const text2 = yamltext.patch(text, added.doc, moved);
  assert.deepEqual(changedLines(text, text2), { removed: ['        at: [8, 0, 4, 2]'],
    added: ['        at: [8, 0, 4, 3]'] });
  const removed = model.removeWidgets(moved, ['button1']);
  assert.equal(yamltext.patch(text2, moved, removed),
    FLAGSHIP.replace('at: [8, 0, 4, 2]', 'at: [8, 0, 4, 3]'));
});

test('new nodes follow the house style and YAML 1.1 keeps "yes" a string', () => {
  const text = yamltext.stringify({ format: 1, app: 'x', title: 'yes', pages: [{ name: 'main',
    widgets: [{ name: 't', type: 'table', at: [0, 0, 8, 8],
      columns: [{ key: 'id', label: '订单号' }, { key: 'c', labels: { SF: '顺丰' } }] }] }],
  queries: { q: { datasource: 'shop', sql: 'SELECT *\nFROM orders\n' } } });
  assert.equal(text, [
    'format: 1', 'app: x', 'title: "yes"', 'pages:', '  - name: main', '    widgets:',
    '      - name: t', '        type: table', '        at: [0, 0, 8, 8]', '        columns:',
    '          - {key: id, label: 订单号}', '          - {key: c, labels: {SF: 顺丰}}', 'queries:',
    '  q:', '    datasource: shop', '    sql: |', '      SELECT *', '      FROM orders', ''].join('\n'));
  assert.equal(yamltext.parse(text).doc.title, 'yes');
});

test('parse errors carry line and column; the document is null then', () => {
  const parsed = yamltext.parse('format: 1\npages:\n  - name: [x\n');
  assert.equal(parsed.doc, null);
  assert.ok(parsed.errors.length >= 1);
  assert.ok(parsed.errors[0].line >= 3, JSON.stringify(parsed.errors));
  const dup = yamltext.parse('a: 1\na: 2\n');
  assert.equal(dup.errors[0].line, 2);
  assert.match(dup.errors[0].message, /unique/i);
});

// --- the open document ---------------------------------------------------------------------

test('every edit is undoable, from the canvas or the YAML view, and the views agree', () => {
  const now = clock();
  const d = createDocument({ text: EMPTY, version: 1, now });
  const heard = [];
  d.subscribe((change) => heard.push(change.origin));
  d.edit('Add table', (doc) => {
    const r = model.addWidget(doc, 0, 'table', [0, 0, 8, 8]);
    return { doc: r.doc, select: [r.name] };
  });
  assert.deepEqual(d.selection, ['table1']);
  assert.ok(d.text.includes('- name: table1'));
  d.edit('Label', (doc) => model.setProp(doc, 'table1', 'pageSize', 5), 'table1.pageSize');
  d.setText(d.text.replace('pageSize: 5', 'pageSize: 50'));
  assert.equal(d.doc.pages[0].widgets[0].pageSize, 50);
  now.advance(5000); // a pause: typing again is a new step
  d.setText(d.text + 'queries: [\n');
  assert.equal(d.errors.length > 0, true);
  assert.equal(d.doc.pages[0].widgets[0].pageSize, 50, 'the last good document stays');
  assert.ok(d.dirty);
  assert.ok(d.undo());
  assert.equal(d.errors.length, 0);
  assert.ok(d.undo());
  assert.equal(d.doc.pages[0].widgets[0].pageSize, 5);
  assert.ok(d.undo());
  assert.ok(d.undo());
  assert.equal(d.text, EMPTY);
  assert.equal(d.dirty, false);
  assert.deepEqual(d.selection, []);
  assert.equal(d.undo(), false);
  assert.ok(d.redo());
  assert.deepEqual(d.selection, ['table1']);
  assert.deepEqual(heard, ['edit', 'edit', 'yaml', 'yaml', 'undo', 'undo', 'undo', 'undo', 'redo']);
});

test('an edit that changes nothing records nothing; saving resets dirty', () => {
  const d = createDocument({ text: EMPTY, version: 1 });
  assert.equal(d.edit('noop', (doc) => doc), false);
  assert.equal(d.canUndo(), false);
  d.edit('title', (doc) => ({ ...doc, title: 'New' }));
  assert.ok(d.dirty);
  d.saved(d.text, 2);
  assert.equal(d.dirty, false);
  assert.equal(d.version, 2);
  assert.ok(d.canUndo(), 'history survives a save');
});

test('typed values lose the quotes only an empty string needed; {} turns block only for nested values', () => {
  let doc = yamltext.parse(EMPTY).doc;
  doc = model.addWidget(doc, 0, 'select', [0, 0, 4, 1], { options: [{ value: 'a' }] }).doc;
  let text = yamltext.stringify(doc);
  const steps = [
    (d) => model.setProp(d, 'select1', 'label', ''),
    (d) => model.setProp(d, 'select1', 'label', '订单'),
    (d) => model.setProp(d, 'select1', 'options', [{}]),
    (d) => model.setProp(d, 'select1', 'options', [{ value: 'SF' }]),
    (d) => model.setProp(d, 'select1', 'options', [{ value: 'SF', label: '顺丰' }]),
  ];
  for (const step of steps) {
    const next = step(doc);
    text = yamltext.patch(text, doc, next);
    doc = next;
  }
  assert.ok(text.includes('        label: 订单\n'), text);
  assert.ok(text.includes('          - {value: SF, label: 顺丰}\n'), text);
});

test('a transaction query survives editing: steps kept, bindings renamed, steps.* untouched', () => {
  const source = [
    'format: 1', 'app: shop', 'pages:', '  - name: main', '    widgets:',
    '      - {name: sku, type: input, at: [0, 0, 4, 1]}',
    'queries:', '  createOrder:', '    datasource: shop', '    transaction:',
    '      # check and take the stock first',
    '      - sql: UPDATE products SET stock = stock - 1 WHERE sku = <<sku.value>> AND stock >= 1',
    '        expectRows: 1', '        message: 库存不足',
    '      - name: sku', "        sql: INSERT INTO orders (sku) VALUES (<<sku.value>>)",
    '      - sql: INSERT INTO history (order_id) VALUES (<<steps.sku.lastId>>)', ''].join('\n');
  const doc = yamltext.parse(source).doc;
  let next = model.renameWidget(doc, 'sku', 'skuInput');
  next = model.setQueryKey(next, 'createOrder', 'runOnLoad', true);
  const text = yamltext.patch(source, doc, next);
  assert.ok(text.includes('# check and take the stock first'));
  const steps = yamltext.parse(text).doc.queries.createOrder.transaction;
  assert.equal(steps.length, 3);
  assert.deepEqual(steps[0], { sql: 'UPDATE products SET stock = stock - 1 WHERE sku = <<skuInput.value>> AND stock >= 1',
    expectRows: 1, message: '库存不足' });
  assert.equal(steps[1].name, 'sku', 'a step name is not a widget name');
  assert.equal(steps[2].sql, 'INSERT INTO history (order_id) VALUES (<<steps.sku.lastId>>)');
});
