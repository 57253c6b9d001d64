'use strict';
// Multi-page apps in the browser runtime: URLs of pages with params, typed params, which
// runOnLoad queries a page runs, what a query reading <<page.params.id>> sends, navigate.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const STATIC = path.join(__dirname, '..', '..', 'static');
const pages = require(path.join(STATIC, 'runtime', 'pages.js'));
const util = require(path.join(STATIC, 'runtime', 'util.js'));
const bindings = require(path.join(STATIC, 'bindings.js'));
const { createStore } = require(path.join(STATIC, 'runtime', 'store.js'));
const { createScopeBuilder } = require(path.join(STATIC, 'runtime', 'scope.js'));
const { createQueries } = require(path.join(STATIC, 'runtime', 'queries.js'));
const { createActionRunner } = require(path.join(STATIC, 'runtime', 'actions.js'));

const t = util.translator('en');

function app(extra) {
  return {
    slug: 'orders',
    baseUrl: '/apps/orders',
    pages: [
      { name: 'list', title: 'List', params: {}, widgets: [
        { name: 'ordersTable', type: 'table', props: { data: '<<getOrders.data>>' } },
        { name: 'count', type: 'text', props: { text: '<<stats.data[0].n>>' } },
      ] },
      { name: 'detail', title: 'Detail', params: { id: { type: 'integer', required: true },
        tab: { type: 'string', required: false } }, widgets: [
        { name: 'title', type: 'text', props: { text: 'Order <<page.params.id>>' } },
        { name: 'who', type: 'text', props: { text: '<<getOrder.data[0].customer_name>>' } },
      ] },
    ],
    queries: {
      getOrders: { runOnLoad: true, paged: true, refs: [], pageParams: [] },
      stats: { runOnLoad: true, refs: [], pageParams: [] },
      getOrder: { runOnLoad: true, refs: [], pageParams: ['id'] },
      lookups: { runOnLoad: true, refs: [], pageParams: [] },
      manual: { runOnLoad: false, refs: [], pageParams: [] },
    },
    ...extra,
  };
}

test('page URLs: the first page at the base, the others below it, params in the query', () => {
  const a = app();
  assert.equal(pages.urlFor(a, 'list', {}), '/apps/orders');
  assert.equal(pages.urlFor(a, 'detail', { id: '42' }), '/apps/orders/detail?id=42');
  assert.equal(pages.urlFor(a, 'detail', { id: '4 2', tab: '付款' }),
    '/apps/orders/detail?id=4%202&tab=%E4%BB%98%E6%AC%BE');
  assert.equal(pages.urlFor(a, 'list', { status: 'paid' }), '/apps/orders/list?status=paid');
  // Without a base URL (the editor's preview): the hash.
  assert.equal(pages.urlFor(app({ baseUrl: undefined }), 'detail', { id: '7' }), '#detail?id=7');
});

test('a location names its page and param texts', () => {
  const a = app();
  const at = (pathname, search, hash) => {
    const where = pages.fromLocation(a, { pathname, search: search || '', hash: hash || '' });
    return [where.page.name, where.texts];
  };
  assert.deepEqual(at('/apps/orders'), ['list', {}]);
  assert.deepEqual(at('/apps/orders/'), ['list', {}]);
  assert.deepEqual(at('/apps/orders/detail', '?id=42&tab=a%20b'), ['detail', { id: '42', tab: 'a b' }]);
  assert.deepEqual(at('/apps/orders/unknown'), ['list', {}]);
  assert.deepEqual(at('/apps/orders', '', '#detail'), ['detail', {}]); // an old "#page" link
  const preview = app({ baseUrl: undefined });
  assert.deepEqual([pages.fromLocation(preview, { pathname: '/editor/x/preview', search: '',
    hash: '#detail?id=9' }).page.name], ['detail']);
  assert.deepEqual(pages.fromLocation(preview, { pathname: '/', search: '', hash: '#detail?id=9' }).texts,
    { id: '9' });
});

