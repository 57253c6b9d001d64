'use strict';
// The DOM-free parts of the browser runtime (static/runtime/*.js): store, scope, values that
// follow their default, field checks, the HTTP client, queries and the action runner.
// The DOM parts (widgets, toasts, layout) are covered by tests/browser/ in real Chromium.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const STATIC = path.join(__dirname, '..', '..', 'static');
const bindings = require(path.join(STATIC, 'bindings.js'));
const util = require(path.join(STATIC, 'runtime', 'util.js'));
const { createStore } = require(path.join(STATIC, 'runtime', 'store.js'));
const { createScopeBuilder } = require(path.join(STATIC, 'runtime', 'scope.js'));
const { createFollower } = require(path.join(STATIC, 'runtime', 'follow.js'));
const { validateField, invalidFields } = require(path.join(STATIC, 'runtime', 'validate.js'));
const { createQueryClient } = require(path.join(STATIC, 'runtime', 'api.js'));
const { createQueries } = require(path.join(STATIC, 'runtime', 'queries.js'));
const { createActionRunner } = require(path.join(STATIC, 'runtime', 'actions.js'));

const t = util.translator('en');
const zh = util.translator('zh-CN');
const tick = () => new Promise((resolve) => setImmediate(resolve));

// The flagship app's widgets, reduced to what the runtime reads.
function flagshipSpecs() {
  return {
    ordersTable: { name: 'ordersTable', type: 'table', props: { data: '<<getOrders.data>>', rowKey: 'id' } },
    addressText: { name: 'addressText', type: 'text', props: { text: '<<ordersTable.selectedRow.address>>' } },
    shippingCompany: { name: 'shippingCompany', type: 'select',
      props: { label: '快递公司', required: true, value: '<<ordersTable.selectedRow.shipping_company>>' } },
    shippingNumberInput: { name: 'shippingNumberInput', type: 'input',
      props: { label: '快递单号', required: true, maxLength: 8,
        value: '<<ordersTable.selectedRow.shipping_tracking_number>>' } },
    updateButton: { name: 'updateButton', type: 'button',
      props: { label: 'Update <<ordersTable.selectedRow.id>>', disabled: '<<!ordersTable.selectedRow>>',
        onClick: [{ run: 'updateOrder' }] } },
  };
}

const FIELDS = ['shippingCompany', 'shippingNumberInput'];
const ROW_A = { id: 1, address: 'A road', shipping_company: null, shipping_tracking_number: null, version: 1 };
const ROW_B = { id: 2, address: 'B road', shipping_company: null, shipping_tracking_number: null, version: 3 };

function world() {
  const specs = flagshipSpecs();
  const store = createStore((fn) => fn()); // listeners run at once: simpler to follow in tests
  const warnings = [];
  const snapshot = createScopeBuilder(specs, store, bindings, (w, p, e) => warnings.push([w, p, e.message]));
  Object.keys(specs).forEach((name) => store.setWidget(name, {}));
  const follower = createFollower(bindings, FIELDS);
  const sync = () => follower.sync(snapshot, specs, store);
  sync();
  return { specs, store, snapshot, follower, sync, warnings };
}

// --- util ---------------------------------------------------------------------------------

test('safeUrl keeps http(s) and relative links, refuses script and data URLs', () => {
  const base = 'http://example.test/apps/x';
  assert.equal(util.safeUrl('/static/a.svg', base), 'http://example.test/static/a.svg');
  assert.equal(util.safeUrl('https://cdn.test/a.png', base), 'https://cdn.test/a.png');
  assert.equal(util.safeUrl('javascript:alert(1)', base), null);
  assert.equal(util.safeUrl(' JaVaScRiPt:alert(1)', base), null);
  assert.equal(util.safeUrl('data:text/html,<b>', base), null);
  assert.equal(util.safeUrl('', base), null);
  assert.equal(util.safeUrl(null, base), null);
});

