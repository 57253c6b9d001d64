"""The order-shipping screen (on SQL or MongoDB), seen through what a user can read and click.

Shared by tests/browser/test_browser_ops_flow.py and test_browser_mongo_flow.py: both apps show
the same widgets, so one page object serves both.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, Request, expect

from tests.auth_helpers import DEMO_OPERATOR_PASSWORD
from tests.browser.signin import sign_in

HEADERS = ["订单号", "产品图片", "产品名", "快递公司", "快递单号", "地址"]
PAGE_SIZE = 20


class OpsPage:
    """The demo operator on an order-shipping app at ``app_path``; screenshots are named
    ``<shot_prefix><name>-<label>.png`` in ``artifacts``."""

    def __init__(self, page: Page, artifacts: Path, name: str, app_path: str,
                 shot_prefix: str = "") -> None:
        self.page = page
        self.artifacts = artifacts
        self.name = name
        self.app_path = app_path
        self.shot_prefix = shot_prefix
        self.requests: list[Request] = []
        self.problems: list[str] = []
        self.expected_console: list[str] = []  # console errors a test expects (prefixes)
        page.on("request", self._record)
        page.on("pageerror", lambda err: self.problems.append(f"page error: {err}"))
        page.on("console", self._console)

    def _record(self, request: Request) -> None:
        if "/queries/" in request.url:
            self.requests.append(request)

    def _console(self, message: Any) -> None:
        # The browser logs every 4xx/5xx answer as an error; those are expected here.
        if message.type == "error" and "Failed to load resource" not in message.text \
                and not any(message.text.startswith(p) for p in self.expected_console):
            self.problems.append(f"console error: {message.text}")

    def open(self, base_url: str) -> OpsPage:
        sign_in(self.page, base_url, "ops", DEMO_OPERATOR_PASSWORD, self.app_path)
        expect(self.rows).to_have_count(PAGE_SIZE)
        return self

    def reload(self) -> None:
        self.page.reload()
        expect(self.rows).to_have_count(PAGE_SIZE)

    def shot(self, label: str) -> None:
        self.page.screenshot(
            path=str(self.artifacts / f"{self.shot_prefix}{self.name}-{label}.png"),
            animations="disabled")

    def sent(self, query: str) -> list[dict[str, Any]]:
        return [json.loads(r.post_data or "{}") for r in self.requests
                if r.url.endswith(f"/queries/{query}/run")]

    # widgets
    @property
    def table(self) -> Locator:
        return self.page.locator('[data-widget="ordersTable"]')

    @property
    def rows(self) -> Locator:
        return self.table.locator(".tabulator-row")

    def row(self, order_id: int) -> Locator:
        id_cell = self.page.locator('.tabulator-cell[tabulator-field="id"]',
                                    has_text=re.compile(rf"^\s*{order_id}\s*$"))
        return self.rows.filter(has=id_cell)

    def cell(self, order_id: int, field: str) -> Locator:
        return self.row(order_id).locator(f'.tabulator-cell[tabulator-field="{field}"]')

    def ids(self) -> list[int]:
        cells = self.rows.locator('.tabulator-cell[tabulator-field="id"]')
        return [int(t) for t in cells.all_inner_texts()]

    @property
    def first_id(self) -> Locator:
        return self.rows.first.locator('.tabulator-cell[tabulator-field="id"]')

    @property
    def counter(self) -> Locator:
        return self.table.locator(".tabulator-page-counter")

    @property
    def banner(self) -> Locator:
        return self.table.locator(".tc-table__error")

    @property
    def address(self) -> Locator:
        return self.page.locator('[data-widget="addressText"] .tc-text__body')

    @property
    def copy_button(self) -> Locator:
        return self.page.locator('[data-widget="copyAddress"] button')

    @property
    def courier(self) -> Locator:
        return self.page.locator('[data-widget="shippingCompany"] select')

    @property
    def tracking(self) -> Locator:
        return self.page.locator('[data-widget="shippingNumberInput"] input')

    @property
    def tracking_error(self) -> Locator:
        return self.page.locator('[data-widget="shippingNumberInput"] .tc-field__error')

    @property
    def update_button(self) -> Locator:
        return self.page.locator('[data-widget="updateButton"] button')

    def toast(self, kind: str, message: str | re.Pattern[str]) -> Locator:
        return self.page.locator(f".tc-toast--{kind}", has_text=message)

    def courier_label(self) -> str:
        return self.courier.evaluate("s => s.options[s.selectedIndex].text")

    def select_order(self, order_id: int) -> None:
        # Click a cell, not the row's centre: that can be a column's resize handle.
        self.cell(order_id, "product_name").click()
        expect(self.row(order_id)).to_have_class(re.compile(r"\btabulator-selected\b"))
