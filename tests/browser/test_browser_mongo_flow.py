"""The MongoDB flagship app as an operator uses it, in real headless Chromium.

The same screen as tests/browser/test_browser_ops_flow.py, served by a Toolcrib whose demo was set
up with ``--mongo-url`` on a SecantusDB of this module (so a test may stop and restart it). Each
test checks what a person sees and what ends up in the ``orders`` collection; tests pick their own
orders from the first page. Screenshots go to tests/artifacts/browser/mongo_*.png.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.browser.ops_page import HEADERS, PAGE_SIZE, OpsPage
from tests.conftest import serving
from tests.mongoserver import MongoDemo, make_mongo_demo

pytestmark = pytest.mark.browser

APP_PATH = "/apps/order-shipping-mongo"


# --- the server and the orders collection ---------------------------------------------------------


@dataclass
class MongoLive:
    url: str
    demo: MongoDemo
    orders: Any  # pymongo Collection


@pytest.fixture(scope="module")
def mongo_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoLive]:
    """``toolcrib demo --mongo-url`` served over HTTP from a thread on 127.0.0.1."""
    demo = make_mongo_demo(tmp_path_factory.mktemp("mongo-browser"), orders=1500)
    orders = demo.orders()
    with serving(demo.app) as url:
        yield MongoLive(url, demo, orders)
    orders.database.client.close()
    demo.close()


def paid_ids(live: MongoLive, direction: int = 1) -> list[int]:
    return [d["id"] for d in live.orders.find({"status": "paid"}, {"id": 1}).sort("id", direction)]


def order(live: MongoLive, order_id: int) -> dict[str, Any]:
    found = live.orders.find_one({"id": order_id})
    assert found is not None
    return found


def set_shipping(live: MongoLive, order_id: int, company: str | None, number: str | None) -> None:
    """Another writer (or the test's setup) changes an order: the version moves on."""
    live.orders.update_one({"id": order_id}, {"$set": {"shipping_company": company,
                                                        "shipping_tracking_number": number},
                                               "$inc": {"version": 1}})


# --- the page ------------------------------------------------------------------------------------


@pytest.fixture
def ops(page: Page, context: BrowserContext, mongo_live: MongoLive, artifacts: Path,
        request: pytest.FixtureRequest) -> Iterator[OpsPage]:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=mongo_live.url)
    ops_page = OpsPage(page, artifacts, request.node.originalname.removeprefix("test_"),
                        APP_PATH, shot_prefix="mongo_")
    yield ops_page.open(mongo_live.url)
    assert ops_page.problems == []


# --- tests ---------------------------------------------------------------------------------------


def test_ops_flow(ops: OpsPage, mongo_live: MongoLive) -> None:
    # The unshipped orders, 20 at a time, with a total: the same screen as on SQL.
    paid_asc = paid_ids(mongo_live)
    expect(ops.table.locator(".tabulator-col-title")).to_have_text(HEADERS)
    assert ops.ids() == paid_asc[:PAGE_SIZE]
    expect(ops.counter).to_contain_text(f"共 {len(paid_asc):,} 条")
    expect(ops.table.locator("img.tc-thumb")).to_have_count(PAGE_SIZE)
    ops.page.wait_for_function(
        "() => [...document.querySelectorAll('[data-widget=ordersTable] img.tc-thumb')]"
        ".every(img => img.complete && img.naturalWidth > 0)")
    ops.shot("01-loaded")

    # The next page and a sort by 订单号 come from MongoDB.
    ops.table.locator('.tabulator-page[data-page="next"]').click()
    expect(ops.first_id).to_have_text(str(paid_asc[PAGE_SIZE]))
    assert ops.ids() == paid_asc[PAGE_SIZE:2 * PAGE_SIZE]
    ops.shot("02-next-page")
    ops.table.locator('.tabulator-col[tabulator-field="id"]').click()
    expect(ops.first_id).to_have_text(str(max(paid_asc)))
    assert ops.ids() == paid_ids(mongo_live, -1)[:PAGE_SIZE]
    assert ops.sent("getOrders")[-1]["page"]["sort"] == [{"column": "id", "dir": "desc"}]
    ops.shot("03-sorted-desc")
    ops.table.locator('.tabulator-col[tabulator-field="id"]').click()
    expect(ops.first_id).to_have_text(str(paid_asc[0]))

    # An order that has a courier: the form is filled from the row; copy the address.
    with_courier, without_courier = paid_asc[3], paid_asc[5]
    set_shipping(mongo_live, with_courier, "SF", "SF1000000000001")
    set_shipping(mongo_live, without_courier, None, None)
    ops.reload()
    ops.select_order(with_courier)
    stored = order(mongo_live, with_courier)
    expect(ops.address).to_have_text(stored["address"])
    expect(ops.tracking).to_have_value("SF1000000000001")
    assert ops.courier_label() == "顺丰"
    expect(ops.cell(with_courier, "shipping_company")).to_have_text("顺丰")
    ops.shot("04-selected-with-courier")
    ops.copy_button.click()
    expect(ops.toast("info", "地址已复制")).to_be_visible()
    assert ops.page.evaluate("navigator.clipboard.readText()") == stored["address"]

    # An order without a courier: fill in and update; the button is busy meanwhile.
    ops.select_order(without_courier)
    target = order(mongo_live, without_courier)
    expect(ops.address).to_have_text(target["address"])
    expect(ops.tracking).to_have_value("")
    ops.shot("05-selected-without-courier")
    number = f"YT{int(time.time() * 1000) % 10**13:013d}"
    ops.courier.select_option(label="圆通")
    ops.tracking.fill(number)
    held: list[Route] = []
    ops.page.route("**/queries/updateOrder/run", lambda route: held.append(route))
    ops.update_button.click()
    expect(ops.update_button).to_be_disabled()
    ops.update_button.click(force=True)
    ops.page.wait_for_timeout(300)
    assert len(held) == 1
    ops.shot("06-update-in-flight")
    held[0].continue_()

    expect(ops.toast("success", "订单已更新")).to_be_visible()
    expect(ops.cell(without_courier, "shipping_company")).to_have_text("圆通")
    expect(ops.cell(without_courier, "shipping_tracking_number")).to_have_text(number)
    expect(ops.row(without_courier)).to_have_class(re.compile(r"\btabulator-selected\b"))
    expect(ops.update_button).to_be_enabled()
    # The browser sent the row's _id back as extended JSON, exactly as it received it.
    sent_row = ops.sent("updateOrder")[-1]["state"]["ordersTable"]["selectedRow"]
    assert sent_row["_id"] == {"$oid": str(target["_id"])}
    ops.shot("07-updated")
    saved = order(mongo_live, without_courier)
    assert (saved["shipping_company"], saved["shipping_tracking_number"]) == ("YTO", number)
    assert saved["version"] == target["version"] + 1 and saved["status"] == "paid"