test('isBlank and translator', () => {
  assert.ok(util.isBlank(null) && util.isBlank('  ') && util.isBlank([]) && util.isBlank(NaN));
  assert.ok(!util.isBlank(0) && !util.isBlank(false) && !util.isBlank('x'));
  assert.equal(zh('required', { label: '快递单号' }), '请填写快递单号');
  assert.equal(t('unreachable'), 'Cannot reach the server');
  assert.equal(zh('unreachable'), '无法连接服务器');
});

// --- store ------------------------------------------------------------------------------

test('store batches notifications and ignores patches that change nothing', async () => {
  const store = createStore();
  let calls = 0;
  store.subscribe(() => { calls += 1; });
  assert.equal(store.setWidget('w', { value: 1 }), true);
  store.setWidget('w', { value: 2 });
  store.setQuery('q', { isLoading: true });
  await tick();
  assert.equal(calls, 1);
  const before = store.widget('w');
  assert.equal(store.setWidget('w', { value: 2 }), false);
  await tick();
  assert.equal(calls, 1);
  assert.equal(store.widget('w'), before, 'an unchanged entry keeps its identity');
  assert.equal(store.query('q').error, null, 'query state starts from the empty shape');
});

// --- scope ------------------------------------------------------------------------------

test('props are evaluated against widget state and other widgets', () => {
  const w = world();
  w.store.setWidget('ordersTable', { selectedRow: ROW_A });
  const snap = w.snapshot();
  assert.equal(snap.propsOf('addressText').text, 'A road');
  assert.equal(snap.propsOf('updateButton').disabled, false);
  assert.equal(snap.propsOf('updateButton').label, 'Update 1');
  assert.deepEqual(snap.propsOf('updateButton').onClick, [{ run: 'updateOrder' }], 'event props stay raw');
  assert.equal(snap.scope.updateButton.label, 'Update 1', 'widgets read each other');
  w.store.setWidget('ordersTable', { selectedRow: null });
  assert.equal(w.snapshot().propsOf('updateButton').disabled, true);
  assert.equal(w.snapshot().propsOf('addressText').text, null);
});

test('a binding that throws gives null and one warning, the rest still evaluates', () => {
  const w = world();
  w.specs.addressText.props.text = '<<ordersTable.selectedRow.address | round>>';
  w.store.setWidget('ordersTable', { selectedRow: ROW_A });
  const props = w.snapshot().propsOf('addressText');
  assert.equal(props.text, null);
  assert.equal(w.warnings.length, 1);
  assert.deepEqual(w.warnings[0].slice(0, 2), ['addressText', 'text']);
});

test('a cycle between widget props reads literal props instead of looping', () => {
  const specs = {
    a: { name: 'a', type: 'text', props: { text: '<<b.text>>', label: 'A' } },
    b: { name: 'b', type: 'text', props: { text: '<<a.text>>', label: '<<a.label>>' } },
  };
  const store = createStore((fn) => fn());
  const snap = createScopeBuilder(specs, store, bindings, () => {})();
  assert.equal(snap.propsOf('b').label, 'A');
  assert.equal(snap.propsOf('a').text, null);
});

// --- values that follow their default --------------------------------------------------------

test('a field value follows its default until the user edits it', () => {
  const w = world();
  assert.equal(w.store.widget('shippingCompany').value, null);
  w.store.setWidget('ordersTable', { selectedRow: { ...ROW_A, shipping_company: 'SF' } });
  w.sync();
  assert.equal(w.store.widget('shippingCompany').value, 'SF');
  w.store.setWidget('shippingCompany', { value: 'YTO' }); // the user picks another courier
  w.store.setWidget('addressText', { something: 1 }); // unrelated change
  w.sync();
  assert.equal(w.store.widget('shippingCompany').value, 'YTO');
});

