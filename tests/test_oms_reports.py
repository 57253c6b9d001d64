"""The inventory and dashboard apps (apps/inventory.yaml, apps/dashboard.yaml) against Python.

Every figure the apps' queries compute on the server (counts per status, orders and revenue per
day, average order value, repeat-purchase rate, low-stock counts) is compared with the same
figure computed here in plain Python over the rows of the same database. The read-only checks
run on the session-wide demo through the real run API; ``updateStock`` writes, so it runs on a
throwaway demo instance of its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from flask import Flask

from builder.appspec import AppSpec, load_app
from builder.config import PROJECT_ROOT
from builder.demo.shop_schema import STATUS_LABELS
from tests.auth_helpers import bearer, token_for
from tests.conftest import Demo
from tests.dbservers import run_sql
from tests.report_apps import report_instance
from widgets import build_registry

APPS = PROJECT_ROOT / "apps"
VALID = ("paid", "shipped", "completed")  # paid and not cancelled: what revenue counts
CENT = Decimal("0.01")


def bundled(name: str) -> AppSpec:
    """An app of apps/, parsed and validated by builder.appspec."""
    path = APPS / name
    return load_app(path.read_text(encoding="utf-8"), str(path), widgets=build_registry())


@dataclass
class Shop:
    """A Toolcrib instance with the demo apps and the URL of its shop database."""

    app: Flask
    shop_url: str

    def run(self, slug: str, query: str, state: dict[str, Any] | None = None,
            page: dict[str, Any] | None = None) -> Any:
        body: dict[str, Any] = {"state": state or {}}
        if page is not None:
            body["page"] = page
        return self.app.test_client().post(f"/api/apps/{slug}/queries/{query}/run", json=body,
                                           headers=bearer(token_for(self.app, "ops")))

    def ok(self, slug: str, query: str, state: dict[str, Any] | None = None,
           page: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.run(slug, query, state, page)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def sql(self, statement: str, **params: Any) -> list[Any]:
        return run_sql(self.shop_url, statement, **params)


@pytest.fixture(scope="module")
def shared(demo: Demo) -> Shop:
    return Shop(demo.app, demo.shop_url)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """A demo instance of its own (300 orders) that the writing tests may change."""
    app, shop_url = report_instance(tmp_path_factory.mktemp("oms_reports"))
    yield Shop(app, shop_url)
    app.extensions["toolcrib"].close()


# -- independent figures ------------------------------------------------------------------------

def as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def dates_state(start: date, end: date) -> dict[str, Any]:
    """What the daterange widget sends for [start, end] (end inclusive)."""
    return {"dates": {"start": start.isoformat(), "end": end.isoformat(),
                      "endExclusive": (end + timedelta(days=1)).isoformat()}}


def period_facts(shop: Shop, start: date, end: date) -> dict[str, Any]:
    """The dashboard's figures for [start, end], computed in Python over the raw rows."""
    rows = [r for r in shop.sql("SELECT phone, status, amount, created_at FROM orders")
            if start <= as_datetime(r.created_at).date() <= end]
    statuses = Counter(r.status for r in rows)
    valid = [r for r in rows if r.status in VALID]
    revenue = sum((Decimal(str(r.amount)) for r in valid), Decimal(0))
    per_day: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for r in rows:
        day = per_day[as_datetime(r.created_at).date().isoformat()]
        day[0] += 1
        if r.status in VALID:
            day[1] += Decimal(str(r.amount))
    orders_per_phone = Counter(r.phone for r in valid)
    repeaters = sum(1 for n in orders_per_phone.values() if n >= 2)
    return {
        "orders": len(rows),
        "statuses": {status: statuses.get(status, 0) for status in STATUS_LABELS},
        "cancelled_pct": round(100 * statuses["cancelled"] / len(rows), 1) if rows else None,
        "paid_orders": len(valid),
        "revenue": revenue,
        "avg_order_value": (revenue / len(valid)).quantize(CENT, ROUND_HALF_UP) if valid else None,
        "customers": len(orders_per_phone),
        "repeat_customers": repeaters,
        "repeat_rate": repeaters / len(orders_per_phone) if orders_per_phone else None,
        "days": [(day, n, amount) for day, (n, amount) in sorted(per_day.items())],
    }


def data_period(shop: Shop, days: int) -> tuple[date, date]:
    last = max(as_datetime(v).date() for (v,) in shop.sql("SELECT created_at FROM orders"))
    return last - timedelta(days=days - 1), last


