'use strict';
// The editor's design-time scope (static/editor/scope.js): the live preview of a binding, the
// reasons a binding is underlined, and the names offered for completion — the validator's rules.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const STATIC = path.join(__dirname, '..', '..', 'static');
const bindings = require(path.join(STATIC, 'bindings.js'));
const runtimeScope = require(path.join(STATIC, 'runtime', 'scope.js'));
const { createDesignScope } = require(path.join(STATIC, 'editor', 'scope.js')).create(bindings, runtimeScope);

const WIDGETS = {
  table: { referenceable: ['columns', 'data', 'pageNumber', 'selectedRow', 'selectedRowIndex'],
    state: ['pageNumber', 'selectedRow', 'selectedRowIndex'] },
  input: { referenceable: ['label', 'placeholder', 'value'], state: ['value'] },
  text: { referenceable: ['label', 'text'], state: [] },
};
const QUERY_PROPERTIES = ['data', 'error', 'errorCode', 'isLoading', 'rowcount'];
const DOC = {
  format: 1, app: 'x', pages: [{ name: 'main', widgets: [
    { name: 'orders', type: 'table', at: [0, 0, 8, 8], data: '<<getOrders.data>>' },
    { name: 'note', type: 'input', at: [8, 0, 4, 1], value: '<<orders.selectedRow.address>>' },
    { name: 'count', type: 'text', at: [8, 1, 4, 1], text: 'Rows: <<getOrders.data.length>>' },
  ] }],
  queries: { getOrders: { datasource: 'shop', sql: 'SELECT * FROM orders' } },
};

const scope = createDesignScope({ widgets: WIDGETS, queryProperties: QUERY_PROPERTIES,
  user: { id: 1, email: 'a@b', roles: ['admin'] } });

test('bindings evaluate against query results and picked test rows, as the runtime would', () => {
  const rows = [{ id: 1, address: 'A' }, { id: 2, address: 'B' }];
  let snap = scope.snapshot(DOC, {}, {});
  assert.deepEqual(snap.evaluate('<<orders.selectedRow>>'), { ok: true, value: null });
  assert.deepEqual(snap.evaluate('Rows: <<getOrders.data.length>>'), { ok: true, value: 'Rows: ' });
  snap = scope.snapshot(DOC, { getOrders: { rows, columns: ['id', 'address'] } },
    { orders: { selectedRow: rows[1] } });
  assert.equal(snap.evaluate('<<getOrders.data.length>>').value, 2);
  assert.equal(snap.propsOf('count').text, 'Rows: 2');
  // An input's value follows its default binding until a test value is set.
  assert.equal(snap.scope.note.value, 'B');
  assert.equal(snap.evaluate('<<current_user.email>>').value, 'a@b');
  const failed = snap.evaluate('<<orders.selectedRow.id | upper>>');
  assert.equal(failed.ok, false);
  assert.match(failed.error, /upper|text/);
});

test('problems name what is wrong, with near misses', () => {
  const check = (text, inQuery) => scope.check(text, DOC, inQuery).map((p) => p.message);
  assert.deepEqual(check('<<orders.selectedRow.id>>', false), []);
  assert.deepEqual(check('<<order.selectedRow>>', false), ["no widget or query is named 'order' — did you mean 'orders'?"]);
  assert.deepEqual(check('<<orders.selectRow>>', false), ["a table has no 'selectRow' — did you mean 'selectedRow'?"]);
  assert.deepEqual(check('<<getOrders.dta>>', false), ["a query has no 'dta' — did you mean 'data'?"]);
  assert.match(check('<<orders.selectedRow', false)[0], /unterminated/);
  assert.match(check('<<orders.>>', false)[0], /cannot parse/);
  // In SQL: widget state and server names only.
  assert.deepEqual(check('WHERE id = <<orders.selectedRow.id>> AND u = <<current_user.id>>', true), []);
  assert.match(check('<<getOrders.data>>', true)[0], /a query cannot read getOrders/);
  assert.match(check('<<orders.data>>', true)[0], /a query must read a state property of orders/);
  const spans = scope.check('SELECT <<nope.value>>', DOC, true);
  assert.deepEqual([spans[0].from, spans[0].to], [7, 21]);
});

test('completion offers names, then their properties; queries see only state', () => {
  const labels = (inQuery) => scope.completions(DOC, inQuery).map((c) => c.label);
  const display = labels(false);
  assert.ok(display.includes('orders.selectedRow') && display.includes('getOrders.data'));
  assert.ok(display.includes('count') && display.includes('page.params'));
  const sql = labels(true);
  assert.ok(sql.includes('orders.selectedRow') && sql.includes('note.value') && sql.includes('current_user.id'));
  assert.ok(!sql.includes('getOrders') && !sql.includes('orders.data') && !sql.includes('count'));
});
