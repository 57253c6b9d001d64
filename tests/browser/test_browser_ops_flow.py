"""The flagship app as an operator uses it, in real headless Chromium.

Each test checks what a person sees on the page and what ends up in the shop database. Tests
pick their own orders from the first page (sorted by id) and set them up first, so they do not
depend on each other or on the API tests (which use orders from the end of the list).
Screenshots of each important state are written to tests/artifacts/browser/.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect
from sqlalchemy import Engine, create_engine, text

from tests.auth_helpers import DEMO_OPERATOR_PASSWORD
from tests.browser.ops_page import HEADERS, PAGE_SIZE, OpsPage
from tests.browser.signin import sign_in

pytestmark = pytest.mark.browser

APP_PATH = "/apps/order-shipping"


# --- the shop database -------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop(live_server: Any) -> Iterator[Engine]:
    engine = create_engine(live_server.shop_url)
    yield engine
    engine.dispose()


def paid_ids(shop: Engine, direction: str = "ASC") -> list[int]:
    assert direction in ("ASC", "DESC")
    sql = f"SELECT id FROM orders WHERE status = 'paid' ORDER BY id {direction}"
    with shop.connect() as conn:
        return [r[0] for r in conn.execute(text(sql))]


def order(shop: Engine, order_id: int) -> dict[str, Any]:
    with shop.connect() as conn:
        row = conn.execute(text("SELECT * FROM orders WHERE id = :id"), {"id": order_id})
        return dict(row.mappings().one())


def set_shipping(shop: Engine, order_id: int, company: str | None, number: str | None) -> None:
    """Another writer (or the test's setup) changes an order: the version moves on."""
    with shop.begin() as conn:
        conn.execute(text("UPDATE orders SET shipping_company = :c, shipping_tracking_number = :n, "
                          "version = version + 1 WHERE id = :id"),
                     {"c": company, "n": number, "id": order_id})


# --- the page ------------------------------------------------------------------------------


@pytest.fixture
def ops(page: Page, context: BrowserContext, live_server: Any, artifacts: Path,
        request: pytest.FixtureRequest) -> Iterator[OpsPage]:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    ops_page = OpsPage(page, artifacts, request.node.originalname.removeprefix("test_"),
                        APP_PATH)
    yield ops_page.open(live_server.url)
    assert ops_page.problems == []


def first_page_orders(shop: Engine) -> list[int]:
    return paid_ids(shop)[:PAGE_SIZE]


# --- tests -----------------------------------------------------------------------------------


def test_ops_flow(ops: OpsPage, shop: Engine) -> None:
    # What the page shows first: the unshipped orders, 20 at a time, with a total.
    paid_asc = paid_ids(shop)
    expect(ops.table.locator(".tabulator-col-title")).to_have_text(HEADERS)
    assert ops.ids() == paid_asc[:PAGE_SIZE]
    expect(ops.counter).to_contain_text(f"共 {len(paid_asc):,} 条")
    images = ops.table.locator("img.tc-thumb")
    expect(images).to_have_count(PAGE_SIZE)
    ops.page.wait_for_function(
        "() => [...document.querySelectorAll('[data-widget=ordersTable] img.tc-thumb')]"
        ".every(img => img.complete && img.naturalWidth > 0)")
    ops.shot("01-loaded")

    # The next page comes from the server.
    ops.table.locator('.tabulator-page[data-page="next"]').click()
    expect(ops.first_id).to_have_text(str(paid_asc[PAGE_SIZE]))
    assert ops.ids() == paid_asc[PAGE_SIZE:2 * PAGE_SIZE]
    assert ops.sent("getOrders")[-1]["page"]["number"] == 2
    ops.shot("02-next-page")

    # Sorting by 订单号 descending is done by the server over all unshipped orders.
    ops.table.locator('.tabulator-col[tabulator-field="id"]').click()
    expect(ops.first_id).to_have_text(str(max(paid_asc)))
    assert ops.ids() == paid_ids(shop, "DESC")[:PAGE_SIZE]
    last = ops.sent("getOrders")[-1]["page"]
    assert last["sort"] == [{"column": "id", "dir": "desc"}] and last["number"] == 1
    ops.shot("03-sorted-desc")
    ops.table.locator('.tabulator-col[tabulator-field="id"]').click()
    expect(ops.first_id).to_have_text(str(paid_asc[0]))

    # An order that already has a courier: everything is filled from the row.
    with_courier, without_courier = paid_asc[3], paid_asc[5]
    set_shipping(shop, with_courier, "SF", "SF1000000000001")
    set_shipping(shop, without_courier, None, None)
    ops.page.reload()
    expect(ops.rows).to_have_count(PAGE_SIZE)
    ops.select_order(with_courier)
    stored = order(shop, with_courier)
    expect(ops.address).to_have_text(stored["address"])
    expect(ops.tracking).to_have_value("SF1000000000001")
    assert ops.courier_label() == "顺丰"
    ops.shot("04-selected-with-courier")

    # Copy puts the address on the clipboard.
    ops.copy_button.click()
    expect(ops.toast("info", "地址已复制")).to_be_visible()
    assert ops.page.evaluate("navigator.clipboard.readText()") == stored["address"]

    # An order without a courier: the form follows the new row and is empty.
    ops.select_order(without_courier)
    target = order(shop, without_courier)
    expect(ops.address).to_have_text(target["address"])
    expect(ops.tracking).to_have_value("")
    expect(ops.courier).to_have_value("")
    ops.shot("05-selected-without-courier")

    # Fill in and update; the button is busy (and a second click does nothing) meanwhile.
    number = f"YT{int(time.time() * 1000) % 10**13:013d}"
    ops.courier.select_option(label="圆通")
    ops.tracking.fill(number)
    held: list[Route] = []
    ops.page.route("**/queries/updateOrder/run", lambda route: held.append(route))
    ops.update_button.click()
    expect(ops.update_button).to_be_disabled()
    expect(ops.update_button).to_have_attribute("aria-busy", "true")
    ops.update_button.click(force=True)
    ops.page.wait_for_timeout(300)
    assert len(held) == 1
    ops.shot("06-update-in-flight")
    held[0].continue_()

    expect(ops.toast("success", "订单已更新")).to_be_visible()
    expect(ops.cell(without_courier, "shipping_company")).to_have_text("圆通")
    expect(ops.cell(without_courier, "shipping_tracking_number")).to_have_text(number)
    expect(ops.row(without_courier)).to_have_class(re.compile(r"\btabulator-selected\b"))
    expect(ops.address).to_have_text(target["address"])
    assert ops.courier_label() == "圆通"
    expect(ops.tracking).to_have_value(number)
    expect(ops.update_button).to_be_enabled()
    sent = ops.sent("updateOrder")[-1]["state"]
    assert set(sent) == {"shippingCompany", "shippingNumberInput", "ordersTable"}
    ops.shot("07-updated")

    saved = order(shop, without_courier)
    assert (saved["shipping_company"], saved["shipping_tracking_number"]) == ("YTO", number)
    assert saved["version"] == target["version"] + 1
    assert saved["status"] == "paid"


def test_empty_tracking_number_blocks_the_update(ops: OpsPage, shop: Engine) -> None:
    order_id = first_page_orders(shop)[7]
    set_shipping(shop, order_id, None, None)
    before = order(shop, order_id)
    ops.page.reload()
    expect(ops.rows).to_have_count(PAGE_SIZE)
    ops.select_order(order_id)
    ops.courier.select_option(label="中通")
    updates_before = len(ops.sent("updateOrder"))

    ops.update_button.click()
    expect(ops.tracking_error).to_have_text("请填写快递单号")
    expect(ops.tracking).to_have_attribute("aria-invalid", "true")
    expect(ops.toast("error", "请填写快递单号")).to_be_visible()
    expect(ops.tracking).to_be_focused()
    ops.page.wait_for_timeout(300)
    assert len(ops.sent("updateOrder")) == updates_before
    ops.shot("01-required-field")

    # Typing clears the inline error; nothing was written.
    ops.tracking.fill("ZT123")
    expect(ops.tracking_error).to_be_hidden()
    expect(ops.update_button).to_be_enabled()
    assert order(shop, order_id) == before


def test_stale_update_is_refused_and_the_page_keeps_working(ops: OpsPage, shop: Engine) -> None:
    order_id = first_page_orders(shop)[9]
    set_shipping(shop, order_id, None, None)
    ops.page.reload()
    expect(ops.rows).to_have_count(PAGE_SIZE)
    ops.select_order(order_id)
    ops.courier.select_option(label="申通")
    ops.tracking.fill("STO-MINE-1")

    # A colleague saves the same order in the meantime.
    set_shipping(shop, order_id, "JD", "JD-OTHER-1")
    with ops.page.expect_response("**/queries/updateOrder/run") as answer:
        ops.update_button.click()
    assert answer.value.status == 409
    assert answer.value.json()["error"]["code"] == "row_count_mismatch"
    # The app's onError says so in the app's language and reloads the rows: the colleague's
    # values show in the table and in the form, and the same order stays selected.
    expect(ops.toast("error", "该订单刚被他人修改")).to_be_visible()
    expect(ops.cell(order_id, "shipping_company")).to_have_text("京东")
    expect(ops.tracking).to_have_value("JD-OTHER-1")
    assert ops.courier_label() == "京东"
    expect(ops.update_button).to_be_enabled()
    ops.shot("01-conflict")
    kept = order(shop, order_id)
    assert (kept["shipping_company"], kept["shipping_tracking_number"]) == ("JD", "JD-OTHER-1")

    # Still usable: save on top of the colleague's values, now that they are on screen.
    ops.courier.select_option(label="申通")
    ops.tracking.fill("STO-MINE-2")
    ops.update_button.click()
    expect(ops.toast("success", "订单已更新")).to_be_visible()
    expect(ops.cell(order_id, "shipping_company")).to_have_text("申通")
    saved = order(shop, order_id)
    assert (saved["shipping_company"], saved["shipping_tracking_number"]) == ("STO", "STO-MINE-2")
    assert saved["version"] == kept["version"] + 1
    ops.shot("02-saved-after-conflict")


def test_network_failure_is_reported(ops: OpsPage, shop: Engine) -> None:
    order_id = first_page_orders(shop)[11]
    before = order(shop, order_id)
    ops.select_order(order_id)
    ops.courier.select_option(label="韵达")
    ops.tracking.fill("YD-NET-1")
    ops.page.route("**/queries/updateOrder/run", lambda route: route.abort())
    ops.update_button.click()
    expect(ops.toast("error", "无法连接服务器")).to_be_visible()
    expect(ops.update_button).to_be_enabled()
    assert order(shop, order_id) == before
    ops.shot("01-unreachable")


def test_failed_load_shows_the_error_in_the_table(page: Page, live_server: Any,
                                                  artifacts: Path) -> None:
    failing = {"error": {"message": "数据库暂时不可用", "code": "datasource_unavailable"}}
    page.route("**/queries/getOrders/run", lambda route: route.fulfill(
        status=502, content_type="application/json", body=json.dumps(failing)))
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    sign_in(page, live_server.url, "ops", DEMO_OPERATOR_PASSWORD, APP_PATH)
    banner = page.locator('[data-widget="ordersTable"] .tc-table__error')
    expect(banner.locator(".tc-table__error-text")).to_have_text("数据库暂时不可用")
    expect(page.locator('[data-widget="addressText"] .tc-text__body')).to_have_text(
        "点击左侧订单查看地址")
    expect(page.locator('[data-widget="updateButton"] button')).to_be_disabled()
    page.screenshot(path=str(artifacts / "failed_load-01-table-error.png"), animations="disabled")

    # The database is back: 重试 loads the rows and the banner goes away.
    page.unroute("**/queries/getOrders/run")
    banner.get_by_role("button", name="重试").click()
    expect(page.locator('[data-widget="ordersTable"] .tabulator-row')).to_have_count(PAGE_SIZE)
    expect(banner).to_be_hidden()
    page.screenshot(path=str(artifacts / "failed_load-02-retried.png"), animations="disabled")
    assert errors == []
