"""Stored XSS: script and onerror payloads in an order show as text, in real headless Chromium.

The payloads go straight into the demo shop database of the live server, in three paid orders
far from the ones the other browser tests use (the 15th-17th by id, on the first page), and are
put back afterwards. The operator signs in, sees them as literal text in the table cells, in the
address box and in an error toast bound to a value, and no payload ever runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import Engine, create_engine, text

from tests.auth_helpers import DEMO_OPERATOR_PASSWORD
from tests.browser.signin import sign_in

pytestmark = pytest.mark.browser

APP_PATH = "/apps/order-shipping"
SCRIPT = "<script>window.__xss=1</script>"
ONERROR = '<img src=x onerror="window.__xss=1">'
SVG = "<svg/onload=window.__xss=1>"
COLUMNS = ("address", "product_name", "shipping_tracking_number")


@pytest.fixture
def poisoned(live_server: Any) -> Iterator[dict[int, dict[str, str]]]:
    """Orders 15-17 (paid, by id) with payloads in every text column a person reads."""
    engine: Engine = create_engine(live_server.shop_url)
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text(
            "SELECT id FROM orders WHERE status = 'paid' ORDER BY id LIMIT 3 OFFSET 14"))]
        assert len(ids) == 3
        saved = {i: dict(conn.execute(text(
            f"SELECT {', '.join(COLUMNS)} FROM orders WHERE id = :id"), {"id": i}
        ).mappings().one()) for i in ids}
        payloads = {
            ids[0]: {"address": f"上海市 {SCRIPT} 路 1 号", "product_name": ONERROR,
                     "shipping_tracking_number": SVG},
            ids[1]: {"address": ONERROR, "product_name": SCRIPT,
                     "shipping_tracking_number": f"SF{ONERROR}"},
            ids[2]: {"address": f"{SVG}<b>粗体</b>", "product_name": "&lt;b&gt;已转义&lt;/b&gt;",
                     "shipping_tracking_number": SCRIPT},
        }
        for order_id, values in payloads.items():
            conn.execute(text("UPDATE orders SET address = :address, product_name = "
                              ":product_name, shipping_tracking_number = "
                              ":shipping_tracking_number, version = version + 1 WHERE id = :id"),
                         {**values, "id": order_id})
    yield payloads
    with engine.begin() as conn:
        for order_id, values in saved.items():
            conn.execute(text("UPDATE orders SET address = :address, product_name = "
                              ":product_name, shipping_tracking_number = "
                              ":shipping_tracking_number, version = version + 1 WHERE id = :id"),
                         {**values, "id": order_id})
    engine.dispose()


def _cell(page: Page, order_id: int, field: str) -> Locator:
    id_cell = page.locator('.tabulator-cell[tabulator-field="id"]',
                           has_text=re.compile(rf"^\s*{order_id}\s*$"))
    row = page.locator('[data-widget="ordersTable"] .tabulator-row').filter(has=id_cell)
    return row.locator(f'.tabulator-cell[tabulator-field="{field}"]')


def _show(cell: Locator) -> None:
    """Scroll a table cell into view for a screenshot (the table may still be re-rendering)."""
    for _ in range(10):
        try:
            cell.scroll_into_view_if_needed(timeout=1000)
            return
        except PlaywrightError:
            cell.page.wait_for_timeout(100)
    cell.scroll_into_view_if_needed()


def _no_payload_ran(page: Page) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"
    # No element was made from the payloads: no <script> outside the page's own, no <img src=x>,
    # no <svg>, no <b> inside the app.
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"], svg[onload], "
                         "[onerror], [onload]').length") == 0
    assert page.evaluate("[...document.querySelectorAll('#tc-page script, #tc-page b')]"
                         ".length") == 0


def test_stored_payloads_show_as_text(page: Page, live_server: Any, artifacts: Path,
                                      poisoned: dict[int, dict[str, str]]) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server.url, "ops", DEMO_OPERATOR_PASSWORD, APP_PATH)
    expect(page.locator('[data-widget="ordersTable"] .tabulator-row')).to_have_count(20)

    # In the table: every payload is the cell's literal text.
    for order_id, values in poisoned.items():
        for field, value in values.items():
            expect(_cell(page, order_id, field)).to_have_text(value)
    _no_payload_ran(page)

    # In the address box, for the selected order.
    address = page.locator('[data-widget="addressText"] .tc-text__body')
    first, second, third = poisoned
    _cell(page, first, "product_name").click()
    expect(address).to_have_text(poisoned[first]["address"])
    _cell(page, second, "product_name").click()
    expect(address).to_have_text(ONERROR)
    expect(page.locator('[data-widget="shippingNumberInput"] input')).to_have_value(
        f"SF{ONERROR}")
    _no_payload_ran(page)
    page.screenshot(path=str(artifacts / "xss-01-table-and-address.png"), animations="disabled")

    # In an error toast bound to a value (the app shows updateOrder.error): the server's
    # message carries the payload, as a database error quoting a value would.
    message = f"数据库错误：{SCRIPT} {ONERROR}"
    page.route("**/queries/updateOrder/run", lambda route: route.fulfill(
        status=502, content_type="application/json",
        body=json.dumps({"error": {"message": message, "code": "query_failed"}})))
    page.locator('[data-widget="shippingCompany"] select').select_option(label="顺丰")
    with page.expect_response("**/queries/getOrders/run"):  # onError reloads the rows
        page.locator('[data-widget="updateButton"] button').click()
    toast = page.locator(".tc-toast--error", has_text="数据库错误")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text(message)
    expect(_cell(page, second, "product_name")).to_have_text(SCRIPT)
    _no_payload_ran(page)
    _show(_cell(page, second, "product_name"))
    page.screenshot(path=str(artifacts / "xss-02-error-toast.png"), animations="disabled")

    # A success toast after a real save of a payload typed into the form, and the refreshed row.
    page.unroute("**/queries/updateOrder/run")
    _cell(page, third, "product_name").click()
    expect(address).to_have_text(poisoned[third]["address"])
    page.locator('[data-widget="shippingCompany"] select').select_option(label="中通")
    page.locator('[data-widget="shippingNumberInput"] input').fill(ONERROR)
    with page.expect_response("**/queries/getOrders/run"):  # onSuccess reloads the rows
        page.locator('[data-widget="updateButton"] button').click()
    expect(page.locator(".tc-toast--success", has_text="订单已更新")).to_be_visible()
    expect(_cell(page, third, "shipping_tracking_number")).to_have_text(ONERROR)
    expect(_cell(page, third, "product_name")).to_have_text("&lt;b&gt;已转义&lt;/b&gt;")
    _no_payload_ran(page)
    _show(_cell(page, third, "product_name"))
    page.screenshot(path=str(artifacts / "xss-03-saved-payload.png"), animations="disabled")

    assert dialogs == [] and problems == []