def assert_dashboard_matches(shop: Shop, start: date, end: date) -> dict[str, Any]:
    facts = period_facts(shop, start, end)
    state = dates_state(start, end)
    summary = shop.ok("dashboard", "summary", state)["rows"]
    assert len(summary) == 1
    row = summary[0]
    assert row["orders"] == facts["orders"]
    assert {status: row[status] for status in STATUS_LABELS} == facts["statuses"]
    assert row["paid_orders"] == facts["paid_orders"]
    assert row["revenue"] == pytest.approx(float(facts["revenue"]), abs=0.005)
    if facts["avg_order_value"] is None:
        assert row["avg_order_value"] is None and row["cancelled_pct"] is None
    else:
        assert row["avg_order_value"] == pytest.approx(float(facts["avg_order_value"]), abs=1e-9)
        assert row["cancelled_pct"] == pytest.approx(facts["cancelled_pct"])

    customers = shop.ok("dashboard", "customers", state)["rows"][0]
    assert customers["customers"] == facts["customers"]
    assert customers["repeat_customers"] == facts["repeat_customers"]
    if facts["repeat_rate"] is None:
        assert customers["repeat_rate"] is None
    else:
        assert customers["repeat_rate"] == pytest.approx(facts["repeat_rate"])

    per_day = shop.ok("dashboard", "ordersPerDay", state)
    assert not per_day.get("truncated")
    got = [(r["day"], r["orders"], r["revenue"]) for r in per_day["rows"]]
    assert [(d, n) for d, n, _ in got] == [(d, n) for d, n, _ in facts["days"]]
    assert [amount for _, _, amount in got] == pytest.approx(
        [float(amount) for _, _, amount in facts["days"]], abs=0.005)
    return facts


# -- the dashboard ------------------------------------------------------------------------------

def test_the_bundled_apps_load_and_the_demo_grants_them(shared: Shop) -> None:
    inventory = bundled("inventory.yaml")
    dashboard = bundled("dashboard.yaml")
    assert (inventory.slug, inventory.title) == ("inventory", "库存")
    assert (dashboard.slug, dashboard.title) == ("dashboard", "运营看板")
    client = shared.app.test_client()
    headers = bearer(token_for(shared.app, "ops"))
    for slug in ("inventory", "dashboard"):
        assert client.get(f"/apps/{slug}", headers=headers).status_code == 200


def test_default_range_is_the_last_30_days_of_the_demo_data(shared: Shop) -> None:
    """The dashboard opens on a range that has data: the 30 days the demo's orders end with."""
    widget = bundled("dashboard.yaml").widget("dates")
    start, end = date.fromisoformat(widget.props["start"]), date.fromisoformat(widget.props["end"])
    assert (start, end) == data_period(shared, 30)
    facts = assert_dashboard_matches(shared, start, end)
    assert facts["orders"] > 300 and all(facts["statuses"].values())
    assert len(facts["days"]) == 30


@pytest.mark.parametrize("period", ["last7", "october", "first-day", "empty"])
def test_dashboard_figures_equal_python_over_the_same_rows(shared: Shop, period: str) -> None:
    start, end = {
        "last7": data_period(shared, 7),
        "october": (date(2026, 10, 1), date(2026, 10, 31)),
        "first-day": (data_period(shared, 90)[0],) * 2,
        "empty": (date(2025, 1, 1), date(2025, 1, 31)),
    }[period]
    facts = assert_dashboard_matches(shared, start, end)
    assert (facts["orders"] == 0) == (period == "empty")


def test_repeat_rate_counts_phones_with_two_or_more_paid_orders(scratch: Shop) -> None:
    """The seed gives every order its own phone; make some customers come back and recount."""
    scratch.sql("UPDATE orders SET phone = '1380000' || (id % 37) WHERE id % 3 = 0")
    start, end = data_period(scratch, 60)
    facts = assert_dashboard_matches(scratch, start, end)
    assert 0 < facts["repeat_customers"] < facts["customers"]
    assert 0 < facts["repeat_rate"] < 1
    # A cancelled or unpaid order is not a purchase: only paid orders make a repeat customer.
    unpaid = scratch.sql("SELECT phone FROM orders WHERE status NOT IN ('paid', 'shipped', "
                         "'completed') AND created_at >= :s", s=start.isoformat())
    assert unpaid, "the period should hold some unpaid or cancelled orders"


def test_dashboard_refuses_a_range_that_is_not_dates(shared: Shop) -> None:
    state = {"dates": {"start": "2026-10-01' OR '1'='1", "end": "2026-10-31",
                       "endExclusive": "2026-11-01"}}
    response = shared.run("dashboard", "summary", state)
    assert response.status_code == 400
    assert "dates.start" in response.get_json()["error"]["message"]


