"""The order-import app in real Chromium: a bad file shows its problems, a good one imports.

The app (apps/order_import.yaml) is published into this module's own instance with a SQLite
shop, served from a thread. Upload a file with bad rows → the problems table lists their lines
and nothing is inserted; upload a good file → a toast with the count and exactly that many new
orders. Screenshots: tests/artifacts/browser/order_import_*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.signin import sign_in
from tests.conftest import make_toolcrib_app, serving
from tests.import_app import (
    SLUG,
    csv_bytes,
    good_rows,
    make_shop,
    order_count,
    publish_import_app,
)

pytestmark = pytest.mark.browser
PASSWORD = "ops-pass-123"


@dataclass
class Site:
    url: str
    shop_url: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    instance = tmp_path_factory.mktemp("order_import") / "instance"
    instance.mkdir(parents=True)
    shop_url = f"sqlite:///{instance / 'shop.db'}"
    make_shop(shop_url)
    app = make_toolcrib_app(instance)
    publish_import_app(app, shop_url, password=PASSWORD)
    with serving(app) as url:
        yield Site(url, shop_url)
    app.extensions["toolcrib"].close()


def choose(page: Page, name: str, data: bytes) -> None:
    page.locator('[data-widget="orderFile"] input[type="file"]').set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data})


def test_bad_file_shows_problems_then_good_file_imports(site: Site, page: Page,
                                                        artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    sign_in(page, site.url, "ops", PASSWORD, f"/apps/{SLUG}")
    button = page.get_by_role("button", name="导入", exact=True)
    expect(button).to_be_disabled()  # no file yet
    table = page.locator('[data-widget="problemsTable"]')
    expect(table).to_be_hidden()
    before = order_count(site.shop_url)

    rows = good_rows(12)
    rows[2][4] = "三"        # line 4: 数量
    rows[6][0] = ""          # line 8: 客户
    rows[10][6] = "已退款"    # line 12: 状态
    choose(page, "bad.csv", csv_bytes(rows))
    expect(page.locator(".tc-fileinput__info")).to_contain_text(" B")
    assert page.evaluate("Toolcrib.app.store.widget('orderFile')")["fileName"] == "bad.csv"
    expect(button).to_be_enabled()
    button.click()
    expect(table).to_be_visible()
    lines = table.locator('.tabulator-row [tabulator-field="line"]')
    expect(lines).to_have_count(3)
    assert lines.all_inner_texts() == ["4", "8", "12"]
    expect(table.locator('.tabulator-row [tabulator-field="column"]')).to_have_text(
        ["数量", "客户", "状态"])
    expect(table.locator('.tabulator-row [tabulator-field="code"]').first).to_have_text(
        "格式不对")
    expect(page.locator(".tc-toast")).to_contain_text("整个文件都没有导入")
    expect(page.locator('[data-widget="problemsText"]')).to_contain_text("共 3 处问题")
    assert order_count(site.shop_url) == before
    page.screenshot(path=str(artifacts / "order_import_problems.png"), full_page=True)

    choose(page, "good.csv", csv_bytes(good_rows(25, start=100)))
    button.click()
    expect(page.locator(".tc-toast").filter(has_text="已导入 25 条订单")).to_be_visible()
    expect(table).to_be_hidden()
    expect(page.locator('[data-widget="resultText"]')).to_contain_text("25 条订单")
    assert order_count(site.shop_url) == before + 25
    expect(button).to_be_disabled()  # the file input was reset
    page.screenshot(path=str(artifacts / "order_import_done.png"), full_page=True)
    assert errors == []


def test_a_wrong_file_type_is_refused_in_the_page(site: Site, page: Page) -> None:
    sign_in(page, site.url, "ops", PASSWORD, f"/apps/{SLUG}")
    choose(page, "orders.pdf", b"%PDF-1.4")
    expect(page.locator('[data-widget="orderFile"] .tc-field__error')).to_contain_text(
        "只能选择 .csv / .xlsx 文件")
    expect(page.get_by_role("button", name="导入", exact=True)).to_be_disabled()
