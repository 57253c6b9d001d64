/* The export action, the export request body and download client, and row-scoped evaluation. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const STATIC = path.join(__dirname, '..', '..', 'static');
const bindings = require(path.join(STATIC, 'bindings.js'));
const { createStore } = require(path.join(STATIC, 'runtime', 'store.js'));
const { createScopeBuilder } = require(path.join(STATIC, 'runtime', 'scope.js'));
const { createQueryClient, filenameOf } = require(path.join(STATIC, 'runtime', 'api.js'));
const { createQueries } = require(path.join(STATIC, 'runtime', 'queries.js'));
const { createActionRunner } = require(path.join(STATIC, 'runtime', 'actions.js'));

const t = (key) => key;

test('export action evaluates its query name and filename and calls exportQuery', async () => {
  const calls = [];
  const runner = createActionRunner({
    evaluate: (v) => (typeof v === 'string' ? v.replace('<<dates.start>>', '2024-05-01') : v),
    exportQuery: (name, options) => { calls.push([name, options]); return Promise.resolve(); },
    toast: () => {}, t,
  });
  const ok = await runner.runActions([{ export: 'getOrders', filename: 'o-<<dates.start>>.csv' }]);
  assert.equal(ok, true);
  assert.deepEqual(calls, [['getOrders', { format: 'csv', filename: 'o-2024-05-01.csv' }]]);
});

test('a failed export runs onError and stops the chain', async () => {
  const seen = [];
  const runner = createActionRunner({
    evaluate: (v) => v, t,
    exportQuery: () => Promise.reject(new Error('nope')),
    toast: (text) => seen.push(text),
  });
  const ok = await runner.runActions([{ export: 'q', onError: [{ toast: 'failed' }] }, { toast: 'after' }]);
  assert.equal(ok, false);
  assert.deepEqual(seen, ['failed']);
});

test('the export body carries the state and the last sort and filter, not the page', () => {
  const store = createStore();
  const specs = { dates: { name: 'dates', type: 'daterange', props: {} } };
  const app = { queries: { getOrders: { refs: [['dates', 'start']], paged: true } } };
  const snapshot = createScopeBuilder(specs, store, bindings, () => {});
  const sent = [];
  const queries = createQueries({
    app, store, snapshot, t, hasValue: () => false, reportInvalid: () => {},
    client: { run: (name, body) => { sent.push(body); return Promise.resolve({ rows: [] }); } },
  });
  store.setWidget('dates', { start: '2024-05-01', end: '2024-05-02' });
  assert.deepEqual(queries.exportBody('getOrders'), { state: { dates: { start: '2024-05-01' } } });
  const page = { size: 10, number: 3, sort: [{ column: 'amount', dir: 'desc' }],
    filter: [{ column: 'status', op: 'contains', value: 'paid' }] };
  return queries.execute('getOrders', page).then(() => {
    assert.deepEqual(queries.exportBody('getOrders').page, { sort: page.sort, filter: page.filter });
  });
});

test('download posts to the export URL and returns the blob and the server file name', async () => {
  const requests = [];
  const fetch = (url, init) => {
    requests.push([url, init]);
    return Promise.resolve({
      ok: true, status: 200,
      headers: { get: () => "attachment; filename=\"export.csv\"; filename*=UTF-8''%E8%AE%A2%E5%8D%95.csv" },
      blob: () => Promise.resolve('BLOB'),
    });
  };
  const client = createQueryClient({ runUrl: '/api/apps/a/queries/{name}/run', fetch, t,
    headers: () => ({ 'X-CSRF-Token': 'tok' }) });
  const file = await client.download('get Orders', { state: {} });
  assert.deepEqual(file, { blob: 'BLOB', filename: '订单.csv' });
  assert.equal(requests[0][0], '/api/apps/a/queries/get%20Orders/export');
  assert.equal(requests[0][1].headers['X-CSRF-Token'], 'tok');
  assert.equal(requests[0][1].method, 'POST');
});

test('a refused download rejects with the server message', async () => {
  const fetch = () => Promise.resolve({
    ok: false, status: 400, text: () => Promise.resolve('{"error":{"message":"bad date","code":"bad_input"}}'),
  });
  const client = createQueryClient({ runUrl: '/x/{name}/run', fetch, t });
  await assert.rejects(client.download('q', {}), { message: 'bad date', code: 'bad_input' });
});

test('filenameOf prefers filename* and falls back to filename', () => {
  assert.equal(filenameOf('attachment; filename="a.csv"'), 'a.csv');
  assert.equal(filenameOf(null), null);
});

test('rowStyles stay raw in props and scopeWith adds row beside the app scope', () => {
  const store = createStore();
  const specs = {
    t: { name: 't', type: 'table', props: { rowStyles: [{ when: '<<row.n > limit.value>>', tone: 'danger' }] } },
    limit: { name: 'limit', type: 'input', props: {} },
  };
  store.setWidget('limit', { value: 5 });
  const snap = createScopeBuilder(specs, store, bindings, () => {})();
  assert.equal(snap.propsOf('t').rowStyles[0].when, '<<row.n > limit.value>>');
  assert.equal(bindings.render('<<row.n > limit.value>>', snap.scopeWith({ row: { n: 7 } })), true);
  assert.equal(bindings.render('<<row.n > limit.value>>', snap.scopeWith({ row: { n: 3 } })), false);
});