test('selecting another row resets the field even when both rows hold the same value', () => {
  const w = world();
  w.store.setWidget('ordersTable', { selectedRow: ROW_A });
  w.sync();
  w.store.setWidget('shippingNumberInput', { value: 'typed for A' });
  w.store.setWidget('ordersTable', { selectedRow: ROW_B }); // also null
  assert.deepEqual(w.sync(), ['shippingCompany', 'shippingNumberInput']);
  assert.equal(w.store.widget('shippingNumberInput').value, null);
});

test('fresh data for the same row (after an update) resets to the saved values', () => {
  const w = world();
  w.store.setWidget('ordersTable', { selectedRow: ROW_A });
  w.sync();
  w.store.setWidget('shippingNumberInput', { value: 'YT1' });
  w.store.setWidget('ordersTable', { selectedRow: { ...ROW_A, shipping_tracking_number: 'YT1', version: 2 } });
  w.sync();
  assert.equal(w.store.widget('shippingNumberInput').value, 'YT1');
});

// --- validate ------------------------------------------------------------------------------

test('validateField: required, maxLength, pattern', () => {
  assert.equal(validateField('n', { label: 'No', required: true }, '  ', t), 'No is required');
  assert.equal(validateField('n', { required: true }, null, t), 'n is required');
  assert.equal(validateField('n', { label: 'No', maxLength: 3 }, 'abcd', t), 'No may be at most 3 characters');
  assert.equal(validateField('n', { label: 'No', pattern: '[A-Z]+' }, 'ABc', t), 'No is not in the expected format');
  assert.equal(validateField('n', { label: 'No', pattern: '[A-Z]+' }, 'ABC', t), null);
  assert.equal(validateField('n', { label: 'No', pattern: '(' }, 'x', t), null, 'a broken pattern never blocks');
  assert.equal(validateField('n', { label: 'No' }, '', t), null);
});

test('invalidFields looks only at the value of form fields among the refs', () => {
  const w = world();
  const refs = [['shippingCompany', 'value'], ['shippingNumberInput', 'value'], ['ordersTable', 'selectedRow']];
  const problems = invalidFields(refs, (n) => FIELDS.includes(n), w.snapshot().propsOf, w.store.widget, zh);
  assert.deepEqual(problems.map((p) => [p.widget, p.message]),
    [['shippingCompany', '请填写快递公司'], ['shippingNumberInput', '请填写快递单号']]);
});

// --- api ---------------------------------------------------------------------------------------

function fakeFetch(respond) {
  const calls = [];
  const fetch = (url, init) => {
    calls.push({ url, init, body: JSON.parse(init.body) });
    return respond(url, init);
  };
  return { fetch, calls };
}

function answer(status, body) {
  return Promise.resolve({ ok: status >= 200 && status < 300, status,
    text: () => Promise.resolve(typeof body === 'string' ? body : JSON.stringify(body)) });
}

const RUN_URL = '/api/apps/demo/queries/{name}/run';

test('client: a result is normalised, the headers and body are the contract', async () => {
  const { fetch, calls } = fakeFetch(() => answer(200, {
    rows: [{ id: 1 }], columns: ['id'], rowcount: 1, total: 1, has_more: false, truncated: false, duration_ms: 2.5 }));
  const client = createQueryClient({ runUrl: RUN_URL, fetch, t });
  const result = await client.run('get Orders', { state: {} });
  assert.deepEqual(result, { rows: [{ id: 1 }], columns: ['id'], rowcount: 1, total: 1, hasMore: false,
    truncated: false, durationMs: 2.5 });
  assert.equal(calls[0].url, '/api/apps/demo/queries/get%20Orders/run');
  assert.equal(calls[0].init.method, 'POST');
  assert.equal(calls[0].init.headers['Content-Type'], 'application/json');
  assert.equal(calls[0].init.headers.Accept, 'application/json');
  assert.equal(calls[0].init.headers['X-Requested-With'], 'toolcrib');
});

