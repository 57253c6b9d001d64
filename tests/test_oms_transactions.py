"""The bundled order-status and order-create apps, run over HTTP on SQLite, MariaDB, PostgreSQL.

``apps/order_status.yaml`` and ``apps/order_create.yaml`` are published as they are into a test
instance whose ``shop`` data source is ``db_url``, granted to an operator, and served from a
thread. Through the real run API: every legal transition of the state machine
(``TRANSITIONS``) changes the order and writes one history row with who and when; every illegal
one is refused (409) with the query's message and changes nothing; creating an order takes the
stock and computes the amount in SQL; and the issue's load test — 100 concurrent create-order
requests for a product with 10 in stock give exactly 10 orders, 10 history rows and stock 0.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from builder.appspec import check_text
from builder.datasource_admin import add_datasource
from builder.demo.shop_schema import STATUSES, TRANSITIONS, metadata, orders, products
from builder.security.grants import grant
from builder.store import apps as app_records
from tests.auth_helpers import bearer, token_for
from widgets import build_registry

APPS = Path(__file__).resolve().parent.parent / "apps"
STATUS_APP = (APPS / "order_status.yaml").read_text(encoding="utf-8")
CREATE_APP = (APPS / "order_create.yaml").read_text(encoding="utf-8")
OPERATOR = "alice"
#: The query of the status app that moves an order to each status.
TRANSITION_QUERY = {"paid": "payOrder", "shipped": "shipOrder", "completed": "completeOrder",
                    "cancelled": "cancelOrder"}
MESSAGES = {name: step["message"] for name, query in yaml.safe_load(STATUS_APP)["queries"].items()
            if "transaction" in query for step in query["transaction"] if "message" in step}
CREATE_STEPS = yaml.safe_load(CREATE_APP)["queries"]["createOrder"]["transaction"]
PRODUCT_MESSAGE, QTY_MESSAGE, STOCK_MESSAGE = (step["message"] for step in CREATE_STEPS[:3])
PRODUCTS = [("P-10", "保温杯", Decimal("12.35"), 10), ("P-500", "台灯", Decimal("99.90"), 500)]


def order_row(order_id: int, status: str) -> dict[str, Any]:
    return {"id": order_id, "customer_name": f"客户{order_id}", "phone": "13800000000",
            "address": f"测试路 {order_id} 号", "product_name": "台灯",
            "product_image": "/img/lamp.png", "sku": "P-500", "quantity": 2,
            "amount": Decimal("199.80"), "status": status, "created_at": datetime(2026, 1, 2, 3),
            "version": 1}


#: Two orders in each status: ids 1-2 pending_payment, 3-4 paid, 5-6 shipped, ...
ORDER_IDS = {status: (2 * i + 1, 2 * i + 2) for i, status in enumerate(STATUSES)}


def make_shop(url: str) -> None:
    """(Re)create the shop tables at ``url``: two products, two orders per status, no history."""
    engine = create_engine(url)
    try:
        metadata.drop_all(engine)
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(products.insert(), [
                {"sku": sku, "name": name, "image": "/img/p.png", "price": price, "stock": stock,
                 "low_stock_threshold": 5, "updated_at": datetime(2026, 1, 1)}
                for sku, name, price, stock in PRODUCTS])
            conn.execute(orders.insert(), [order_row(i, status)
                                           for status, ids in ORDER_IDS.items() for i in ids])
            if engine.dialect.name == "postgresql":  # ids were given: move the sequence on
                conn.execute(text("SELECT setval(pg_get_serial_sequence('orders', 'id'), "
                                  "(SELECT MAX(id) FROM orders))"))
    finally:
        engine.dispose()


def snapshot(url: str) -> dict[str, Any]:
    """Everything the apps may change, to compare before and after."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                "orders": [tuple(r) for r in conn.execute(text(
                    "SELECT id, status, version, shipping_company, shipping_tracking_number, "
                    "quantity, amount FROM orders ORDER BY id"))],
                "history": [tuple(r) for r in conn.execute(text(
                    "SELECT order_id, from_status, to_status, changed_by, changed_at "
                    "FROM order_status_history ORDER BY id"))],
                "stock": dict(conn.execute(text("SELECT sku, stock FROM products")).all()),
                "payments": [(r[0], r[1], Decimal(str(r[2]))) for r in conn.execute(text(
                    "SELECT order_id, method, amount FROM payments ORDER BY id"))],
            }
    finally:
        engine.dispose()


