"""Stat and chart widgets in real headless Chromium, on the demo shop database.

A small dashboard app (defined here, published into the live server's instance for the demo
operator) has stat cards bound to COUNT/SUM queries, a bar+line chart of orders and revenue per
day on two axes, and a pie of orders per status. The test reads what a person sees — the numbers
on the cards, the points Chart.js drew, the colour of a card whose tone is bound to a threshold
the user types — and compares it with the database. Chart.js must load on this page only.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from builder.security.grants import grant
from builder.security.users import find_user
from builder.store import apps as app_records
from tests.auth_helpers import DEMO_ADMIN_PASSWORD, DEMO_OPERATOR_PASSWORD
from tests.browser.editor_page import EditorPage
from tests.browser.signin import sign_in

pytestmark = pytest.mark.browser

SLUG = "stat-chart-test"
DAYS = 14
APP = textwrap.dedent(f"""\
    format: 1
    app: {SLUG}
    title: 订单看板
    pages:
      - name: board
        title: 概览
        widgets:
          - name: totalStat
            type: stat
            at: [0, 0, 3, 2]
            label: 订单总数
            value: <<summary.data[0].total>>
            trend: <<summary.data[0].latest_day>>
            caption: 全部状态（▲ 最后一天新增）
          - name: paidStat
            type: stat
            at: [3, 0, 3, 2]
            label: 待发货
            value: <<summary.data[0].paid>>
            suffix: " 单"
            tone: >-
              <<(summary.data[0].paid ?? 0) > ((threshold.value | number) ?? 0)
                ? "danger" : "good">>
            caption: 超过 <<threshold.value>> 单变红
          - name: revenueStat
            type: stat
            at: [6, 0, 3, 2]
            label: 销售额
            format: currency
            value: <<summary.data[0].revenue>>
          - name: cancelStat
            type: stat
            at: [9, 0, 3, 2]
            label: 取消率
            format: percent
            value: <<summary.data[0].cancel_rate>>
            trend: -0.004
            trendGood: down
            tone: warning
          - name: ordersChart
            type: chart
            at: [0, 2, 8, 6]
            title: 最近 {DAYS} 天订单与销售额
            data: <<ordersPerDay.data>>
            x: day
            series:
              - {{key: orders, label: 订单数}}
              - {{key: revenue, label: 销售额, type: line, axis: right}}
          - name: statusPie
            type: chart
            at: [8, 2, 4, 6]
            title: 订单状态
            chartType: pie
            data: <<byStatus.data>>
            x: status
          - name: threshold
            type: input
            at: [0, 8, 4, 1]
            label: 待发货阈值
            inputType: number
            value: 1000000
          - name: paidText
            type: text
            at: [4, 8, 8, 1]
            text: 待发货 <<paidStat.value>> 单（读取 stat 的 value）
    queries:
      summary:
        datasource: shop
        runOnLoad: true
        sql: |
          SELECT COUNT(*) AS total,
                 SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END) AS paid,
                 SUM(amount) AS revenue,
                 1.0 * SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) / COUNT(*)
                   AS cancel_rate,
                 SUM(CASE WHEN date(created_at) = (SELECT date(MAX(created_at)) FROM orders)
                     THEN 1 ELSE 0 END) AS latest_day
          FROM orders
      ordersPerDay:
        datasource: shop
        runOnLoad: true
        sql: |
          SELECT date(created_at) AS day, COUNT(*) AS orders, SUM(amount) AS revenue
          FROM orders
          WHERE date(created_at) > (SELECT date(MAX(created_at), '-{DAYS} days') FROM orders)
          GROUP BY date(created_at) ORDER BY day
      byStatus:
        datasource: shop
        runOnLoad: true
        sql: SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status
    """)

# Records every CSP violation the page reports, before any page script runs.
CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def board(live_server: Any) -> Iterator[str]:
    """The app published in the demo instance and granted to the operator; unpublished after."""
    tc = live_server.app.extensions["toolcrib"]
    with tc.store.session() as session:
        version = app_records.save_version(session, slug=SLUG, title="订单看板", source=APP)
        app_records.publish(session, version)
        record = session.get(app_records.AppRecord, version.app_id)
        operator = find_user(session, "ops")
        assert record is not None and operator is not None
        grant(session, record, user_id=operator.id)
        app_id = record.id
    yield f"/apps/{SLUG}"
    with tc.store.session() as session:
        record = session.get(app_records.AppRecord, app_id)
        assert record is not None
        record.published_version_id = None


def shop_facts(shop_url: str) -> dict[str, Any]:
    """What the database holds, computed in Python rather than with the app's SQL."""
    engine = create_engine(shop_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, amount, created_at FROM orders")).all()
    engine.dispose()

    def day_of(value: Any) -> date:
        return (value if isinstance(value, datetime) else datetime.fromisoformat(str(value))).date()

    last = max(day_of(r.created_at) for r in rows)
    per_day: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for r in rows:
        day = day_of(r.created_at)
        if day > last - timedelta(days=DAYS):
            per_day[day.isoformat()][0] += 1
            per_day[day.isoformat()][1] += float(r.amount)
    statuses = Counter(r.status for r in rows)
    revenue = sum(Decimal(str(r.amount)) for r in rows).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {"total": len(rows), "paid": statuses["paid"], "revenue_total": revenue,
            "statuses": dict(sorted(statuses.items())),
            "days": sorted(per_day), "orders": [per_day[d][0] for d in sorted(per_day)],
            "revenue": [per_day[d][1] for d in sorted(per_day)]}


def is_favicon(location: dict[str, Any]) -> bool:
    """The browser asks for /favicon.ico on its own; Toolcrib has none (a 404 in the console)."""
    return str(location.get("url", "")).endswith("/favicon.ico")


def chart_info(page: Page, widget: str) -> dict[str, Any]:
    """What Chart.js holds for the chart widget's canvas, and how much of it is painted."""
    return page.evaluate("""(name) => {
      const canvas = document.querySelector(`[data-widget="${name}"] canvas`);
      const chart = Chart.getChart(canvas);
      const ctx = canvas.getContext('2d');
      const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
      return {
        type: chart.config.type, labels: chart.data.labels,
        datasets: chart.data.datasets.map((d, i) => ({label: d.label,
          type: d.type || chart.config.type, axis: d.yAxisID, data: d.data,
          drawn: chart.getDatasetMeta(i).data.length})),
        rightAxis: chart.scales.y1 ? chart.scales.y1.position : null,
        width: canvas.clientWidth, height: canvas.clientHeight, painted: painted,
      };
    }""", widget)


def test_stats_and_charts_show_what_the_database_holds(page: Page, live_server: Any, board: str,
                                                       artifacts: Path) -> None:
    facts = shop_facts(live_server.shop_url)
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text} ({m.location})")
            if m.type in ("error", "warning") and not is_favicon(m.location) else None)
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.add_init_script(CSP_WATCH)

    sign_in(page, live_server.url, "ops", DEMO_OPERATOR_PASSWORD, board)
    total = page.locator('[data-widget="totalStat"]')
    paid = page.locator('[data-widget="paidStat"]')

    # The cards show the database's counts, formatted for a person.
    expect(total.locator(".tc-stat__value")).to_have_text(f"{facts['total']:,}")
    expect(total.locator(".tc-stat__label")).to_have_text("订单总数")
    expect(total.locator(".tc-stat__caption")).to_have_text("全部状态（▲ 最后一天新增）")
    expect(total.locator(".tc-stat__trend")).to_have_text(f"▲ {facts['orders'][-1]:,}")
    expect(total.locator(".tc-stat__trend")).to_have_class("tc-stat__trend is-good")
    expect(paid.locator(".tc-stat__value")).to_have_text(f"{facts['paid']:,} 单")
    expect(page.locator('[data-widget="revenueStat"] .tc-stat__value')).to_have_text(
        f"¥{facts['revenue_total']:,}")
    percent = (Decimal(facts["statuses"].get("cancelled", 0) * 100) / facts["total"]).quantize(
        Decimal("0.1"), ROUND_HALF_UP)
    expect(page.locator('[data-widget="cancelStat"] .tc-stat__value')).to_have_text(
        f"{percent.normalize():f}%")
    # A fall is good for cancellations (trendGood: down): green, not red.
    expect(page.locator('[data-widget="cancelStat"] .tc-stat__trend')).to_have_text("▼ 0.4%")
    expect(page.locator('[data-widget="cancelStat"] .tc-stat__trend')).to_have_class(
        "tc-stat__trend is-good")
    # A stat's value is state other widgets (and queries) may read.
    expect(page.locator('[data-widget="paidText"]')).to_contain_text(f"待发货 {facts['paid']} 单")

    # The bar+line chart: one label per day, one bar and one point per day, revenue on the right.
    page.wait_for_function("""() => {
      const c = document.querySelector('[data-widget="ordersChart"] canvas');
      const chart = c && window.Chart && Chart.getChart(c);
      return chart && chart.data.labels.length > 0 && !chart.animating;
    }""")
    info = chart_info(page, "ordersChart")
    assert info["type"] == "bar"
    assert info["labels"] == facts["days"] and len(facts["days"]) >= DAYS - 1
    orders, revenue = info["datasets"]
    assert (orders["label"], orders["type"], orders["axis"]) == ("订单数", "bar", "y")
    assert (revenue["label"], revenue["type"], revenue["axis"]) == ("销售额", "line", "y1")
    assert orders["data"] == facts["orders"] and orders["drawn"] == len(facts["days"])
    assert revenue["data"] == pytest.approx(facts["revenue"], rel=1e-9)
    assert revenue["drawn"] == len(facts["days"])
    assert info["rightAxis"] == "right"
    assert info["width"] > 500 and info["height"] > 200
    assert info["painted"] > 5000, "the chart canvas is blank"
    expect(page.locator('[data-widget="ordersChart"] .tc-chart__title')).to_have_text(
        f"最近 {DAYS} 天订单与销售额")

    pie = chart_info(page, "statusPie")
    assert pie["type"] == "pie"
    assert pie["labels"] == list(facts["statuses"])
    assert pie["datasets"][0]["data"] == list(facts["statuses"].values())
    assert pie["painted"] > 2000

    # The tone is a binding: under the threshold the card is green, over it red.
    expect(paid).to_have_attribute("data-tone", "good")
    green = paid.evaluate("el => getComputedStyle(el).backgroundColor")
    page.screenshot(path=str(artifacts / "stat-chart-1-good.png"), animations="disabled")
    page.get_by_role("spinbutton", name="待发货阈值").fill("10")
    expect(paid).to_have_attribute("data-tone", "danger")
    expect(paid.locator(".tc-stat__caption")).to_have_text("超过 10 单变红")
    assert paid.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(254, 242, 242)"
    assert green == "rgb(240, 253, 244)"
    assert paid.locator(".tc-stat__value").evaluate("el => getComputedStyle(el).color") == \
        "rgb(185, 28, 28)"
    page.screenshot(path="/tmp/shots_stat_chart.png", animations="disabled")
    page.screenshot(path=str(artifacts / "stat-chart-2-danger.png"), animations="disabled")

    assert any(url.endswith("/static/vendor/chartjs/chart.umd.min.js") for url in scripts)
    assert page.evaluate("window.__csp") == []
    assert problems == []