test('client: server errors, bad answers and network failures have readable messages', async () => {
  const cases = [
    [() => answer(409, { error: { message: 'changed by someone else', code: 'row_count_mismatch' } }),
      'changed by someone else', 'row_count_mismatch'],
    [() => answer(500, '<html>Internal Server Error</html>'), 'The request failed (HTTP 500)', 'http_500'],
    [() => answer(200, 'not json'), 'The server sent an answer that could not be read', 'bad_response'],
    [() => Promise.reject(new TypeError('Failed to fetch')), 'Cannot reach the server', 'network'],
  ];
  for (const [respond, message, code] of cases) {
    const client = createQueryClient({ runUrl: RUN_URL, fetch: fakeFetch(respond).fetch, t });
    await assert.rejects(client.run('q', { state: {} }), (err) => {
      assert.equal(err.message, message);
      assert.equal(err.code, code);
      return true;
    });
  }
});

// --- queries -------------------------------------------------------------------------------

const APP = {
  runUrl: RUN_URL,
  queries: {
    getOrders: { runOnLoad: true, paged: true, refs: [] },
    updateOrder: { runOnLoad: false, paged: false, expectRows: 1,
      refs: [['shippingCompany', 'value'], ['shippingNumberInput', 'value'], ['ordersTable', 'selectedRow']] },
    stats: { runOnLoad: true, paged: false, refs: [['ordersTable', 'selectedRow']] },
  },
};

function queriesWorld(respond) {
  const w = world();
  const net = fakeFetch(respond || (() => answer(200, { rows: [], columns: [], rowcount: 1 })));
  const reported = [];
  const queries = createQueries({
    app: APP, store: w.store, client: createQueryClient({ runUrl: RUN_URL, fetch: net.fetch, t: zh }),
    snapshot: w.snapshot, hasValue: (n) => FIELDS.includes(n), reportInvalid: (p) => reported.push(p), t: zh,
  });
  return { ...w, queries, net, reported };
}

test('a run sends only the refs of the query', async () => {
  const q = queriesWorld();
  q.store.setWidget('ordersTable', { selectedRow: ROW_A, pageNumber: 3 });
  q.store.setWidget('shippingCompany', { value: 'YTO' });
  q.store.setWidget('shippingNumberInput', { value: 'YT1' });
  await q.queries.trigger('updateOrder', 'run', { validate: true });
  assert.deepEqual(q.net.calls[0].body, { rowFormat: 'arrays', state: {
    shippingCompany: { value: 'YTO' }, shippingNumberInput: { value: 'YT1' }, ordersTable: { selectedRow: ROW_A },
  } });
  assert.equal(q.store.query('updateOrder').rowcount, 1);
  assert.equal(q.store.query('updateOrder').isLoading, false);
});

test('an empty required field blocks the run: nothing is sent', async () => {
  const q = queriesWorld();
  q.store.setWidget('ordersTable', { selectedRow: ROW_A });
  q.store.setWidget('shippingCompany', { value: 'YTO' });
  await assert.rejects(q.queries.trigger('updateOrder', 'run', { validate: true }),
    (err) => err.name === 'ValidationBlocked');
  assert.equal(q.net.calls.length, 0);
  assert.deepEqual(q.reported[0].map((p) => p.message), ['请填写快递单号']);
});

test('a failed run keeps the server message in the query state', async () => {
  const q = queriesWorld(() => answer(409, { error: { message: '已被他人修改', code: 'row_count_mismatch' } }));
  await assert.rejects(q.queries.execute('updateOrder', null));
  assert.equal(q.store.query('updateOrder').error, '已被他人修改');
  assert.equal(q.store.query('updateOrder').errorCode, 'row_count_mismatch');
});

test('rows answered as lists become objects keyed by the columns', async () => {
  const q = queriesWorld(() => answer(200, {
    columns: ['id', 'address'], rows: [[1, 'A road'], [2, null]], total: 2,
  }));
  await q.queries.execute('stats', null);
  assert.deepEqual(q.store.query('stats').data, [{ id: 1, address: 'A road' }, { id: 2, address: null }]);
  assert.deepEqual(q.store.query('stats').columns, ['id', 'address']);
});

