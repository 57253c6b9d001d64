"""The stat and chart widget types: apps using them validate, mistakes are reported where they
are, the documented examples are valid, and Chart.js is only asked for by pages with a chart."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml
from flask import Flask, render_template
from jsonschema import Draft202012Validator

import widgets
from builder import appspec
from builder.appspec.problems import Problem

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = widgets.build_registry()

BOARD = textwrap.dedent("""\
    format: 1
    app: board
    pages:
      - name: main
        widgets:
          - name: paidCount
            type: stat
            at: [0, 0, 3, 2]
            label: 待发货
            value: <<counts.data[0].n>>
            format: number
            suffix: " 单"
            tone: '<<counts.data[0].n > 100 ? "danger" : "good">>'
          - name: revenue
            type: stat
            at: [3, 0, 3, 2]
            label: 销售额
            format: currency
            currency: CNY
            decimals: 0
            value: <<counts.data[0].revenue>>
            trend: <<counts.data[0].change>>
            trendGood: up
            caption: 近 30 天
          - name: perDay
            type: chart
            at: [0, 2, 8, 6]
            title: 每日订单
            data: <<ordersPerDay.data>>
            x: day
            chartType: bar
            stacked: false
            series:
              - {key: orders, label: 订单数}
              - {key: revenue, label: 销售额, type: line, axis: right, color: "#16a34a"}
    queries:
      counts:
        datasource: shop
        runOnLoad: true
        sql: SELECT COUNT(*) AS n, SUM(amount) AS revenue, 0 AS change FROM orders
      ordersPerDay:
        datasource: shop
        runOnLoad: true
        sql: SELECT date(created_at) AS day, COUNT(*) AS orders, SUM(amount) AS revenue
             FROM orders GROUP BY day
      paidSince:
        datasource: shop
        sql: SELECT COUNT(*) FROM orders WHERE amount > <<paidCount.value>>
    """)


def check(text: str) -> list[Problem]:
    return appspec.check_text(text, "app.yaml", widgets=REGISTRY, datasource_names={"shop"})


def only(text: str) -> Problem:
    problems = check(text)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def edit(old: str, new: str) -> str:
    assert BOARD.count(old) == 1, old
    return BOARD.replace(old, new)


def test_an_app_with_stats_and_a_chart_validates() -> None:
    assert check(BOARD) == []
    Draft202012Validator(appspec.build_schema(REGISTRY)).validate(yaml.safe_load(BOARD))
    spec = appspec.load_app(BOARD, "app.yaml", widgets=REGISTRY, datasource_names={"shop"})
    assert spec.widget("perDay").props["series"][1]["axis"] == "right"
    # A stat's value is state: a query may read it, and it is sent to the server.
    assert spec.queries["paidSince"].refs == [("paidCount", "value")]


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    ("format: number", "format: money", "pages[0].widgets[0].format",
     "'money' is not one of number, currency, percent, text"),
    ("tone: '<<counts.data[0].n > 100 ? \"danger\" : \"good\">>'", "tone: red",
     "pages[0].widgets[0].tone",
     "'red' is not one of neutral, good, warning, danger (or a <<binding>>)"),
    ("currency: CNY", "currency: yuan", "pages[0].widgets[1].currency",
     "currency is a three-letter code such as CNY or USD"),
    ("decimals: 0", "decimals: 9", "pages[0].widgets[1].decimals",
     "9 is greater than the maximum of 6"),
    ("trendGood: up", "trendGood: better", "pages[0].widgets[1].trendGood",
     "'better' is not one of up, down"),
    ("chartType: bar", "chartType: scatter", "pages[0].widgets[2].chartType",
     "'scatter' is not one of bar, line, pie"),
    ("stacked: false", "stacked: <<paidCount.value>>", "pages[0].widgets[2].stacked",
     "expected boolean"),
    ("- {key: orders, label: 订单数}", "- {label: 订单数}", "pages[0].widgets[2].series[0].key",
     "missing required property 'key' in a chart's series[0]"),
    ("axis: right", "axis: middle", "pages[0].widgets[2].series[1].axis",
     "'middle' is not one of left, right"),
    ("type: line, axis", "type: pie, axis", "pages[0].widgets[2].series[1].type",
     "'pie' is not one of bar, line"),
    ('color: "#16a34a"', "color: green", "pages[0].widgets[2].series[1].color",
     "a colour is #rrggbb"),
    ("x: day", "x: <<paidCount.value>>", "pages[0].widgets[2].x",
     "'x' of a chart is not bindable"),
    ("data: <<ordersPerDay.data>>", "data: <<ordersPerDay.rows>>", "pages[0].widgets[2].data",
     "unknown query property 'rows' of ordersPerDay (a query has data, error"),
    ("label: 待发货", "label: <<revenue.valu>>", "pages[0].widgets[0].label",
     "unknown property 'valu' of revenue (a stat) — did you mean 'value'?"),
    ("<<paidCount.value>>\n", "<<perDay.data>>\n", "queries.paidSince.sql",
     "a query cannot read perDay.data: only widget state is sent to the server (a chart has: "
     "none)"),
])
def test_bad_values_are_reported_where_they_are(old: str, new: str, where: str,
                                                message: str) -> None:
    problem = only(edit(old, new))
    assert problem.path == where
    assert message in problem.message, problem.message
    line = next(i for i, text in enumerate(edit(old, new).splitlines(), 1) if new.strip() in text)
    assert problem.line == line


def test_an_empty_series_list_is_refused() -> None:
    text = re.sub(r"series:\n(\s+- .*\n)+", "series: []\n", BOARD)
    assert only(text).message == "[] should be non-empty"


def test_docs_examples_of_stat_and_chart_are_valid() -> None:
    docs = (ROOT / "docs" / "app-format.md").read_text(encoding="utf-8")
    items: list[dict] = []
    for name in ("stat", "chart"):
        section = docs.split(f"### {name} — ", 1)[1].split("\n### ", 1)[0]
        block = re.search(r"```yaml\n(.*?)```", section, re.S)
        assert block, name
        items += yaml.safe_load(block.group(1))
    doc = {"format": 1, "app": "docs", "pages": [{"name": "main", "widgets": items}],
           "queries": {name: {"datasource": "shop", "sql": "SELECT 1"}
                       for name in ("paidOrders", "revenueToday", "ordersPerDay")}}
    assert check(yaml.safe_dump(doc, allow_unicode=True)) == []


def test_chart_js_is_only_linked_for_apps_with_a_chart(app: Flask) -> None:
    chart_js = "vendor/chartjs/chart.umd.min.js"
    assert (ROOT / "static" / chart_js).is_file()
    public = {"title": "t", "slug": "t", "version": 1, "pages": [], "queries": {}}
    with app.test_request_context("/apps/t"):
        with_chart = render_template("runtime.html", app=public, widget_types=["chart", "stat"])
        without = render_template("runtime.html", app=public, widget_types=["stat", "table"])
    assert with_chart.count(f'src="/static/{chart_js}"') == 1
    assert with_chart.index(chart_js) < with_chart.index("/widgets/chart.js")
    assert "chartjs" not in without and "/widgets/stat.js" in without