def test_chart_js_loads_only_on_pages_with_a_chart(page: Page, live_server: Any,
                                                   board: str) -> None:
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    sign_in(page, live_server.url, "ops", DEMO_OPERATOR_PASSWORD, "/apps/order-shipping")
    expect(page.locator('[data-widget="ordersTable"] .tabulator-row').first).to_be_visible()
    assert page.evaluate("typeof window.Chart") == "undefined"
    assert not [url for url in scripts if "chartjs" in url]
    assert any(url.endswith("/widgets/table.js") for url in scripts)


def test_the_editor_offers_stat_and_chart_with_sensible_fields(
        page: Page, live_server: Any, board: str, artifacts: Path) -> None:
    """The palette and property panel come from the registry: both types are there, a chart's
    series are a list editor, its kind a choice, a stat's tone a choice or a binding."""
    sign_in(page, live_server.url, "admin", DEMO_ADMIN_PASSWORD, "/editor/")
    editor = EditorPage(page, artifacts, "editor-stat-chart").open(live_server.url, SLUG)
    expect(page.locator('.ed-palette__item[data-type="stat"]')).to_have_text("Stat")
    expect(page.locator('.ed-palette__item[data-type="chart"]')).to_have_text("Chart")
    # On the canvas, before any query ran in the editor: the stat's label, a chart placeholder.
    expect(editor.cell("paidStat").locator(".ed-w__label")).to_have_text("待发货")
    expect(editor.cell("ordersChart")).to_contain_text("run the query to see it")

    added = editor.drag_in("stat", 4, 10)
    assert editor.widget(added)["at"][2:] == [3, 2]  # default_size
    editor.type_into("label", "今日订单")
    editor.type_into("value", "1234.5")
    editor.type_into("suffix", " 单")
    expect(editor.cell(added).locator(".ed-w__stat")).to_have_text("1234.5 单")
    expect(editor.field("format")).to_have_js_property("tagName", "SELECT")
    editor.field("tone").select_option(label="danger")
    assert editor.widget(added)["tone"] == "danger"
    expect(editor.cell(added).locator(".ed-w__stat")).to_have_class(re.compile("ed-w__stat--danger"))
    editor.field("tone.fx").click()  # the same property as a binding
    editor.type_into("tone", '<<1 > 0 ? "good" : "neutral">>')
    assert editor.widget(added)["tone"] == '<<1 > 0 ? "good" : "neutral">>'

    editor.select("ordersChart")
    expect(editor.field("chartType").locator("option")).to_have_text(
        ["(default: bar)", "bar", "line", "pie"])
    expect(editor.field("series.add")).to_have_text("Add series")
    editor.field("series.add").click()
    editor.type_into("series.2.key", "avg_amount")
    editor.field("series.2.axis").select_option(label="right")
    assert editor.widget("ordersChart")["series"][2] == {"key": "avg_amount", "axis": "right"}
    editor.shot("panel")
    assert editor.problems == []
