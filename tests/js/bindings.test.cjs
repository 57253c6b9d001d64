'use strict';
// static/bindings.js: the shared conformance cases and the public API (twin of tests/test_bindings.py).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const SOURCE = path.join(__dirname, '..', '..', 'static', 'bindings.js');
const B = require(SOURCE);
const { cases } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'bindings_cases.json'), 'utf8'));

// Conformance equality: numbers by value (0 and -0 alike), containers by content.
function same(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
    return same(ka, kb) && ka.every((k) => same(a[k], b[k]));
  }
  return a === b;
}

function run(c) {
  return 'template' in c ? B.render(c.template, c.state) : B.evaluate(c.expr, c.state);
}

test('conformance cases', async (t) => {
  const seen = {};
  for (const c of cases) {
    seen[c.group] = (seen[c.group] || 0);
    const name = `${c.group}-${seen[c.group]++}: ${c.expr !== undefined ? c.expr : c.template}`;
    await t.test(name, () => {
      if (!('error' in c)) {
        const result = run(c);
        assert.ok(same(result, c.expect), `got ${JSON.stringify(result)}, want ${JSON.stringify(c.expect)}`);
        return;
      }
      assert.throws(() => run(c), (e) => {
        assert.ok(e instanceof B.BindingError, String(e));
        assert.equal(e.kind, c.error);
        assert.ok(e.message.includes(c.message_contains || ''), e.message);
        if ('column' in c) assert.equal(e.column, c.column);
        return true;
      });
    });
  }
});

test('conformance file shape', () => {
  assert.ok(cases.length >= 120);
});

test('findBindings: positions, stripped sources, quoted >>, unterminated', () => {
  const text = 'Hi <<  user.name >>, you have << count >> items';
  assert.deepEqual(B.findBindings(text), [
    { start: 3, end: 19, source: 'user.name' }, { start: 30, end: 41, source: 'count' }]);
  assert.deepEqual(B.findBindings('no bindings, a > b >> c'), []);
  assert.deepEqual(B.findBindings('<<>>'), [{ start: 0, end: 4, source: '' }]);
  const quoted = "<< x == '>>' ? \"a\\\">>\" : 'b' >> tail";
  const [binding] = B.findBindings(quoted);
  assert.equal(binding.source, "x == '>>' ? \"a\\\">>\" : 'b'");
  assert.equal(quoted.slice(binding.end), ' tail');
  assert.equal(B.evaluate(binding.source, { x: '>>' }), 'a">>');
  assert.throws(() => B.findBindings('ok <<a>> then <<b'), (e) => {
    assert.equal(e.kind, 'syntax');
    assert.equal(e.column, 15);
    assert.match(e.message, /unterminated '<<'/);
    return true;
  });
  assert.throws(() => B.findBindings("<< 'never closed >>"), B.BindingError);
});

test('isSingleBinding', () => {
  const table = [['<<a>>', true], ['  <<a.b | upper>>\n', true], ['<<a>> ', true], ['x <<a>>', false],
    ['<<a>><<b>>', false], ['plain', false], ['', false], ['<<a', false]];
  for (const [text, single] of table) assert.equal(B.isSingleBinding(text), single, text);
});

test('references', () => {
  const table = [
    ['ordersTable.selectedRow.address', [['ordersTable', 'selectedRow', 'address']]],
    ['rows[0].id', [['rows', 0, 'id']]],
    ['row["收货地址"]', [['row', '收货地址']]],
    ['a.b[i].c', [['a', 'b'], ['i']]],
    ['lookup[sel.code].label', [['lookup'], ['sel', 'code']]],
    ['a.b ?? a.b | default(c.d)', [['a', 'b'], ['c', 'd']]],
    ['x ? y.z : !w', [['x'], ['y', 'z'], ['w']]],
    ['[a, b.c][0]', [['a'], ['b', 'c']]],
    ['(p).q', [['p', 'q']]],
    ['(p ?? r).q', [['p'], ['r']]],
    ["(t | join(sep)) == 'a'", [['t'], ['sep']]],
    ["1 == 'x'", []],
  ];
  for (const [source, expected] of table) {
    assert.deepEqual(B.references(source), expected, source);
    assert.deepEqual(B.references(B.parse(source)), expected, source);
  }
});

test('render', () => {
  const scope = { n: 3, user: { name: 'Ada' }, tags: ['a'], x: null, f: 0.5 };
  assert.equal(B.render('plain text', scope), 'plain text');
  assert.equal(B.render(' <<n>> ', scope), 3);
  assert.deepEqual(B.render('<<tags>>', scope), ['a']);
  assert.equal(B.render('<<x>>', scope), null);
  assert.equal(B.render('<<n>>/<<x>>/<<f>>/<<tags>>/<<user>>', scope), '3//0.5/["a"]/{"name":"Ada"}');
  assert.equal(B.render('<<n > 2>>!', scope), 'true!');
});

test('syntax error positions', () => {
  assert.throws(() => B.parse('rows[0'), (e) => {
    assert.ok(e instanceof Error && e instanceof B.BindingError);
    assert.equal(e.message, "expected ']' at column 7, found end of expression");
    assert.equal(e.column, 7);
    return true;
  });
  const table = [['a +', 3], ['  foo()', 6], ['x | uper', 5], ["'中文' | 收货", 8], ['a ? b', 6], ['(1', 3]];
  for (const [source, column] of table) {
    assert.throws(() => B.parse(source), (e) => e.kind === 'syntax' && e.column === column &&
      e.message.includes(`at column ${column}`), source);
  }
});

test('parse is cached; evaluate accepts an AST; JS-only values are null', () => {
  assert.equal(B.parse('a.b[0]'), B.parse('a.b[0]'));
  assert.equal(B.evaluate(B.parse('a.b[0]'), { a: { b: [7] } }), 7);
  assert.equal(B.evaluate('o.f', { o: { f() { return 1; } } }), null);
  assert.equal(B.evaluate('o.u', { o: { u: undefined } }), null);
  assert.equal(B.evaluate('o.x', { o: Object.create({ x: 'inherited' }) }), null);
  assert.equal(B.evaluate('toString', Object.create(null)), null);
  assert.equal(B.evaluate('a', undefined), null);
});

test('evaluate on a parsed path is fast', () => {
  const expr = B.parse('ordersTable.selectedRow.address');
  const scope = { ordersTable: { selectedRow: { address: 'x' } } };
  const start = process.hrtime.bigint();
  for (let i = 0; i < 100000; i++) B.evaluate(expr, scope);
  assert.ok(Number(process.hrtime.bigint() - start) / 100000 < 5000); // under 5 µs each
});

test('browser build defines window.ToolcribBindings and no module', () => {
  const context = vm.createContext({});
  context.self = context;
  // The page loads the parts first (builder/web/templates/runtime.html), then the public API.
  for (const part of ['parser.js', 'values.js']) {
    vm.runInContext(fs.readFileSync(path.join(path.dirname(SOURCE), 'bindings', part), 'utf8'), context);
  }
  vm.runInContext(fs.readFileSync(SOURCE, 'utf8'), context);
  assert.equal(typeof context.ToolcribBindings.evaluate, 'function');
  assert.equal(context.ToolcribBindings.render('<<a>>!', { a: 1 }), '1!');
});
