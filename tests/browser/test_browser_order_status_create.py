"""The bundled order-status and order-create apps in real headless Chromium.

This module sets up its own small demo instance (not the session-wide one) whose apps folder
holds the flagship and the two apps under test, served from a thread, and signs in as the demo
operator as a person does: move a paid order to shipped and then completed (the history shows
both changes with the user; a button for an illegal transition is disabled), then create an
order and watch the stock drop, and ask for more than the stock left (refused, nothing changes).
Screenshots: tests/artifacts/browser/order_status_*.png, order_create_*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.auth_helpers import DEMO_OPERATOR_PASSWORD
from tests.browser.signin import sign_in
from tests.conftest import serving
from tests.dbservers import run_sql
from tests.report_apps import report_instance

pytestmark = pytest.mark.browser

BUNDLED = ("order_shipping.yaml", "order_status.yaml", "order_create.yaml")
CUSTOMER = "浏览器测试客户"


@dataclass
class Site:
    url: str
    shop_url: str
    order_id: int  # a paid order, the newest one (first in the status app's table)

    def shop(self, sql: str, **params: Any) -> list[Any]:
        return run_sql(self.shop_url, sql, **params)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    app, shop_url = report_instance(tmp_path_factory.mktemp("oms_status_create"), orders=120,
                                    bundled=BUNDLED)
    site = Site("", shop_url, 0)
    site.shop("INSERT INTO orders (customer_name, phone, address, product_name, product_image, "
              "sku, quantity, amount, status, created_at, version) VALUES (:c, '13700000000', "
              "'南京市鼓楼区七号', '测试商品', '/static/demo/products/BTL-750.svg', 'BTL-750', "
              "1, 88, 'paid', '2026-11-22 08:00:00', 1)", c=CUSTOMER)
    order_id = site.shop("SELECT MAX(id) FROM orders")[0][0]
    site.shop("INSERT INTO order_status_history (order_id, from_status, to_status, changed_by, "
              "changed_at) VALUES (:o, NULL, 'pending_payment', 'customer', '2026-11-22 08:00:00'),"
              " (:o, 'pending_payment', 'paid', 'customer', '2026-11-22 08:05:00')", o=order_id)
    with serving(app) as url:
        yield Site(url, shop_url, order_id)
    app.extensions["toolcrib"].close()


def widget(page: Page, name: str) -> Locator:
    return page.locator(f'[data-widget="{name}"]')


def control(page: Page, name: str) -> Locator:
    """The form control of an input or select widget."""
    return page.locator(f"#tc-w-{name}")


def toast(page: Page, words: str) -> Locator:
    return page.locator(".tc-toast", has_text=words)


def test_move_an_order_paid_shipped_completed(site: Site, page: Page, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    sign_in(page, site.url, "ops", DEMO_OPERATOR_PASSWORD, "/apps/order-status")
    orders = widget(page, "ordersTable")
    first = orders.locator(".tabulator-row").first
    expect(first.locator('[tabulator-field="id"]')).to_have_text(str(site.order_id))
    expect(first.locator('[tabulator-field="status"]')).to_have_text("已付款")
    for name in ("付款确认", "发货", "完成", "取消"):  # nothing selected: nothing to do
        expect(page.get_by_role("button", name=name, exact=True)).to_be_disabled()

    first.click()
    expect(widget(page, "statusText")).to_contain_text("已付款")
    expect(widget(page, "selectedText")).to_contain_text(f"#{site.order_id}")
    history = widget(page, "historyTable").locator(".tabulator-row")
    expect(history).to_have_count(2)
    # Paid: shipping and cancelling are allowed; paying again and completing are not.
    expect(page.get_by_role("button", name="付款确认", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="完成", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="取消", exact=True)).to_be_enabled()
    control(page, "shippingCompany").select_option(label="顺丰")
    control(page, "trackingInput").fill("SF1234567890")
    page.screenshot(path=str(artifacts / "order_status_paid.png"), full_page=True)
    page.get_by_role("button", name="发货", exact=True).click()
    expect(toast(page, "已发货")).to_be_visible()
    expect(widget(page, "statusText")).to_contain_text("已发货")
    expect(first.locator('[tabulator-field="status"]')).to_have_text("已发货")
    expect(page.get_by_role("button", name="发货", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="取消", exact=True)).to_be_disabled()
    expect(history).to_have_count(3)

    page.get_by_role("button", name="完成", exact=True).click()
    expect(toast(page, "订单已完成")).to_be_visible()
    expect(widget(page, "statusText")).to_contain_text("已完成")
    expect(history).to_have_count(4)
    expect(history.nth(2)).to_contain_text("已付款")
    expect(history.nth(2)).to_contain_text("已发货")
    expect(history.nth(2).locator('[tabulator-field="changed_by"]')).to_have_text("ops")
    expect(history.nth(3).locator('[tabulator-field="to_status"]')).to_have_text("已完成")
    expect(history.nth(3).locator('[tabulator-field="changed_by"]')).to_have_text("ops")
    for name in ("付款确认", "发货", "完成", "取消"):  # completed is final
        expect(page.get_by_role("button", name=name, exact=True)).to_be_disabled()
    page.screenshot(path=str(artifacts / "order_status_completed.png"), full_page=True)

    rows = site.shop("SELECT from_status, to_status, changed_by FROM order_status_history "
                     "WHERE order_id = :o ORDER BY id", o=site.order_id)
    assert [tuple(r) for r in rows][2:] == [("paid", "shipped", "ops"),
                                            ("shipped", "completed", "ops")]
    order = site.shop("SELECT status, shipping_company, shipping_tracking_number FROM orders "
                      "WHERE id = :o", o=site.order_id)[0]
    assert tuple(order) == ("completed", "SF", "SF1234567890")

    # The filter: only completed orders, shown with their Chinese label.
    control(page, "statusFilter").select_option(label="已完成")
    status_cells = orders.locator('.tabulator-row [tabulator-field="status"]')
    expect(status_cells.first).to_have_text("已完成")
    assert set(status_cells.all_inner_texts()) == {"已完成"}
    assert errors == []


def test_create_an_order_then_run_out_of_stock(site: Site, page: Page, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    # A product on the first page of the product list (sorted by name).
    sku, name, stock = site.shop("SELECT sku, name, stock FROM products WHERE stock BETWEEN 5 "
                                 "AND 400 ORDER BY name LIMIT 1")[0]
    before = site.shop("SELECT COUNT(*) FROM orders")[0][0]
    sign_in(page, site.url, "ops", DEMO_OPERATOR_PASSWORD, "/apps/order-create")
    expect(widget(page, "productsTable").locator(".tabulator-row").first).to_be_visible()
    expect(page.get_by_role("button", name="创建订单")).to_be_disabled()

    control(page, "productSelect").select_option(label=name)
    info = widget(page, "productInfo")
    expect(info).to_contain_text(f"库存 {stock} 件")
    control(page, "quantity").fill("2")
    control(page, "customerName").fill("钱七")
    control(page, "phone").fill("13911112222")
    control(page, "address").fill("成都市武侯区八号")
    page.screenshot(path=str(artifacts / "order_create_form.png"), full_page=True)
    page.get_by_role("button", name="创建订单").click()
    expect(toast(page, "已创建订单 #")).to_be_visible()
    expect(info).to_contain_text(f"库存 {stock - 2} 件")
    new_id, customer, amount = site.shop("SELECT id, customer_name, amount FROM orders "
                                         "ORDER BY id DESC LIMIT 1")[0]
    assert customer == "钱七" and site.shop("SELECT COUNT(*) FROM orders")[0][0] == before + 1
    expect(toast(page, f"#{new_id}")).to_be_visible()
    price = site.shop("SELECT price FROM products WHERE sku = :s", s=sku)[0][0]
    assert round(float(amount), 2) == round(float(price) * 2, 2)
    assert site.shop("SELECT stock FROM products WHERE sku = :s", s=sku)[0][0] == stock - 2
    # The product list shows the new stock too (sorted by name, the row of the product).
    product_row = widget(page, "productsTable").locator(".tabulator-row", has_text=sku)
    expect(product_row.locator('[tabulator-field="stock"]')).to_have_text(str(stock - 2))
    page.screenshot(path=str(artifacts / "order_create_done.png"), full_page=True)

    # More than is left: refused with the reason, nothing written. (The product is picked
    # again by clicking its row in the list, which sets the select.)
    control(page, "productSelect").select_option(label="选择商品")
    expect(info).to_have_text(re.compile(r"^\s*单价 / 当前库存\s*选择商品后显示单价和库存\s*$"))
    product_row.click()
    expect(control(page, "productSelect").locator("option:checked")).to_have_text(name)
    expect(info).to_contain_text(f"库存 {stock - 2} 件")
    control(page, "customerName").fill("孙八")
    control(page, "phone").fill("13911113333")
    control(page, "address").fill("西安市雁塔区九号")
    control(page, "quantity").fill(str(stock - 1))
    page.get_by_role("button", name="创建订单").click()
    expect(toast(page, "库存不足")).to_be_visible()
    expect(info).to_contain_text(f"库存 {stock - 2} 件")
    page.screenshot(path=str(artifacts / "order_create_refused.png"), full_page=True)
    assert site.shop("SELECT stock FROM products WHERE sku = :s", s=sku)[0][0] == stock - 2
    assert site.shop("SELECT COUNT(*) FROM orders")[0][0] == before + 1
    assert errors == []
