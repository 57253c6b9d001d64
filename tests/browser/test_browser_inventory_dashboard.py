"""The bundled inventory and dashboard apps in real headless Chromium.

Both run on a demo instance of this module's own (tests/report_apps.py), served from a thread,
so changing stock levels never touches the session-wide demo. Inventory: the highlighted rows
are exactly the database's low-stock rows, the 低库存 card counts them, and setting a stock level
updates the row, its highlight and the cards (a stale row is refused). Dashboard: after picking a
range the cards and the bar+line chart (read through ``Chart.getChart``) equal what Python
computes from the same rows. Screenshots: tests/artifacts/browser/inventory-*.png, dashboard-*.png.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from builder.demo.shop_schema import STATUS_LABELS
from tests.auth_helpers import DEMO_OPERATOR_PASSWORD
from tests.browser.signin import sign_in
from tests.conftest import serving
from tests.dbservers import run_sql
from tests.report_apps import report_instance

pytestmark = pytest.mark.browser

VALID = ("paid", "shipped", "completed")
STAT_OF_STATUS = {"pending_payment": "pendingStat", "paid": "paidStat", "shipped": "shippedStat",
                  "completed": "completedStat", "cancelled": "cancelledStat"}


class Site:
    def __init__(self, url: str, shop_url: str) -> None:
        self.url = url
        self.shop_url = shop_url

    def sql(self, statement: str, **params: Any) -> list[Any]:
        return run_sql(self.shop_url, statement, **params)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    app, shop_url = report_instance(tmp_path_factory.mktemp("inventory_dashboard"))
    with serving(app) as url:
        site = Site(url, shop_url)
        # One SKU out of stock (a red row), and returning customers (the seed gives every order
        # its own phone, so the repeat rate would be 0).
        site.sql("UPDATE products SET stock = 0 WHERE sku = 'KB-87'")
        site.sql("UPDATE orders SET phone = '1390000' || (id % 13) WHERE id % 2 = 0")
        yield site
    app.extensions["toolcrib"].close()


def watch(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" and not str(m.location.get("url", "")).endswith("/favicon.ico")
            else None)
    return problems


def has_class(name: str) -> re.Pattern[str]:
    """Matches a class attribute that contains ``name``."""
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


def stat_value(page: Page, widget: str) -> Locator:
    return page.locator(f'[data-widget="{widget}"] .tc-stat__value')


# -- inventory ----------------------------------------------------------------------------------

def expected_tone(stock: int, threshold: int) -> str | None:
    return "danger" if stock <= 0 else "warning" if stock < threshold else None


def shown_rows(page: Page) -> dict[str, str | None]:
    """SKU → tone class of each row the table shows, over every page (back on page 1 after)."""
    rows: dict[str, str | None] = {}
    table = page.locator('[data-widget="productsTable"]')
    while True:
        expect(table.locator(".tabulator-row").first).to_be_visible()
        for el in table.locator(".tabulator-row").all():
            cls = el.get_attribute("class") or ""
            tone = next((t for t in ("danger", "warning", "good", "muted")
                         if f"tc-row--{t}" in cls.split()), None)
            rows[el.locator('[tabulator-field="sku"]').inner_text()] = tone
        after = table.locator('.tabulator-page[data-page="next"]')
        if after.is_disabled():
            break
        first = table.locator('.tabulator-row [tabulator-field="sku"]').first.inner_text()
        after.click()
        expect(table.locator('.tabulator-row [tabulator-field="sku"]').first).not_to_have_text(
            first)
    first_page = table.locator('.tabulator-page[data-page="first"]')
    if first_page.is_enabled():
        first_page.click()
    return rows


def assert_inventory_shown(page: Page, site: Site) -> dict[str, Any]:
    products = site.sql("SELECT sku, stock, low_stock_threshold FROM products ORDER BY sku")
    low = [p.sku for p in products if p.stock < p.low_stock_threshold]
    units = sum(p.stock for p in products)
    expect(stat_value(page, "lowStockStat")).to_have_text(f"{len(low)} 个")
    expect(stat_value(page, "unitsStat")).to_have_text(f"{units:,} 件")
    expect(stat_value(page, "skuStat")).to_have_text(f"{len(products)} 个")
    expect(page.locator('[data-widget="lowStockStat"]')).to_have_attribute(
        "data-tone", "danger" if low else "good")
    assert shown_rows(page) == {p.sku: expected_tone(p.stock, p.low_stock_threshold)
                                for p in products}
    return {"low": low, "units": units}


def test_inventory_highlights_low_stock_and_saves_a_new_level(site: Site, page: Page,
                                                              artifacts: Path) -> None:
    problems = watch(page)
    sign_in(page, site.url, "ops", DEMO_OPERATOR_PASSWORD, "/apps/inventory")
    table = page.locator('[data-widget="productsTable"]')
    expect(table.locator(".tabulator-row").first).to_be_visible()
    before = assert_inventory_shown(page, site)
    assert "KB-87" in before["low"] and len(before["low"]) >= 3
    expect(table.locator(".tabulator-row.tc-row--warning")).to_have_count(1)  # CHO-DK85
    page.screenshot(path=str(artifacts / "inventory-1-start.png"), full_page=True)

    # 只看低库存: the server returns exactly the low rows.
    page.get_by_role("combobox", name="显示").select_option(label="只看低库存")
    expect(table.locator(".tabulator-row")).to_have_count(len(before["low"]))
    assert sorted(shown_rows(page)) == sorted(before["low"])
    page.get_by_role("combobox", name="显示").select_option(label="全部商品")
    expect(table.locator(".tabulator-row")).to_have_count(10)

    # Take CUP-500 below its threshold: its row turns amber, the card counts one more.
    sku, stock, threshold = site.sql("SELECT sku, stock, low_stock_threshold FROM products "
                                     "WHERE sku = 'CUP-500'")[0]
    assert stock >= threshold
    row = table.locator(".tabulator-row", has=page.locator('[tabulator-field="sku"]',
                                                           has_text=sku))
    row.click()
    expect(page.locator('[data-widget="selectedText"]')).to_contain_text("保温杯")
    expect(page.get_by_role("spinbutton", name="新库存")).to_have_value(str(stock))
    expect(page.get_by_role("spinbutton", name="预警阈值")).to_have_value(str(threshold))
    page.get_by_role("spinbutton", name="新库存").fill(str(threshold - 1))
    page.get_by_role("button", name="保存库存").click()
    expect(page.locator(".tc-toast")).to_contain_text("库存已更新")
    expect(row.locator('[tabulator-field="stock"]')).to_have_text(str(threshold - 1))
    expect(row).to_have_class(has_class("tc-row--warning"))
    expect(stat_value(page, "lowStockStat")).to_have_text(f"{len(before['low']) + 1} 个")
    assert site.sql("SELECT stock FROM products WHERE sku = :s", s=sku)[0][0] == threshold - 1
    after = assert_inventory_shown(page, site)
    assert after["units"] == before["units"] - stock + threshold - 1
    page.screenshot(path=str(artifacts / "inventory-2-saved.png"), full_page=True)

    # An order takes stock while the form is open: the save is refused and the row reloads.
    row.click()  # paging through the table above left page 1 without a selection
    expect(page.get_by_role("spinbutton", name="新库存")).to_have_value(str(threshold - 1))
    site.sql("UPDATE products SET stock = stock - 2 WHERE sku = :s", s=sku)
    page.get_by_role("spinbutton", name="新库存").fill("0")
    page.get_by_role("button", name="保存库存").click()
    expect(page.locator(".tc-toast").last).to_contain_text("刚被修改")
    expect(row.locator('[tabulator-field="stock"]')).to_have_text(str(threshold - 3))
    assert site.sql("SELECT stock FROM products WHERE sku = :s", s=sku)[0][0] == threshold - 3

    # Now from the fresh row: out of stock → red; then back to where it was → no highlight.
    expect(page.get_by_role("spinbutton", name="新库存")).to_have_value(str(threshold - 3))
    page.get_by_role("spinbutton", name="新库存").fill("0")
    page.get_by_role("button", name="保存库存").click()
    expect(row).to_have_class(has_class("tc-row--danger"))
    expect(stat_value(page, "outOfStockStat")).to_have_text("2 个")
    page.screenshot(path=str(artifacts / "inventory-3-out-of-stock.png"), full_page=True)
    page.get_by_role("spinbutton", name="新库存").fill(str(stock))
    page.get_by_role("button", name="保存库存").click()
    expect(row.locator('[tabulator-field="stock"]')).to_have_text(str(stock))
    expect(stat_value(page, "lowStockStat")).to_have_text(f"{len(before['low'])} 个")
    assert assert_inventory_shown(page, site)["low"] == before["low"]
    # The browser logs the refused (409) save as a failed request; nothing else went wrong.
    assert [p for p in problems if "status of 409" not in p] == []
    assert len(problems) == 1


# -- dashboard ----------------------------------------------------------------------------------

def as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def dashboard_facts(site: Site, start: date, end: date) -> dict[str, Any]:
    rows = [r for r in site.sql("SELECT phone, status, amount, created_at FROM orders")
            if start <= as_datetime(r.created_at).date() <= end]
    valid = [r for r in rows if r.status in VALID]
    revenue = sum((Decimal(str(r.amount)) for r in valid), Decimal(0))
    per_day: dict[str, list[Any]] = defaultdict(lambda: [0, 0.0])
    for r in rows:
        day = per_day[as_datetime(r.created_at).date().isoformat()]
        day[0] += 1
        day[1] += float(r.amount) if r.status in VALID else 0.0
    phones = Counter(r.phone for r in valid)
    return {"orders": len(rows), "paid_orders": len(valid), "revenue": revenue,
            "aov": (revenue / len(valid)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if valid else None,
            "statuses": Counter(r.status for r in rows),
            "customers": len(phones), "repeaters": sum(1 for n in phones.values() if n >= 2),
            "days": sorted(per_day), "per_day": [per_day[d] for d in sorted(per_day)]}


def money(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"¥{value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def percent(part: int, whole: int) -> str:
    if not whole:
        return "—"
    shown = (Decimal(part * 100) / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{shown.normalize():f}%"


def chart_data(page: Page) -> dict[str, Any]:
    page.wait_for_function("""() => {
      const c = document.querySelector('[data-widget="ordersChart"] canvas');
      const chart = c && window.Chart && Chart.getChart(c);
      return chart && !chart.animating;
    }""")
    return page.evaluate("""() => {
      const canvas = document.querySelector('[data-widget="ordersChart"] canvas');
      const chart = Chart.getChart(canvas);
      return {labels: chart.data.labels,
              datasets: chart.data.datasets.map((d) => ({label: d.label,
                type: d.type || chart.config.type, axis: d.yAxisID, data: d.data})),
              right: chart.scales.y1 ? chart.scales.y1.position : null,
              width: canvas.clientWidth, height: canvas.clientHeight};
    }""")


def settled_shot(page: Page, path: Path) -> None:
    """A screenshot once Chart.js has finished growing the bars to their new heights."""
    page.wait_for_timeout(800)  # Chart.js animates for 1 s; its `animating` flag lags a frame
    page.screenshot(path=str(path), full_page=True)


def assert_dashboard_shows(page: Page, site: Site, start: date, end: date) -> dict[str, Any]:
    facts = dashboard_facts(site, start, end)
    expect(stat_value(page, "ordersStat")).to_have_text(f"{facts['orders']:,} 单")
    expect(page.locator('[data-widget="ordersStat"] .tc-stat__caption')).to_have_text(
        f"有效订单 {facts['paid_orders']} 单")
    for status, widget in STAT_OF_STATUS.items():
        expect(stat_value(page, widget)).to_have_text(f"{facts['statuses'][status]:,} 单")
        expect(page.locator(f'[data-widget="{widget}"] .tc-stat__label')).to_have_text(
            STATUS_LABELS[status])
    expect(stat_value(page, "revenueStat")).to_have_text(money(facts["revenue"]))
    expect(stat_value(page, "aovStat")).to_have_text(money(facts["aov"]))
    expect(stat_value(page, "repeatStat")).to_have_text(
        percent(facts["repeaters"], facts["customers"]))
    expect(page.locator('[data-widget="repeatStat"] .tc-stat__caption')).to_have_text(
        f"{facts['repeaters']} / {facts['customers']} 位客户下单 2 次及以上")
    expect(stat_value(page, "customersStat")).to_have_text(f"{facts['customers']:,} 位")
    expect(page.locator('[data-widget="ordersChart"] .tc-chart__title')).to_have_text(
        f"每日订单数与销售额（{start.isoformat()} 至 {end.isoformat()}）")
    page.wait_for_function("""(days) => {
      const c = document.querySelector('[data-widget="ordersChart"] canvas');
      const chart = c && window.Chart && Chart.getChart(c);
      return chart && JSON.stringify(chart.data.labels) === JSON.stringify(days);
    }""", arg=facts["days"])
    chart = chart_data(page)
    assert chart["labels"] == facts["days"]
    orders, revenue = chart["datasets"]
    assert (orders["label"], orders["type"], orders["axis"]) == ("订单数", "bar", "y")
    assert (revenue["label"], revenue["type"], revenue["axis"]) == ("销售额（元）", "line", "y1")
    assert orders["data"] == [n for n, _ in facts["per_day"]]
    assert revenue["data"] == pytest.approx([amount for _, amount in facts["per_day"]],
                                            abs=0.005)
    assert chart["right"] == "right"
    assert chart["width"] > 1000 and chart["height"] > 250
    return facts


def test_dashboard_figures_follow_the_range(site: Site, page: Page, artifacts: Path) -> None:
    problems = watch(page)
    sign_in(page, site.url, "ops", DEMO_OPERATOR_PASSWORD, "/apps/dashboard")
    # The default range: the last 30 days of the demo data.
    expect(page.get_by_label("开始日期")).to_have_value("2026-10-24")
    expect(page.get_by_label("结束日期")).to_have_value("2026-11-22")
    facts = assert_dashboard_shows(page, site, date(2026, 10, 24), date(2026, 11, 22))
    assert facts["orders"] > 50 and facts["repeaters"] > 0
    settled_shot(page, artifacts / "dashboard-1-default.png")

    # Pick another range by typing both ends: every card and the chart follow.
    start, end = date(2026, 9, 15), date(2026, 10, 5)
    page.get_by_label("开始日期").fill(start.isoformat())
    page.get_by_label("结束日期").fill(end.isoformat())
    facts = assert_dashboard_shows(page, site, start, end)
    assert len(facts["days"]) == 21
    settled_shot(page, artifacts / "dashboard-2-picked.png")

    # 近 30 天 is relative to today: the state and the figures are those of that range.
    page.get_by_role("button", name="近 30 天").click()
    today = date.today()
    state = page.evaluate("Toolcrib.app.store.widget('dates')")
    assert state == {"start": (today - timedelta(days=29)).isoformat(), "end": today.isoformat(),
                     "endExclusive": (today + timedelta(days=1)).isoformat()}
    expect(page.get_by_role("button", name="近 30 天")).to_have_attribute("aria-pressed", "true")
    assert_dashboard_shows(page, site, today - timedelta(days=29), today)
    settled_shot(page, artifacts / "dashboard-3-last30days.png")
    assert problems == []