# -- inventory ----------------------------------------------------------------------------------

def inventory_facts(shop: Shop) -> dict[str, Any]:
    products = shop.sql("SELECT sku, stock, low_stock_threshold FROM products")
    return {"skus": len(products), "units": sum(p.stock for p in products),
            "low": sorted(p.sku for p in products if p.stock < p.low_stock_threshold),
            "out": sorted(p.sku for p in products if p.stock <= 0)}


def all_products(shop: Shop, show: str = "all") -> list[dict[str, Any]]:
    body = shop.ok("inventory", "getProducts", {"stockFilter": {"value": show}},
                   page={"size": 500, "number": 1, "sort": [{"column": "sku", "dir": "asc"}]})
    assert body["total"] == len(body["rows"])
    return body["rows"]


def assert_inventory_matches(shop: Shop) -> dict[str, Any]:
    facts = inventory_facts(shop)
    summary = shop.ok("inventory", "inventorySummary")["rows"][0]
    assert summary == {"skus": facts["skus"], "units": facts["units"],
                       "low": len(facts["low"]), "out_of_stock": len(facts["out"])}
    rows = all_products(shop)
    assert len(rows) == facts["skus"]
    assert set(rows[0]) == {"sku", "image", "name", "price", "stock", "low_stock_threshold",
                            "updated_at"}
    assert [r["sku"] for r in all_products(shop, "low")] == facts["low"]
    return facts


def test_inventory_counts_and_low_stock_filter(shared: Shop) -> None:
    facts = assert_inventory_matches(shared)
    assert facts["low"]  # the seed starts a few SKUs below their threshold
    assert facts["units"] > 1000


def product_row(shop: Shop, sku: str) -> dict[str, Any]:
    return next(r for r in all_products(shop) if r["sku"] == sku)


def stock_state(row: dict[str, Any], stock: Any, threshold: Any) -> dict[str, Any]:
    return {"productsTable": {"selectedRow": row}, "newStock": {"value": stock},
            "newThreshold": {"value": threshold}}


def test_update_stock_sets_the_level_and_refuses_a_stale_row(scratch: Shop) -> None:
    before = assert_inventory_matches(scratch)
    sku = next(s for s in ("CUP-500", "MOU-WL02", "PB-10K") if s not in before["low"])
    row = product_row(scratch, sku)

    done = scratch.ok("inventory", "updateStock", stock_state(row, 0, 15))
    assert done["rowcount"] == 1
    stored = scratch.sql("SELECT stock, low_stock_threshold FROM products WHERE sku = :s", s=sku)
    assert tuple(stored[0]) == (0, 15)
    after = assert_inventory_matches(scratch)
    assert after["low"] == sorted([*before["low"], sku])
    assert after["out"] == sorted({*before["out"], sku})
    assert after["units"] == before["units"] - row["stock"]

    # The row as it was shown before: an order (or a colleague) changed it since → refused.
    stale = scratch.run("inventory", "updateStock", stock_state(row, 99, 15))
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "row_count_mismatch"
    assert "刚被修改" in error["message"]
    assert tuple(scratch.sql("SELECT stock FROM products WHERE sku = :s", s=sku)[0]) == (0,)

    fresh = product_row(scratch, sku)
    scratch.ok("inventory", "updateStock", stock_state(fresh, "120", "10"))  # numeric text is fine
    assert tuple(scratch.sql("SELECT stock, low_stock_threshold FROM products WHERE sku = :s",
                             s=sku)[0]) == (120, 10)
    assert assert_inventory_matches(scratch)["low"] == before["low"]


@pytest.mark.parametrize(("stock", "threshold"),
                         [(-1, 10), (5, 0), (2.5, 10), (5, 1.5), (None, 10)])
def test_update_stock_refuses_impossible_levels(scratch: Shop, stock: Any,
                                                threshold: Any) -> None:
    row = product_row(scratch, "TEA-GRN250")
    response = scratch.run("inventory", "updateStock", stock_state(row, stock, threshold))
    assert response.status_code in (400, 409)
    message = response.get_json()["error"]["message"]
    assert "库存" in message or "required" in message
    assert product_row(scratch, "TEA-GRN250") == row


def test_update_stock_refuses_text_that_is_not_a_number(scratch: Shop) -> None:
    row = product_row(scratch, "TEA-GRN250")
    response = scratch.run("inventory", "updateStock", stock_state(row, "ten", 10))
    assert response.status_code == 400
    assert "number" in response.get_json()["error"]["message"]
    assert product_row(scratch, "TEA-GRN250") == row
