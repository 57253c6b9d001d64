"""``transaction:`` queries: several SQL statements in one transaction, on real engines.

Each test runs on SQLite, MariaDB/MySQL and PostgreSQL (``db_url``): all or nothing when a step
fails, the refusal message, values passed from step to step, read-only sources, validation, and
the issue's load test — 100 concurrent create-order requests over HTTP for a product with 10 in
stock give exactly 10 orders and stock 0.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from werkzeug.serving import make_server

import datasources
from builder.appspec import check_text, load_app
from builder.datasource_admin import add_datasource
from builder.store import apps as app_records
from builder.store.policy_models import AuditEvent
from builder.transactions import build_transaction
from datasources.base import (
    DataSource,
    DataSourceQueryFailed,
    DataSourceTimeout,
    Limits,
    QueryRequest,
    RowCountMismatch,
)
from tests.auth_helpers import SessionClient, bearer, ensure_user, token_for
from widgets import build_registry

WIDGETS = build_registry()
AUTO_ID = {"sqlite": "INTEGER PRIMARY KEY", "mysql": "INTEGER PRIMARY KEY AUTO_INCREMENT",
           "postgresql": "SERIAL PRIMARY KEY"}
SLOW_SQL = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
              "WHERE x < 1000000000) SELECT count(*) FROM c",
    "mysql": "SELECT SLEEP(5) AS slept",
    "postgresql": "SELECT pg_sleep(5) AS slept",
}

RESERVE = {"sql": "UPDATE tx_products SET stock = stock - <<qty.value>> "
                  "WHERE sku = <<sku.value>> AND stock >= <<qty.value>>",
           "expectRows": 1, "message": "库存不足 (not enough stock)"}
INSERT_ORDER = {"name": "insertOrder",
                "sql": "INSERT INTO tx_orders (sku, quantity, status) "
                       "VALUES (<<sku.value>>, <<qty.value>>, '已付款')"}
HISTORY = {"sql": "INSERT INTO tx_history (order_id, to_status, changed_by, changed_at) "
                  "VALUES (<<steps.insertOrder.lastId>>, '已付款', <<current_user.id>>, "
                  "CURRENT_TIMESTAMP)"}
CREATE_ORDER = [RESERVE, INSERT_ORDER, HISTORY,
                {"sql": "SELECT id, sku, quantity FROM tx_orders "
                        "WHERE id = <<steps.insertOrder.lastId>>"}]
SHIP = [
    {"sql": "UPDATE tx_orders SET status = '已发货' WHERE id = <<order.value>> "
            "AND status IN ('已付款')",
     "expectRows": 1, "message": "只有已付款的订单可以发货 (only paid orders can be shipped)"},
    {"sql": "INSERT INTO tx_history (order_id, to_status, changed_by, changed_at) "
            "VALUES (<<order.value>>, '已发货', <<current_user.id>>, CURRENT_TIMESTAMP)"},
]


def make_schema(url: str, stock: int = 10) -> None:
    """(Re)create the tables of these tests with one product ``P-1`` holding ``stock``."""
    engine = create_engine(url)
    auto = AUTO_ID[engine.dialect.name]
    try:
        with engine.begin() as conn:
            for table in ("tx_history", "tx_orders", "tx_products"):
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
            conn.exec_driver_sql("CREATE TABLE tx_products (sku VARCHAR(20) PRIMARY KEY, "
                                 "stock INTEGER NOT NULL)")
            conn.exec_driver_sql(f"CREATE TABLE tx_orders (id {auto}, sku VARCHAR(20) NOT NULL, "
                                 "quantity INTEGER NOT NULL, status VARCHAR(20) NOT NULL)")
            conn.exec_driver_sql(f"CREATE TABLE tx_history (id {auto}, order_id INTEGER NOT "
                                 "NULL, to_status VARCHAR(20) NOT NULL, changed_by INTEGER, "
                                 "changed_at TIMESTAMP NULL)")
            conn.execute(text("INSERT INTO tx_products VALUES ('P-1', :n)"), {"n": stock})
    finally:
        engine.dispose()


def snapshot(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                "stock": conn.exec_driver_sql(
                    "SELECT stock FROM tx_products WHERE sku = 'P-1'").scalar_one(),
                "orders": [tuple(r) for r in conn.exec_driver_sql(
                    "SELECT id, sku, quantity, status FROM tx_orders ORDER BY id")],
                "history": [tuple(r) for r in conn.exec_driver_sql(
                    "SELECT order_id, to_status, changed_by FROM tx_history ORDER BY id")],
            }
    finally:
        engine.dispose()


@pytest.fixture
def shop_url(db_url: str) -> str:
    make_schema(db_url)
    return db_url


def make_source(url: str, **extra: Any) -> DataSource:
    cls = datasources.build_registry().get(datasources.kind_for_url(url))
    return cls("shop", {**cls.from_url(url), **extra})


@pytest.fixture
def shop(shop_url: str) -> Iterator[DataSource]:
    source = make_source(shop_url)
    yield source
    source.close()


def run(source: DataSource, steps: list[dict[str, Any]], timeout: float = 10, **values: Any):
    return source.run(QueryRequest(body=build_transaction(steps), values={
        "sku.value": "P-1", "qty.value": 1, "current_user.id": 7, **values},
        limits=Limits(timeout_s=timeout)))


# --- the data source ---------------------------------------------------------------------------


def test_create_order_passes_the_new_id_to_later_steps(shop: DataSource, shop_url: str) -> None:
    first = run(shop, CREATE_ORDER, **{"qty.value": 3})
    second = run(shop, CREATE_ORDER, **{"qty.value": 2})
    assert first.rowcount == second.rowcount == 3  # rows changed by all steps: audit "rows"
    assert first.columns == ["id", "sku", "quantity"]
    assert first.rows == [{"id": first.rows[0]["id"], "sku": "P-1", "quantity": 3}]
    assert second.rows[0]["id"] != first.rows[0]["id"]
    state = snapshot(shop_url)
    assert state["stock"] == 5
    assert [o[0] for o in state["orders"]] == [first.rows[0]["id"], second.rows[0]["id"]]
    assert [h[0] for h in state["history"]] == [o[0] for o in state["orders"]]
    assert state["history"][0][1:] == ("已付款", 7)


def test_refusal_message_and_nothing_written(shop: DataSource, shop_url: str) -> None:
    before = snapshot(shop_url)
    with pytest.raises(RowCountMismatch) as err:
        run(shop, CREATE_ORDER, **{"qty.value": 11})
    assert err.value.status == 409 and err.value.code == "row_count_mismatch"
    assert err.value.message == "库存不足 (not enough stock)"
    assert snapshot(shop_url) == before


def test_failed_middle_step_rolls_back_the_earlier_ones(shop: DataSource, shop_url: str) -> None:
    before = snapshot(shop_url)
    broken = [RESERVE, INSERT_ORDER,
              {"sql": "INSERT INTO tx_history (order_id, to_status) VALUES (NULL, 'x')"},
              {"sql": "UPDATE tx_products SET stock = 0"}]
    with pytest.raises(DataSourceQueryFailed) as err:
        run(shop, broken)
    assert err.value.status == 502 and err.value.message.startswith("step 3: ")
    assert "order_id" in err.value.message  # the database's own words: NOT NULL
    # A middle step whose expectRows fails, without a message of its own.
    unmet = [RESERVE, INSERT_ORDER, {"sql": "UPDATE tx_orders SET status = 'x' WHERE id = -1",
                                     "expectRows": 1}, HISTORY]
    with pytest.raises(RowCountMismatch, match=r"^step 3: expected 1 row to change but 0 did"):
        run(shop, unmet)
    assert snapshot(shop_url) == before


def test_timeout_rolls_back(shop: DataSource, shop_url: str) -> None:
    before = snapshot(shop_url)
    with pytest.raises(DataSourceTimeout) as err:
        run(shop, [RESERVE, INSERT_ORDER, {"sql": SLOW_SQL[shop.kind]}], timeout=0.5)
    assert err.value.status == 504 and err.value.message.startswith("step 3: ")
    assert snapshot(shop_url) == before


def test_status_machine_refuses_an_illegal_transition(shop: DataSource, shop_url: str) -> None:
    order = run(shop, CREATE_ORDER).rows[0]["id"]
    shipped = run(shop, SHIP, **{"order.value": order, "current_user.id": 9})
    assert shipped.rowcount == 2 and shipped.rows == []
    with pytest.raises(RowCountMismatch, match="只有已付款的订单可以发货"):
        run(shop, SHIP, **{"order.value": order, "current_user.id": 9})
    state = snapshot(shop_url)
    assert state["orders"][0][3] == "已发货"
    assert [h[1:] for h in state["history"]] == [("已付款", 7), ("已发货", 9)]


def test_rows_and_rowcount_of_earlier_steps(shop: DataSource, shop_url: str) -> None:
    steps = [{"name": "product", "sql": "SELECT sku, stock FROM tx_products WHERE sku = 'P-1'",
              "expectRows": 1},
             {"name": "bulk", "sql": "UPDATE tx_products SET stock = stock + 1"},
             {"name": "noId", "sql": "INSERT INTO tx_products (sku, stock) VALUES ('P-2', 1)"},
             {"sql": "SELECT <<steps.product.row.stock>> AS stock, "
                     "<<steps.product.rowcount>> AS found, <<steps.bulk.rowcount>> AS bumped, "
                     "COALESCE(<<steps.noId.lastId>>, -1) AS no_id, "
                     "COALESCE(<<steps.bulk.lastId>>, -1) AS not_insert"}]
    result = run(shop, steps)
    no_id = 2 if shop.kind == "sqlite" else -1  # SQLite: every table has a rowid
    assert result.rows == [{"stock": 10, "found": 1, "bumped": 1, "no_id": no_id,
                            "not_insert": -1}]
    assert result.rowcount == 2  # the SELECTs change nothing
    assert snapshot(shop_url)["stock"] == 11


def test_read_only_source_refuses_and_writes_nothing(shop_url: str) -> None:
    before = snapshot(shop_url)
    source = make_source(shop_url, read_only=True, pool_size=1)
    try:
        with pytest.raises(DataSourceQueryFailed) as err:
            run(source, CREATE_ORDER)
        assert err.value.status == 403 and err.value.code == "read_only"
        reads = run(source, [{"name": "p", "sql": "SELECT stock FROM tx_products"},
                             {"sql": "SELECT <<steps.p.row.stock>> AS stock"}])
        assert reads.rows == [{"stock": 10}] and reads.rowcount is None
    finally:
        source.close()
    assert snapshot(shop_url) == before


def test_sqlite_reads_inside_the_transaction_and_waits_for_the_lock(sqlite_url: str) -> None:
    """A transaction that reads first then writes: SQLite's BEGIN IMMEDIATE serialises them
    (sqlite3 alone would run the SELECT outside the transaction, then fail or lose updates)."""
    make_schema(sqlite_url, stock=10)
    source = make_source(sqlite_url, pool_size=8)
    steps = [{"name": "p", "sql": "SELECT stock FROM tx_products WHERE sku = <<sku.value>>"},
             {"sql": "UPDATE tx_products SET stock = <<steps.p.row.stock>> - 1 "
                     "WHERE sku = <<sku.value>> AND <<steps.p.row.stock>> >= 1",
              "expectRows": 1, "message": "sold out"},
             INSERT_ORDER]

    def order(_: int) -> str:
        try:
            run(source, steps)
        except RowCountMismatch as exc:
            return exc.message
        return "ok"

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = sorted(pool.map(order, range(30)))
    finally:
        source.close()
    assert outcomes == ["ok"] * 10 + ["sold out"] * 20
    state = snapshot(sqlite_url)
    assert state["stock"] == 0 and len(state["orders"]) == 10


# --- validation and the model ------------------------------------------------------------------

APP = """\
format: 1
app: tx-shop
pages:
  - name: main
    widgets:
      - {name: sku, type: input, at: [0, 0, 4, 1]}
      - {name: qty, type: input, at: [4, 0, 4, 1], inputType: number}
      - {name: order, type: input, at: [8, 0, 4, 1]}