test('only the latest answer of a query lands in the store', async () => {
  const pending = [];
  const q = queriesWorld(() => new Promise((resolve) => pending.push(resolve)));
  const first = q.queries.execute('stats', null);
  const second = q.queries.execute('stats', null);
  pending[1](answer(200, { rows: [{ n: 'new' }] }));
  await second;
  pending[0](answer(200, { rows: [{ n: 'old' }] }));
  await first;
  assert.deepEqual(q.store.query('stats').data, [{ n: 'new' }]);
});

test('a paged query goes through its table; refresh repeats the last page otherwise', async () => {
  const q = queriesWorld();
  const modes = [];
  const release = q.queries.drive('getOrders', { reload: (mode) => { modes.push(mode); return Promise.resolve(); } });
  await q.queries.trigger('getOrders', 'refresh');
  await q.queries.trigger('getOrders', 'run');
  assert.deepEqual(modes, ['refresh', 'run']);
  assert.equal(q.net.calls.length, 0);
  release();
  const page = { size: 20, number: 3, sort: [{ column: 'id', dir: 'desc' }] };
  await q.queries.execute('getOrders', page);
  await q.queries.trigger('getOrders', 'refresh');
  assert.deepEqual(q.net.calls[1].body.page, page);
  await q.queries.trigger('getOrders', 'run');
  assert.equal(q.net.calls[2].body.page.number, 1);
});

test('a driven refresh fails when the table load failed', async () => {
  const q = queriesWorld();
  q.queries.drive('getOrders', { reload: () => {
    q.store.setQuery('getOrders', { error: 'timeout', errorCode: 'timeout' });
    return Promise.resolve();
  } });
  await assert.rejects(q.queries.trigger('getOrders', 'refresh'), /timeout/);
});

