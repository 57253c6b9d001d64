"""Date range → server-filtered table, row highlighting rules, CSV export, in real Chromium.

The app (tests/export_app.py) is published into this module's own small demo instance, served
from a thread: pick a date range, filter the table by status, check which rows carry the
highlight class, click Export and read the downloaded CSV. Screenshot: /tmp/shots_daterange.png
(and tests/artifacts/browser/).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.auth_helpers import DEMO_OPERATOR_PASSWORD
from tests.browser.signin import sign_in
from tests.conftest import make_demo_app, serving
from tests.dbservers import run_sql
from tests.export_app import SLUG, SOURCE, publish_export_app

pytestmark = pytest.mark.browser

SHOT = Path("/tmp/shots_daterange.png")


class Site:
    def __init__(self, url: str, shop_url: str, threshold: float) -> None:
        self.url = url
        self.shop_url = shop_url
        self.threshold = threshold

    def shop(self, sql: str, **params: Any) -> list[Any]:
        return run_sql(self.shop_url, sql, **params)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    instance = tmp_path_factory.mktemp("daterange") / "instance"
    app = make_demo_app(instance, orders=300)
    tc = app.extensions["toolcrib"]
    shop_url = f"sqlite:///{instance / 'shop.db'}"
    amounts = sorted(float(a) for (a,) in run_sql(shop_url, "SELECT amount FROM orders"))
    threshold = amounts[len(amounts) // 2]  # about half the rows are "danger"
    publish_export_app(app, source=SOURCE.replace("row.amount >= 500",
                                                  f"row.amount >= {threshold}"))
    with serving(app) as url:
        yield Site(url, shop_url, threshold)
    tc.close()


def counter(page: Page) -> Any:
    return page.locator(".tabulator-page-counter")


def test_pick_a_range_filter_highlight_and_export(site: Site, page: Page,
                                                  artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    sign_in(page, site.url, "ops", DEMO_OPERATOR_PASSWORD, f"/apps/{SLUG}")
    expect(counter(page)).to_contain_text("共 300 条")

    first_day = date.fromisoformat(site.shop("SELECT date(min(created_at)) FROM orders")[0][0])
    start, end = first_day + timedelta(days=20), first_day + timedelta(days=40)
    page.get_by_label("结束日期").fill(end.isoformat())
    page.get_by_label("开始日期").fill(start.isoformat())
    in_range = site.shop("SELECT id, amount, status FROM orders WHERE created_at >= :s AND "
                         "created_at < :e ORDER BY id", s=start.isoformat(),
                         e=(end + timedelta(days=1)).isoformat())
    assert 10 < len(in_range) < 300
    expect(counter(page)).to_contain_text(f"共 {len(in_range)} 条")

    # Narrow on the server with the table's own header filter (status contains "paid").
    page.locator('.tabulator-col[tabulator-field="status"] input').press_sequentially("paid")
    wanted = [r for r in in_range if "paid" in r.status]
    assert len(wanted) > 10  # more than one page of the table
    expect(counter(page)).to_contain_text(f"共 {len(wanted)} 条")

    # Highlighting: amount >= threshold → danger (no cancelled rows left after the filter).
    rows = page.locator(".tabulator-row")
    expect(rows).to_have_count(10)
    shown = {int(rows.nth(i).locator('[tabulator-field="id"]').inner_text()):
             rows.nth(i).get_attribute("class") or "" for i in range(10)}
    expected = {r.id: float(r.amount) >= site.threshold for r in wanted[:10]}
    assert set(shown) == set(expected)
    assert {i: "tc-row--danger" in cls for i, cls in shown.items()} == expected
    assert any(expected.values()) and not all(expected.values())
    page.screenshot(path=str(SHOT), full_page=True)
    page.screenshot(path=str(artifacts / "daterange_highlight.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_role("button", name="导出 CSV").click()
    download = info.value
    assert download.suggested_filename == f"orders-{start.isoformat()}.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert table[0] == ["订单号", "客户", "金额", "状态", "下单时间"]
    assert [int(r[0]) for r in table[1:]] == [r.id for r in wanted]  # every page, id order
    expect(page.locator(".tc-toast")).to_contain_text("已导出")

    # A preset sets both inputs and the state the query reads.
    page.get_by_role("button", name="今天").click()
    today = date.today().isoformat()
    expect(page.get_by_label("开始日期")).to_have_value(today)
    expect(page.get_by_label("结束日期")).to_have_value(today)
    state = page.evaluate("Toolcrib.app.store.widget('dates')")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert state == {"start": today, "end": today, "endExclusive": tomorrow}
    assert errors == []