queries:
  createOrder:
    datasource: shop
    transaction:
"""


def app_text(steps: list[dict[str, Any]], extra: str = "") -> str:
    body = "".join(f"      - {json.dumps(step, ensure_ascii=False)}\n" for step in steps)
    return APP + body + extra


def problems(source: str) -> list[str]:
    return [str(p) for p in check_text(source, "shop.yaml", widgets=WIDGETS)]


def test_model_keeps_step_bindings_on_the_server() -> None:
    spec = load_app(app_text(CREATE_ORDER), "shop.yaml", widgets=WIDGETS)
    query = spec.queries["createOrder"]
    assert query.kind == "sql"
    assert query.bindings == ["qty.value", "sku.value", "current_user.id"]
    assert query.refs == [("qty", "value"), ("sku", "value")]
    assert query.body.steps[2].step_bindings == ("steps.insertOrder.lastId",)
    assert query.body.last_id_wanted == {"insertOrder"}
    assert spec.public_json()["queries"]["createOrder"]["refs"] == [["qty", "value"],
                                                                   ["sku", "value"]]


def test_validation_of_steps() -> None:
    steps = [{"sql": "UPDATE tx_products SET stock = 1 WHERE sku = <<skuu.value>>",
              "expectRow": 1},
             {"name": "a", "sql": "SELECT <<steps.b.lastId>>, <<steps.a.lastid>>",
              "message": "x"},
             {"name": "a", "sql": "SELECT <<steps.a.lastid>>, <<steps.a.row.id ?? qty.value>>"},
             {"name": "b", "sql": "SELECT 1"}]
    found = problems(app_text(steps))
    assert found == [
        "shop.yaml:13:65: unknown widget or query 'skuu' in <<skuu.value>> — did you mean "
        "'sku'? (at queries.createOrder.transaction[0].sql)",
        "shop.yaml:13:80: unknown property 'expectRow' in a transaction step — did you mean "
        "'expectRows'? (at queries.createOrder.transaction[0].expectRow)",
        "shop.yaml:14:46: step 'b' does not run before this one "
        "(at queries.createOrder.transaction[1].sql)",
        "shop.yaml:14:66: step 'a' does not run before this one "
        "(at queries.createOrder.transaction[1].sql)",
        "shop.yaml:14:79: message is shown when expectRows is not met: add expectRows to this "
        "step (e.g. expectRows: 1) (at queries.createOrder.transaction[1].message)",
        "shop.yaml:15:18: duplicate step name 'a' (also step 2) "
        "(at queries.createOrder.transaction[2].name)",
        "shop.yaml:15:48: 'lastid' is not a property of step 'a' — did you mean 'lastId'? (a "
        "step has lastId, rowcount, row, rows) (at queries.createOrder.transaction[2].sql)",
        "shop.yaml:15:60: a binding that reads steps cannot also read qty: the steps' values "
        "are known only on the server, between steps; use two bindings "
        "(at queries.createOrder.transaction[2].sql)",
    ]


@pytest.mark.parametrize(("extra", "message"), [
    ("    sql: SELECT 1\n", "a query has either sql (one statement) or transaction"),
    ("    expectRows: 1\n", "expectRows of a transaction goes on the step it checks"),
    ("    collection: orders\n", "a transaction is SQL only: remove collection"),
])
def test_transaction_excludes_other_bodies(extra: str, message: str) -> None:
    found = problems(app_text([{"sql": "SELECT 1"}], extra))
    assert len(found) == 1 and message in found[0] and "(at queries.createOrder)" in found[0]


def test_steps_outside_a_transaction_and_empty_transaction() -> None:
    plain = APP.replace("    transaction:\n", "    sql: SELECT <<steps.a.lastId>>\n")
    assert problems(plain) == [
        "shop.yaml:12:19: <<steps.a.lastId>>: steps are known only inside a transaction, where "
        "a step reads an earlier named step (<<steps.NAME.lastId>>) "
        "(at queries.createOrder.sql)"]
    empty = problems(APP.replace("    transaction:\n", "    transaction: []\n"))
    assert len(empty) == 1 and "should be non-empty" in empty[0]


def test_editor_runs_a_draft_transaction(app: Flask, sqlite_url: str) -> None:
    make_schema(sqlite_url, stock=1)
    list(add_datasource(app.extensions["toolcrib"], "shop", sqlite_url, test=False))
    ensure_user(app, "builder", "developer", "builder-pass-1")
    dev = SessionClient(app, "builder", "builder-pass-1")
    body = {"query": {"datasource": "shop", "transaction": CREATE_ORDER},
            "state": {"sku": {"value": "P-1"}, "qty": {"value": 1}}}
    ok = dev.post("/api/editor/run", json=body)
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["rowcount"] == 3 and ok.get_json()["rows"][0]["quantity"] == 1
    refused = dev.post("/api/editor/run", json=body)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["message"] == "库存不足 (not enough stock)"
    with app.extensions["toolcrib"].store.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.outcome == "ok")
                                .where(AuditEvent.kind == "query")).one()
    assert json.loads(event.detail)["query"] == {"datasource": "shop",
                                                  "transaction": CREATE_ORDER}


# --- over HTTP, under load ---------------------------------------------------------------------

def publish(flask_app: Flask, source: str) -> None:
    with flask_app.extensions["toolcrib"].store.session() as session:
        version = app_records.save_version(session, slug="tx-shop", title="Shop",
                                           source=source)
        app_records.publish(session, version)


@pytest.fixture
def served(app: Flask, shop_url: str) -> Iterator[tuple[str, str, Flask]]:
    """The test app served over HTTP (threaded) with the ``shop`` data source at ``shop_url``."""
    list(add_datasource(app.extensions["toolcrib"], "shop", shop_url, test=False))
    publish(app, app_text(CREATE_ORDER))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", shop_url, app
    server.shutdown()
    thread.join(timeout=5)


def test_100_concurrent_orders_for_10_in_stock(served: tuple[str, str, Flask]) -> None:
    base, url, flask_app = served
    headers = bearer(token_for(flask_app, "dev", role="developer"))
    body = {"state": {"sku": {"value": "P-1"}, "qty": {"value": 1}}}
    start = threading.Barrier(100)

    def order(_: int) -> tuple[int, dict[str, Any]]:
        call = urllib.request.Request(
            f"{base}/api/apps/tx-shop/queries/createOrder/run", method="POST",
            data=json.dumps(body).encode(), headers={**headers,
                                                     "Content-Type": "application/json"})
        start.wait(timeout=30)
        try:
            with urllib.request.urlopen(call, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read())

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(order, range(100)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 10 + [409] * 90, [a for a in answers if a[0] not in (200, 409)]
    refused = {a["error"]["message"] for s, a in answers if s == 409}
    assert refused == {"库存不足 (not enough stock)"}
    state = snapshot(url)
    assert state["stock"] == 0 and len(state["orders"]) == 10
    assert sorted(a["rows"][0]["id"] for s, a in answers if s == 200) == \
        [o[0] for o in state["orders"]]
    assert sorted(h[0] for h in state["history"]) == [o[0] for o in state["orders"]]
    with flask_app.extensions["toolcrib"].store.session() as session:
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.query_name == "createOrder")).all()
    assert sorted((e.outcome, e.rows) for e in events) == \
        [("ok", 3)] * 10 + [("row_count_mismatch", None)] * 90