test('runOnLoad runs the queries no table drives, and survives failures', async () => {
  const q = queriesWorld(() => Promise.reject(new Error('offline')));
  const warn = console.warn;
  console.warn = () => {};
  try {
    await q.queries.runOnLoad();
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(q.net.calls.map((c) => c.url), ['/api/apps/demo/queries/stats/run']);
  assert.equal(q.store.query('stats').error, '无法连接服务器');
});

// --- actions -------------------------------------------------------------------------------

function runnerWorld(overrides) {
  const w = world();
  const log = [];
  const deps = {
    evaluate: (value) => w.snapshot().evaluate(value),
    queries: { trigger: (name, mode) => { log.push(`${mode} ${name}`); return Promise.resolve(); } },
    toast: (text, kind) => log.push(`toast ${kind} ${text}`),
    copyText: (text) => { log.push(`copy ${text}`); return Promise.resolve(); },
    navigate: (page) => log.push(`navigate ${page}`),
    openUrl: (url) => log.push(`open ${url}`),
    setProperty: (widget, prop, value) => w.store.setWidget(widget, { [prop]: value }),
    resetWidgets: (names) => log.push(`reset ${names.join(',')}`),
    t,
    ...overrides,
  };
  return { ...w, log, runner: createActionRunner(deps) };
}

test('actions run in order with onSuccess', async () => {
  const r = runnerWorld();
  r.store.setWidget('ordersTable', { selectedRow: ROW_A });
  const ok = await r.runner.runActions([
    { run: 'updateOrder', onSuccess: [{ refresh: 'getOrders' }, { toast: 'saved <<ordersTable.selectedRow.id>>', kind: 'success' }] },
    { copy: '<<ordersTable.selectedRow.address>>' },
    { set: 'shippingNumberInput.value', to: 'X<<ordersTable.selectedRow.id>>' },
    { reset: ['shippingCompany'] },
    { navigate: 'other' },
    { open: '/help' },
  ]);
  assert.equal(ok, true);
  assert.deepEqual(r.log, ['run updateOrder', 'refresh getOrders', 'toast success saved 1', 'copy A road',
    'reset shippingCompany', 'navigate other', 'open /help']);
  assert.equal(r.store.widget('shippingNumberInput').value, 'X1');
});

test('a failure runs onError with the fresh error, and stops the chain', async () => {
  const r = runnerWorld({
    queries: { trigger: () => {
      r.store.setQuery('updateOrder', { error: 'conflict!' });
      return Promise.reject(new Error('conflict!'));
    } },
  });
  const ok = await r.runner.runActions([
    { run: 'updateOrder', onSuccess: [{ toast: 'saved' }], onError: [{ toast: '<<updateOrder.error>>', kind: 'error' }] },
    { toast: 'never shown' },
  ]);
  assert.equal(ok, false);
  assert.deepEqual(r.log, ['toast error conflict!']);
});

test('a failure without onError is shown as an error toast', async () => {
  const r = runnerWorld();
  const warn = console.warn;
  console.warn = () => {};
  try {
    assert.equal(await r.runner.runActions([{ copy: '<<ordersTable.selectedRow.address>>' }, { toast: 'copied' }]), false);
    assert.equal(await r.runner.runActions([{ bogus: 1 }]), false);
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(r.log, ['toast error Nothing to copy', 'toast error Unknown action']);
});

test('a run blocked by an empty field runs neither onSuccess nor onError', async () => {
  const blocked = Object.assign(new Error('请填写快递单号'), { name: 'ValidationBlocked' });
  const r = runnerWorld({ queries: { trigger: () => Promise.reject(blocked) } });
  const ok = await r.runner.runActions([{ run: 'updateOrder', onSuccess: [{ toast: 'ok' }], onError: [{ toast: 'err' }] }]);
  assert.equal(ok, false);
  assert.deepEqual(r.log, []);
});

test('a page turn reuses the total; a refresh, a new sort or new inputs count again', async () => {
  const q = queriesWorld((url, init) => answer(200, { rows: [], columns: [],
    total: JSON.parse(init.body).page.total === false ? null : 985, has_more: true }));
  const page = (number, extra) => ({ size: 20, number, sort: [{ column: 'id', dir: 'desc' }], ...extra });
  const asked = () => q.net.calls.map((c) => c.body.page.total !== false);
  let result = await q.queries.execute('getOrders', page(1));
  assert.equal(result.total, 985);
  result = await q.queries.execute('getOrders', page(2));   // page turn: no count, total kept
  assert.equal(result.total, 985);
  assert.equal(q.net.calls[1].body.page.totalHint, 985);   // the server may count past the middle
  assert.equal(q.store.query('getOrders').total, 985);
  await q.queries.trigger('getOrders', 'refresh');           // same page again: count
  await q.queries.execute('getOrders', page(3, { sort: [{ column: 'id', dir: 'asc' }] }));
  await q.queries.execute('getOrders', page(4, { filter: [{ column: 'id', op: '>', value: 1 }] }));
  assert.deepEqual(asked(), [true, false, true, true, true]);
});

test('table dates: wall-clock text as people read it, anything else as it is', () => {
  const f = util.formatDate;
  assert.equal(f('2026-11-22T09:00:00', true), '2026-11-22 09:00');
  assert.equal(f('2026-11-22 09:05:07.123456', true), '2026-11-22 09:05');
  assert.equal(f('2026-11-22T09:00:00', false), '2026-11-22');
  assert.equal(f('2026-11-22', true), '2026-11-22');
  assert.equal(f('2026-11-22T09:00:00+08:00', true), '2026-11-22 09:00 +08:00');
  assert.equal(f('2026-11-22T01:00:00Z', true), '2026-11-22 01:00 UTC');
  assert.equal(f('not a date', true), 'not a date');
  assert.equal(f(null, true), '');
});