def test_stale_update_is_refused_and_the_page_keeps_working(ops: OpsPage,
                                                            mongo_live: MongoLive) -> None:
    order_id = paid_ids(mongo_live)[9]
    set_shipping(mongo_live, order_id, None, None)
    ops.reload()
    ops.select_order(order_id)
    ops.courier.select_option(label="申通")
    ops.tracking.fill("STO-MINE-1")
    set_shipping(mongo_live, order_id, "JD", "JD-OTHER-1")  # a colleague saves first
    with ops.page.expect_response("**/queries/updateOrder/run") as answer:
        ops.update_button.click()
    assert answer.value.status == 409
    expect(ops.toast("error", "该订单刚被他人修改")).to_be_visible()
    expect(ops.cell(order_id, "shipping_company")).to_have_text("京东")
    expect(ops.tracking).to_have_value("JD-OTHER-1")
    ops.shot("01-conflict")
    kept = order(mongo_live, order_id)
    assert (kept["shipping_company"], kept["shipping_tracking_number"]) == ("JD", "JD-OTHER-1")

    ops.courier.select_option(label="申通")
    ops.tracking.fill("STO-MINE-2")
    ops.update_button.click()
    expect(ops.toast("success", "订单已更新")).to_be_visible()
    expect(ops.cell(order_id, "shipping_company")).to_have_text("申通")
    saved = order(mongo_live, order_id)
    assert saved["shipping_tracking_number"] == "STO-MINE-2"
    assert saved["version"] == kept["version"] + 1
    ops.shot("02-saved-after-conflict")


def test_a_tampered_request_cannot_inject_operators(ops: OpsPage, mongo_live: MongoLive) -> None:
    order_id = paid_ids(mongo_live)[11]
    before = list(mongo_live.orders.find({}, {"shipping_tracking_number": 1}).sort("id"))
    ops.select_order(order_id)
    ops.courier.select_option(label="韵达")
    ops.tracking.fill("YD-EVIL-1")

    def tamper(route: Route) -> None:  # what a user with devtools could send instead
        body = json.loads(route.request.post_data or "{}")
        body["state"]["ordersTable"]["selectedRow"]["_id"] = {"$ne": None}
        route.continue_(post_data=json.dumps(body))

    ops.page.route("**/queries/updateOrder/run", tamper)
    with ops.page.expect_response("**/queries/updateOrder/run") as answer:
        ops.update_button.click()
    assert answer.value.status == 400
    expect(ops.toast("error", "cannot carry MongoDB operators")).to_be_visible()
    expect(ops.update_button).to_be_enabled()
    ops.shot("01-refused")
    assert list(mongo_live.orders.find({}, {"shipping_tracking_number": 1}).sort("id")) == before


def test_database_down_then_back(ops: OpsPage, mongo_live: MongoLive) -> None:
    order_id = paid_ids(mongo_live)[13]
    ops.expected_console.append("Data Load Error")  # Tabulator logs the failed reload
    ops.select_order(order_id)
    ops.courier.select_option(label="德邦")
    ops.tracking.fill("DBL-DOWN-1")
    with mongo_live.demo.server.down():
        with ops.page.expect_response("**/queries/updateOrder/run") as answer:
            ops.update_button.click()
        assert answer.value.status == 502
        # The app's onError shows the server's message and reloads: the table says so too.
        expect(ops.toast("error", "cannot connect to data source 'shop_mongo'")).to_be_visible()
        expect(ops.banner.locator(".tc-table__error-text")).to_contain_text("connection refused")
        expect(ops.update_button).to_be_enabled()
        ops.shot("01-down")
    # MongoDB is back: 重试 loads the rows, and the same update goes through.
    ops.banner.get_by_role("button", name="重试").click()
    expect(ops.rows).to_have_count(PAGE_SIZE)
    expect(ops.banner).to_be_hidden()
    ops.select_order(order_id)
    ops.courier.select_option(label="德邦")
    ops.tracking.fill("DBL-BACK-1")
    ops.update_button.click()
    expect(ops.toast("success", "订单已更新")).to_be_visible()
    expect(ops.cell(order_id, "shipping_tracking_number")).to_have_text("DBL-BACK-1")
    ops.shot("02-back")
    assert order(mongo_live, order_id)["shipping_company"] == "DBL"