test('URL texts become the declared types; problems for missing and unreadable ones', () => {
  const detail = app().pages[1];
  assert.deepEqual(pages.typedParams(detail, { id: '42', extra: 'x' }),
    { params: { extra: 'x', id: 42, tab: null }, problems: [] });
  assert.deepEqual(pages.typedParams(detail, {}).problems,
    [{ param: 'id', kind: 'missing', type: 'integer' }]);
  const bad = pages.typedParams(detail, { id: '4x' });
  assert.equal(bad.params.id, '4x'); // sent as text: the server refuses it with a message
  assert.deepEqual(bad.problems, [{ param: 'id', kind: 'invalid', type: 'integer' }]);
  const typed = pages.typedParams({ params: { n: { type: 'number' }, b: { type: 'boolean' },
    d: { type: 'date' } } }, { n: '2.5', b: 'false', d: '2026-01-31' });
  assert.deepEqual(typed.params, { n: 2.5, b: false, d: '2026-01-31' });
  // navigate's values go through the same texts as a reload
  assert.deepEqual(pages.textsOf({ id: 42, none: null, empty: '' }), { id: '42' });
});

test('a page runs the runOnLoad queries its widgets read; app-level ones on the first page', () => {
  const a = app();
  const readsOf = (w) => Object.values(w.props).flatMap((v) => (bindings.findBindings(v) || [])
    .flatMap((b) => bindings.references(b.source || b).map((r) => String(r[0]))))
    .filter((n) => n in a.queries);
  assert.deepEqual(pages.loadQueries(a, a.pages[0], readsOf, true), ['stats', 'lookups']);
  assert.deepEqual(pages.loadQueries(a, a.pages[0], readsOf, false), ['stats']);
  assert.deepEqual(pages.loadQueries(a, a.pages[1], readsOf, true), ['getOrder', 'lookups']);
  assert.deepEqual(pages.loadQueries(a, a.pages[1], readsOf, false), ['getOrder']);
});

test('tabs leave out pages that need a parameter, unless shown', () => {
  const a = app();
  assert.deepEqual(pages.tabPages(a, 'list').map((p) => p.name), ['list']);
  assert.deepEqual(pages.tabPages(a, 'detail').map((p) => p.name), ['list', 'detail']);
});

test('a query reading page params sends state.page = {name, params} with only those', async () => {
  const a = app();
  const store = createStore((fn) => fn());
  const specs = {};
  a.pages.forEach((p) => p.widgets.forEach((w) => { specs[w.name] = w; }));
  const snapshot = createScopeBuilder(specs, store, bindings, () => {});
  const bodies = [];
  const client = { run: (name, body) => { bodies.push([name, body]); return Promise.resolve({ rows: [] }); } };
  const queries = createQueries({ app: a, store, client, snapshot, hasValue: () => false,
    reportInvalid: () => {}, t });
  store.setPage({ name: 'detail', title: 'Detail', params: { id: 42, tab: 'pay' } });
  assert.equal(snapshot().propsOf('title').text, 'Order 42');
  await queries.runOnLoad(['getOrder', 'stats']);
  assert.deepEqual(Object.fromEntries(bodies), {
    stats: { state: {} },
    getOrder: { state: { page: { name: 'detail', params: { id: 42 } } } },
  });
});

test('navigate passes its evaluated params', async () => {
  const store = createStore((fn) => fn());
  store.setWidget('ordersTable', { selectedRow: { id: 7 } });
  const snapshot = createScopeBuilder({ ordersTable: { name: 'ordersTable', props: {} } }, store,
    bindings, () => {});
  const calls = [];
  const runner = createActionRunner({
    evaluate: (value) => snapshot().evaluate(value),
    navigate: (page, params) => calls.push([page, params]),
    toast: () => {}, t,
  });
  assert.equal(await runner.runActions([{ navigate: 'detail', params: { id: '<<ordersTable.selectedRow.id>>' } },
    { navigate: 'list' }]), true);
  assert.deepEqual(calls, [['detail', { id: 7 }], ['list', {}]]);
});
