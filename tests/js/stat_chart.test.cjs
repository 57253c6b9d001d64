'use strict';
// The DOM-free parts of the stat and chart widgets (widgets/stat.js, widgets/chart.js): how a
// stat formats its number and trend, and the Chart.js config a chart builds from its props.
// Drawing itself is checked in real Chromium (tests/browser/test_browser_stat_chart.py).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const WIDGETS = path.join(__dirname, '..', '..', 'widgets');
const stat = require(path.join(WIDGETS, 'stat.js'));
const chart = require(path.join(WIDGETS, 'chart.js'));

const show = (value, props) => stat.formatValue(value, props || {}, 'zh-CN').text;

test('stat: numbers are grouped, up to 2 decimals unless decimals says otherwise', () => {
  assert.equal(show(1500), '1,500');
  assert.equal(show(1234.5678), '1,234.57');
  assert.equal(show('985'), '985'); // numeric text (a DECIMAL column) is a number
  assert.equal(show(' 12.50 '), '12.5');
  assert.equal(show(3, { decimals: 2 }), '3.00');
  assert.equal(show(985, { suffix: ' 单', prefix: '共 ' }), '共 985 单');
});

test('stat: currency, percent and text formats', () => {
  assert.equal(show(170855.1, { format: 'currency' }), '¥170,855.10');
  assert.equal(show(5, { format: 'currency', currency: 'USD', decimals: 0 }), 'US$5');
  assert.equal(show(12, { format: 'currency', currency: 'nope' }), '¥12.00');
  assert.equal(show(0.125, { format: 'percent' }), '12.5%');
  assert.equal(show(0.5, { format: 'percent', decimals: 2 }), '50.00%');
  assert.equal(show(1234, { format: 'text', suffix: '!' }), '1234!');
});

test('stat: empty and non-numeric values', () => {
  assert.deepEqual(stat.formatValue(null, {}), { text: '—', empty: true });
  assert.deepEqual(stat.formatValue('', {}), { text: '—', empty: true });
  assert.equal(show('n/a'), 'n/a');
  assert.equal(show('1,000'), '1,000'); // not parsed: shown as written
  assert.equal(show(0), '0');
  assert.equal(show(NaN), '—');
});

test('stat: trend arrows, and which way is good', () => {
  assert.deepEqual(stat.formatTrend(12, {}, 'zh-CN'), { text: '▲ 12', direction: 'up', good: true });
  assert.deepEqual(stat.formatTrend(-0.004, { format: 'percent', trendGood: 'down' }, 'zh-CN'),
    { text: '▼ 0.4%', direction: 'down', good: true });
  assert.equal(stat.formatTrend(-3, {}, 'zh-CN').good, false);
  assert.deepEqual(stat.formatTrend(0, {}, 'zh-CN'), { text: '– 0', direction: 'flat', good: null });
  assert.deepEqual(stat.formatTrend('持平', {}, 'zh-CN'), { text: '持平', direction: null, good: null });
  assert.equal(stat.formatTrend(null, {}), null);
  assert.equal(stat.toneOf('danger'), 'danger');
  assert.equal(stat.toneOf('purple'), 'neutral');
  assert.equal(stat.toneOf(null), 'neutral');
});

const ROWS = [
  { day: '2026-11-20', orders: 15, revenue: 1400.5, note: 'x' },
  { day: '2026-11-21', orders: 19, revenue: '2800.25', note: null },
  { day: '2026-11-22', orders: 2, revenue: null, note: 'y' },
];

test('chart: series on two axes, bar and line mixed', () => {
  const built = chart.buildConfig({
    data: ROWS, x: 'day',
    series: [{ key: 'orders', label: '订单数' }, { key: 'revenue', label: '销售额', type: 'line', axis: 'right' }],
  });
  const { type, data, options } = built.config;
  assert.equal(type, 'bar');
  assert.equal(built.points, 3);
  assert.deepEqual(data.labels, ['2026-11-20', '2026-11-21', '2026-11-22']);
  assert.deepEqual(data.datasets.map((d) => [d.label, d.type, d.yAxisID]),
    [['订单数', 'bar', 'y'], ['销售额', 'line', 'y1']]);
  assert.deepEqual(data.datasets[1].data, [1400.5, 2800.25, null]);
  assert.equal(options.scales.y.position, 'left');
  assert.equal(options.scales.y1.position, 'right');
  assert.deepEqual(options.scales.y1.grid, { drawOnChartArea: false });
  assert.deepEqual([options.scales.y.title.display, options.scales.y1.title.text], [true, '销售额']);
  assert.equal(options.plugins.legend.display, true);
  assert.equal(options.maintainAspectRatio, false);
});

test('chart: without x and series, the first column is x and numeric columns are series', () => {
  const built = chart.buildConfig({ data: ROWS, chartType: 'line' });
  assert.equal(built.config.type, 'line');
  assert.deepEqual(built.series.map((s) => s.key), ['orders', 'revenue']);
  assert.deepEqual(Object.keys(built.config.options.scales), ['x', 'y']);
  assert.equal(built.config.options.scales.y.title.display, false);
});

test('chart: stacked, colours, pie, and data that is not rows', () => {
  const stacked = chart.buildConfig({ data: ROWS, x: 'day', stacked: true,
    series: [{ key: 'orders', color: '#123456' }, { key: 'revenue' }] });
  assert.equal(stacked.config.options.scales.x.stacked, true);
  assert.equal(stacked.config.options.scales.y.stacked, true);
  assert.equal(stacked.config.data.datasets[0].borderColor, '#123456');
  assert.equal(stacked.config.data.datasets[1].borderColor, chart.PALETTE[1]);
  assert.equal(stacked.config.options.plugins.legend.display, true);

  const pie = chart.buildConfig({ data: ROWS, x: 'day', chartType: 'pie', series: [{ key: 'orders' }] });
  assert.equal(pie.config.type, 'pie');
  assert.deepEqual(pie.config.data.datasets[0].data, [15, 19, 2]);
  assert.equal(pie.config.data.datasets[0].backgroundColor.length, 3);

  for (const data of [null, 'oops', [1, 2], [null]]) {
    const empty = chart.buildConfig({ data });
    assert.equal(empty.points, 0);
    assert.deepEqual(empty.config.data.datasets, []);
  }
  const animate = chart.buildConfig({ data: ROWS }, { animate: false });
  assert.equal(animate.config.options.animation, false);
});
