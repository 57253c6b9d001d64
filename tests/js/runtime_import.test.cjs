/* Import queries: the upload client (multipart, CSRF header, report of bad rows) and the
 * query store (a refusal's report becomes the query's data; no file = blocked). */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const STATIC = path.join(__dirname, '..', '..', 'static');
const { createStore } = require(path.join(STATIC, 'runtime', 'store.js'));
const { createQueryClient } = require(path.join(STATIC, 'runtime', 'api.js'));
const { createQueries } = require(path.join(STATIC, 'runtime', 'queries.js'));

const t = (key) => key;
const APP = { queries: { importOrders: { refs: [], import: { file: 'orderFile' } } } };

function answer(status, json) {
  return Promise.resolve({ ok: status < 400, status, text: () => Promise.resolve(JSON.stringify(json)) });
}

test('upload posts multipart to /import with the CSRF header', async () => {
  const seen = [];
  const client = createQueryClient({
    runUrl: '/api/apps/a/queries/{name}/run', t, headers: () => ({ 'X-CSRF-Token': 'tok' }),
    fetch: (url, init) => { seen.push([url, init]); return answer(200, { rows: [], rowcount: 3 }); },
  });
  const file = new Blob(['a,b\n'], { type: 'text/csv' });
  file.name = 'x.csv';
  const result = await client.upload('importOrders', file, { state: {} });
  assert.equal(result.rowcount, 3);
  const [url, init] = seen[0];
  assert.equal(url, '/api/apps/a/queries/importOrders/import');
  assert.equal(init.headers['X-CSRF-Token'], 'tok');
  assert.equal(init.headers['Content-Type'], undefined); // the browser sets the boundary
  assert.ok(init.body instanceof FormData);
  assert.equal(init.body.get('body'), '{"state":{}}');
});

test('a refusal sets the report as data and the error; success clears both', async () => {
  const store = createStore((cb) => cb());
  const problems = [{ line: 3, column: '客户', reason: 'required' }];
  let next = answer(422, { error: { message: 'bad rows', code: 'invalid_rows' }, problems });
  const client = createQueryClient({ runUrl: '/r/{name}/run', t, fetch: () => next });
  const queries = createQueries({
    app: APP, store, client, t, snapshot: () => ({ scope: {} }), hasValue: () => false,
    reportInvalid: () => {}, fileOf: () => new File(['x'], 'f.csv'),
  });
  await assert.rejects(queries.execute('importOrders'), /bad rows/);
  const failed = store.query('importOrders');
  assert.deepEqual([failed.error, failed.errorCode, failed.report], ['bad rows', 'invalid_rows', true]);
  assert.deepEqual(failed.data, problems);
  next = answer(200, { rows: [], rowcount: 2 });
  await queries.execute('importOrders');
  const done = store.query('importOrders');
  assert.deepEqual([done.error, done.rowcount, done.data], [null, 2, []]);
});

test('no file chosen: the run is blocked and nothing is sent', async () => {
  const reported = [];
  let sent = 0;
  const queries = createQueries({
    app: APP, store: createStore((cb) => cb()), t, snapshot: () => ({ scope: {} }),
    client: { upload: () => { sent += 1; return answer(200, {}); } }, hasValue: () => false,
    reportInvalid: (p) => reported.push(p), fileOf: () => null,
  });
  await assert.rejects(queries.execute('importOrders'), (err) => err.name === 'ValidationBlocked');
  assert.equal(sent, 0);
  assert.deepEqual(reported, [[{ widget: 'orderFile', message: 'fileMissing' }]]);
});
