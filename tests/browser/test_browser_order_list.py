"""The order list and order detail app (apps/order_list.yaml) in real headless Chromium.

An operator filters by status, date range and a search text, sorts, exports the filtered
orders, opens one and goes back: every count and value on the page is checked against the
shop database with the same filter. Read only (the demo is shared by the session). Screenshots:
tests/artifacts/browser/order-list-*.png.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import Engine, create_engine, text

from builder.demo.shop_schema import PAYMENT_METHODS, STATUS_LABELS
from tests.auth_helpers import DEMO_OPERATOR_PASSWORD
from tests.browser.signin import sign_in

pytestmark = pytest.mark.browser

APP_PATH = "/apps/orders"
STATUS = "completed"


@pytest.fixture(scope="module")
def shop(live_server: Any) -> Iterator[Engine]:
    engine = create_engine(live_server.shop_url)
    yield engine
    engine.dispose()


def rows(shop: Engine, sql: str, **params: Any) -> list[Any]:
    with shop.connect() as conn:
        return list(conn.execute(text(sql), params))


FILTER = """FROM orders WHERE status = :status AND created_at >= :start AND created_at < :end
            AND (CAST(id AS TEXT) = :q OR product_name LIKE '%' || :q || '%'
                 OR address LIKE '%' || :q || '%')"""


def counter(page: Page) -> Locator:
    return page.locator('[data-widget="ordersTable"] .tabulator-page-counter')


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"order-list-{name}.png"), full_page=True)


def text_of(page: Page, widget: str) -> Locator:
    return page.locator(f'[data-widget="{widget}"] .tc-text__body')


def test_filter_sort_export_open_and_go_back(live_server: Any, shop: Engine, page: Page,
                                             artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    sign_in(page, live_server.url, "ops", DEMO_OPERATOR_PASSWORD, APP_PATH)
    total = rows(shop, "SELECT COUNT(*) FROM orders")[0][0]
    expect(counter(page)).to_contain_text(f"共 {total:,} 条")
    expect(page.locator(".tc-pages")).to_have_text("订单列表")  # the detail page is no tab

    # Status: the select shows labels over the stored codes.
    page.locator("#tc-w-statusFilter").select_option(label=STATUS_LABELS[STATUS])
    n_status = rows(shop, "SELECT COUNT(*) FROM orders WHERE status = :s", s=STATUS)[0][0]
    expect(counter(page)).to_contain_text(f"共 {n_status:,} 条")

    # Date range: the middle two months, whole days.
    first = date.fromisoformat(rows(shop, "SELECT date(MIN(created_at)) FROM orders")[0][0])
    start, end = first + timedelta(days=15), first + timedelta(days=75)
    page.get_by_label("结束日期").fill(end.isoformat())
    page.get_by_label("开始日期").fill(start.isoformat())
    window = {"status": STATUS, "start": start.isoformat(),
              "end": (end + timedelta(days=1)).isoformat()}

    # Search: a province that more than one page of these orders ship to.
    provinces = rows(shop, "SELECT substr(address, 1, 3) AS p, COUNT(*) AS n FROM orders "
                           "WHERE status = :status AND created_at >= :start AND created_at < :end "
                           "GROUP BY p HAVING n > 20 ORDER BY n, p", **window)
    term = provinces[0].p
    params = {**window, "q": term}
    wanted = rows(shop, f"SELECT id, amount {FILTER} ORDER BY amount, id", **params)
    assert 20 < len(wanted) < n_status
    search = page.locator("#tc-w-searchInput")
    search.fill(f" {term} ")  # trimmed before binding
    search.press("Enter")
    expect(counter(page)).to_contain_text(f"共 {len(wanted)} 条")
    body = page.locator('[data-widget="ordersTable"] .tabulator-row')
    expect(body).to_have_count(20)
    statuses = {body.nth(i).locator('[tabulator-field="status"]').inner_text() for i in range(20)}
    assert statuses == {STATUS_LABELS[STATUS]}
    shot(page, artifacts, "01-filtered")

    # Sort by amount on the server: the first page is the 20 smallest of the filtered orders.
    page.locator('[data-widget="ordersTable"] .tabulator-col[tabulator-field="amount"]').click()
    first_ids = [r.id for r in wanted[:20]]

    def shown_ids() -> list[int]:
        return [int(body.nth(i).locator('[tabulator-field="id"]').inner_text())
                for i in range(body.count())]

    expect(body.first.locator('[tabulator-field="id"]')).to_have_text(str(first_ids[0]))
    assert shown_ids() == first_ids
    shot(page, artifacts, "02-sorted")

    # Export: every filtered row (not one page), in the table's sort, headed by its labels.
    with page.expect_download() as info:
        page.get_by_role("button", name="导出 CSV").click()
    raw = Path(info.value.path()).read_bytes()
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert table[0] == ["订单号", "下单时间", "客户", "产品", "数量", "金额", "状态", "收货地址"]
    assert [int(r[0]) for r in table[1:]] == [r.id for r in wanted]
    assert {r[6] for r in table[1:]} == {STATUS}  # the stored code, as documented
    expect(page.locator(".tc-toast")).to_contain_text("已导出")

    # Open the first order: its own URL, and every section from the database.
    order_id = first_ids[0]
    body.first.click()
    expect(page).to_have_url(re.compile(rf"{APP_PATH}/detail\?id={order_id}$"))
    check_detail(page, shop, order_id)
    shot(page, artifacts, "03-detail")

    # Back: the list as it was left, filters and all.
    page.go_back()
    expect(page).to_have_url(re.compile(rf"{APP_PATH}$"))
    expect(counter(page)).to_contain_text(f"共 {len(wanted)} 条")
    expect(page.locator("#tc-w-searchInput")).to_have_value(f" {term} ")
    expect(page.get_by_label("开始日期")).to_have_value(start.isoformat())
    expect(body.first.locator('[tabulator-field="id"]')).to_have_text(str(order_id))  # sorted
    shot(page, artifacts, "04-back")

    # A bookmark of the detail page works after a reload; its back button opens the list.
    page.go_forward()
    expect(page).to_have_url(re.compile(rf"detail\?id={order_id}$"))
    page.reload()
    check_detail(page, shop, order_id)
    page.get_by_role("button", name="← 返回列表").click()
    expect(page).to_have_url(re.compile(rf"{APP_PATH}$"))
    expect(counter(page)).to_contain_text(f"共 {total:,} 条")
    assert errors == []


def check_detail(page: Page, shop: Engine, order_id: int) -> None:
    order = rows(shop, "SELECT * FROM orders WHERE id = :i", i=order_id)[0]
    payment = rows(shop, "SELECT * FROM payments WHERE order_id = :i", i=order_id)
    history = rows(shop, "SELECT * FROM order_status_history WHERE order_id = :i "
                         "ORDER BY changed_at DESC, id", i=order_id)
    expect(text_of(page, "headerText")).to_have_text(
        f"订单 {order_id} · {STATUS_LABELS[order.status]}")
    expect(text_of(page, "customerText")).to_have_text(order.customer_name)
    expect(text_of(page, "phoneText")).to_have_text(order.phone)
    expect(text_of(page, "statusText")).to_have_text(STATUS_LABELS[order.status])
    expect(text_of(page, "amountText")).to_have_text(f"¥{float(order.amount):.2f}")
    expect(text_of(page, "addressText")).to_have_text(order.address)
    expect(text_of(page, "trackingText")).to_have_text(order.shipping_tracking_number or "—")
    assert len(payment) == 1  # a completed order was paid
    expect(text_of(page, "payMethodText")).to_have_text(PAYMENT_METHODS[payment[0].method])
    expect(text_of(page, "transactionText")).to_have_text(payment[0].transaction_no)
    items = page.locator('[data-widget="itemsTable"] .tabulator-row')
    expect(items).to_have_count(1)
    expect(items.first.locator('[tabulator-field="sku"]')).to_have_text(order.sku)
    shown = page.locator('[data-widget="historyTable"] .tabulator-row')
    expect(shown).to_have_count(len(history))
    newest = shown.first.locator('[tabulator-field="to_status"]')
    expect(newest).to_have_text(STATUS_LABELS[history[0].to_status])
    expect(shown.first.locator('[tabulator-field="changed_by"]')).not_to_be_empty()


def test_a_bad_page_parameter_is_said_and_refused(live_server: Any, page: Page,
                                                  artifacts: Path) -> None:
    sign_in(page, live_server.url, "ops", DEMO_OPERATOR_PASSWORD, f"{APP_PATH}/detail?id=abc")
    expect(page.locator("#tc-page-problem")).to_contain_text("“id”不是有效的 integer")
    # The query was sent and refused by the server with its own message, shown in the table.
    expect(page.locator('[data-widget="historyTable"] .tc-table__error-text')).to_contain_text(
        "page parameter 'id' must be an integer, not the text 'abc'")
    shot(page, artifacts, "05-bad-param")