@dataclass
class Served:
    base: str
    shop_url: str
    headers: dict[str, str]

    def run(self, slug: str, query: str, state: dict[str, Any],
            page: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        body: dict[str, Any] = {"state": state}
        if page is not None:
            body["page"] = page
        call = urllib.request.Request(
            f"{self.base}/api/apps/{slug}/queries/{query}/run", method="POST",
            data=json.dumps(body).encode(),
            headers={**self.headers, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(call, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read())

    def move(self, order_id: int, seen_status: str, to: str) -> tuple[int, dict[str, Any]]:
        """Ask the status app to move an order (the browser saw it in ``seen_status``)."""
        state: dict[str, Any] = {"ordersTable": {"selectedRow": {"id": order_id,
                                                                 "status": seen_status}}}
        if to == "shipped":
            state |= {"shippingCompany": {"value": "SF"},
                      "trackingInput": {"value": f"SF{order_id:06d}"}}
        return self.run("order-status", TRANSITION_QUERY[to], state)

    def create(self, sku: str, qty: Any) -> tuple[int, dict[str, Any]]:
        return self.run("order-create", "createOrder", {
            "productSelect": {"value": sku}, "quantity": {"value": qty},
            "customerName": {"value": "赵六"}, "phone": {"value": "13900000000"},
            "address": {"value": "杭州市西湖区六号"}})


@pytest.fixture
def served(app: Flask, db_url: str) -> Iterator[Served]:
    """Both bundled apps published as they are, granted to an operator, served over HTTP."""
    make_shop(db_url)
    tc = app.extensions["toolcrib"]
    list(add_datasource(tc, "shop", db_url, test=False))
    headers = bearer(token_for(app, OPERATOR, role="operator"))
    with tc.store.session() as session:
        from builder.security.users import find_user

        user = find_user(session, OPERATOR)
        assert user is not None
        for slug, title, source in (("order-status", "订单状态", STATUS_APP),
                                    ("order-create", "新建订单", CREATE_APP)):
            version = app_records.save_version(session, slug=slug, title=title, source=source)
            app_records.publish(session, version)
            record = session.get(app_records.AppRecord, version.app_id)
            assert record is not None
            grant(session, record, user_id=user.id)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Served(f"http://127.0.0.1:{server.server_port}", db_url, headers)
    server.shutdown()
    thread.join(timeout=5)


# --- the files ---------------------------------------------------------------------------------

def test_bundled_files_are_valid_and_read_the_username() -> None:
    widgets = build_registry()
    for name, source in (("order_status.yaml", STATUS_APP), ("order_create.yaml", CREATE_APP)):
        assert [str(p) for p in check_text(source, name, widgets=widgets)] == []
    typo = STATUS_APP.replace("<<current_user.username>>", "<<current_user.usernme>>", 1)
    found = [str(p) for p in check_text(typo, "s.yaml", widgets=widgets)]
    assert len(found) == 1 and "current_user has no 'usernme'" in found[0]
    assert "did you mean 'username'?" in found[0]
    assert set(MESSAGES) == set(TRANSITION_QUERY.values())


# --- the status flow ---------------------------------------------------------------------------

LEGAL = [(s, t) for s in STATUSES for t in TRANSITIONS[s]]
#: The order each legal transition moves: the first or second order of its starting status.
LEGAL_ORDER = {(s, t): ORDER_IDS[s][k] for s in STATUSES for k, t in enumerate(TRANSITIONS[s])}
ILLEGAL = [(s, t) for s in STATUSES for t in TRANSITION_QUERY if t not in TRANSITIONS[s]]


def test_every_legal_transition_writes_one_history_row(served: Served) -> None:
    assert len(LEGAL) == 5
    before = snapshot(served.shop_url)
    started = datetime.now()
    for from_status, to in LEGAL:
        order_id = LEGAL_ORDER[from_status, to]
        status, answer = served.move(order_id, from_status, to)
        assert status == 200, (from_status, to, answer)
        # + the stock goes back on a cancellation; + the payment is recorded on a payment
        assert answer["rowcount"] == 2 + (to == "cancelled") + (to == "paid")
    after = snapshot(served.shop_url)
    changed = {row[0]: row for row in after["orders"]}
    for from_status, to in LEGAL:
        order_id = LEGAL_ORDER[from_status, to]
        assert changed[order_id][1:3] == (to, 2), (from_status, to)
    shipped = LEGAL_ORDER["paid", "shipped"]
    assert changed[shipped][3:5] == ("SF", f"SF{shipped:06d}")
    # One history row per change, in order: who (the signed-in user) and when (just now).
    assert [h[:4] for h in after["history"]] == [
        (LEGAL_ORDER[s, t], s, t, OPERATOR) for s, t in LEGAL]
    for *_, changed_at in after["history"]:
        when = changed_at if isinstance(changed_at, datetime) else \
            datetime.fromisoformat(str(changed_at))
        assert abs((when - started).total_seconds()) < 24 * 3600  # CURRENT_TIMESTAMP (UTC or local)
    # The confirmed payment is on record with the order's amount, like the online ones.
    paid = LEGAL_ORDER["pending_payment", "paid"]
    assert after["payments"] == [(paid, "bank", Decimal("199.80"))]
    # Two cancellations (from pending_payment and from paid) gave their 2 lamps back each.
    assert after["stock"]["P-500"] == before["stock"]["P-500"] + 4
    # The untouched orders are as they were.
    moved = set(LEGAL_ORDER.values())
    assert [row for row in after["orders"] if row[0] not in moved] == \
        [row for row in before["orders"] if row[0] not in moved]


def test_every_illegal_transition_is_refused_and_changes_nothing(served: Served) -> None:
    assert len(ILLEGAL) == 15
    before = snapshot(served.shop_url)
    for from_status, to in ILLEGAL:
        status, answer = served.move(ORDER_IDS[from_status][0], from_status, to)
        assert status == 409, (from_status, to, answer)
        assert answer["error"]["code"] == "row_count_mismatch"
        assert answer["error"]["message"] == MESSAGES[TRANSITION_QUERY[to]], (from_status, to)
    # A stale or forged view of the order: the browser says "paid", the order is shipped (or
    # completed); cancelling or shipping it is still refused by the queries.
    for actual in ("shipped", "completed", "cancelled"):
        for to in ("cancelled", "shipped"):
            status, answer = served.move(ORDER_IDS[actual][1], "paid", to)
            assert status == 409 and answer["error"]["message"] == MESSAGES[TRANSITION_QUERY[to]]
    status, _ = served.move(999, "pending_payment", "paid")  # no such order
    assert status == 409
    assert snapshot(served.shop_url) == before


def test_a_transition_runs_once_when_two_people_click(served: Served) -> None:
    """The second of two identical requests finds the order moved on and is refused."""
    order_id = ORDER_IDS["paid"][1]
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: served.move(order_id, "paid", "shipped"), range(2)))
    assert sorted(status for status, _ in answers) == [200, 409]
    history = [h for h in snapshot(served.shop_url)["history"] if h[0] == order_id]
    assert [h[1:4] for h in history] == [("paid", "shipped", OPERATOR)]


def test_read_queries_filter_and_page(served: Served) -> None:
    page = {"size": 5, "number": 1, "sort": [{"column": "id", "dir": "desc"}]}
    status, answer = served.run("order-status", "getOrders",
                                {"statusFilter": {"value": "paid"}}, page)
    assert status == 200, answer
    assert [r["id"] for r in answer["rows"]] == [4, 3] and answer["total"] == 2
    status, answer = served.run("order-status", "getOrders", {"statusFilter": {"value": "all"}},
                                page)
    assert status == 200 and answer["total"] == 10 and answer["rows"][0]["id"] == 10
    served.move(1, "pending_payment", "paid")
    status, answer = served.run("order-status", "getHistory",
                                {"ordersTable": {"selectedRow": {"id": 1}}},
                                {"size": 10, "number": 1, "sort": [{"column": "id"}]})
    assert status == 200 and [(r["from_status"], r["to_status"], r["changed_by"])
                              for r in answer["rows"]] == [("pending_payment", "paid", OPERATOR)]
    status, answer = served.run("order-status", "getHistory",
                                {"ordersTable": {"selectedRow": None}})
    assert status == 200 and answer["rows"] == []
    status, answer = served.run("order-create", "productOptions", {})
    assert status == 200  # ordered by name: the engines' collations differ on Chinese
    assert sorted((r["value"], r["label"]) for r in answer["rows"]) == [("P-10", "保温杯"),
                                                                        ("P-500", "台灯")]
    status, answer = served.run("order-create", "getProduct", {"productSelect": {"value": "P-10"}})
    assert status == 200 and answer["rows"][0]["stock"] == 10


# --- creating orders ---------------------------------------------------------------------------

def test_create_order_takes_stock_and_prices_in_sql(served: Served) -> None:
    status, answer = served.create("P-10", 3)
    assert status == 200, answer
    row = answer["rows"][0]
    assert (row["customer_name"], row["product_name"], row["sku"], row["quantity"],
            row["status"]) == ("赵六", "保温杯", "P-10", 3, "pending_payment")
    assert Decimal(str(row["amount"])) == Decimal("37.05")  # 12.35 × 3, from products.price
    state = snapshot(served.shop_url)
    assert state["stock"]["P-10"] == 7
    assert [h[:4] for h in state["history"]] == [(row["id"], None, "pending_payment", OPERATOR)]
    # The new order goes on through the status app.
    assert served.move(row["id"], "pending_payment", "paid")[0] == 200


def test_create_order_refusals_write_nothing(served: Served) -> None:
    before = snapshot(served.shop_url)
    status, answer = served.create("P-10", 11)
    assert status == 409 and answer["error"]["message"] == STOCK_MESSAGE
    for qty in (0, -3, 1.5, 1000):
        status, answer = served.create("P-10", qty)
        assert status == 409 and answer["error"]["message"] == QTY_MESSAGE, qty
    for sku in ("NOPE", None):
        status, answer = served.create(sku, 1)
        assert status == 409 and answer["error"]["message"] == PRODUCT_MESSAGE
    status, answer = served.create("P-10", "")
    assert status == 400 and "数量" in answer["error"]["message"]  # required
    status, answer = served.create("P-10", "two")
    assert status == 400
    assert snapshot(served.shop_url) == before


def test_100_concurrent_create_orders_for_10_in_stock(served: Served) -> None:
    """The issue's load test, with the bundled app's own createOrder query."""
    start = threading.Barrier(100)

    def order(_: int) -> tuple[int, dict[str, Any]]:
        start.wait(timeout=30)
        return served.create("P-10", 1)

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(order, range(100)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 10 + [409] * 90, [a for a in answers if a[0] not in (200, 409)]
    assert {a["error"]["message"] for s, a in answers if s == 409} == {STOCK_MESSAGE}
    state = snapshot(served.shop_url)
    assert state["stock"] == {"P-10": 0, "P-500": 500}
    new = sorted(a["rows"][0]["id"] for s, a in answers if s == 200)
    assert [o[0] for o in state["orders"] if o[0] > 10] == new and len(new) == 10
    assert sorted(h[0] for h in state["history"]) == new
    assert {h[1:4] for h in state["history"]} == {(None, "pending_payment", OPERATOR)}
