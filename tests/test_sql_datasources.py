"""The SQL data sources against real engines: SQLite, MariaDB/MySQL and PostgreSQL.

The queries are the flagship app's (``apps/order_shipping.yaml``) on the demo ``orders`` table.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import datasources
from builder.bindings import find_bindings
from datasources.base import (
    DataSource,
    DataSourceQueryFailed,
    DataSourceTimeout,
    FilterClause,
    Limits,
    PageRequest,
    QueryInputError,
    QueryRequest,
    QueryResult,
    RowCountMismatch,
    SortKey,
)
from tests.dbservers import ORDERS, fetch_orders, seed_orders

APP_FILE = Path(__file__).resolve().parents[1] / "apps" / "order_shipping.yaml"
QUERIES: dict[str, Any] = yaml.safe_load(APP_FILE.read_text(encoding="utf-8"))["queries"]
GET_ORDERS: str = QUERIES["getOrders"]["sql"]
UPDATE_ORDER: str = QUERIES["updateOrder"]["sql"]
PAID = [o for o in ORDERS if o["status"] == "paid"]
SLOW_SQL = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
              "WHERE x < 1000000000) SELECT count(*) FROM c",
    "mysql": "SELECT SLEEP(5) AS slept",
    "postgresql": "SELECT pg_sleep(5) AS slept",
}


def make_source(url: str, name: str = "shop", **extra: Any) -> DataSource:
    cls = datasources.build_registry().get(datasources.kind_for_url(url))
    return cls(name, {**cls.from_url(url), **extra})


@pytest.fixture
def shop(orders_url: str) -> Iterator[DataSource]:
    source = make_source(orders_url)
    yield source
    source.close()


def engine_of(source: DataSource) -> str:
    return source.kind


def update_values(row: dict[str, Any], company: Any, number: Any) -> dict[str, Any]:
    """The values of updateOrder's bindings, keyed by their source text as the engine sends."""
    sources = [b.source for b in find_bindings(UPDATE_ORDER)]
    assert sources == ["shippingCompany.value", "shippingNumberInput.value",
                       "ordersTable.selectedRow.id", "ordersTable.selectedRow.version"]
    return dict(zip(sources, [company, number, row["id"], row["version"]], strict=True))


def page(source: DataSource, **kw: Any) -> QueryResult:
    return source.run(QueryRequest(body=GET_ORDERS, values={}, page=PageRequest(**kw)))


def ids(result: QueryResult) -> list[int]:
    return [r["id"] for r in result.rows]


# --- getOrders: paging, sorting, filtering ------------------------------------------------------


def test_first_page(shop: DataSource) -> None:
    result = page(shop, size=2, sort=(SortKey("id"),))
    assert ids(result) == [1, 2]
    assert result.columns == ["id", "product_image", "product_name", "shipping_company",
                              "shipping_tracking_number", "address", "version"]
    assert result.total == 3 and result.has_more is True and result.truncated is False
    assert result.rows[0]["address"] == "北京市朝阳区一号"


def test_later_page(shop: DataSource) -> None:
    result = page(shop, size=2, number=2, sort=(SortKey("id"),))
    assert ids(result) == [3] and result.total == 3 and result.has_more is False
    assert page(shop, size=2, number=5, sort=(SortKey("id"),)).rows == []


def test_page_without_sort_or_total(shop: DataSource) -> None:
    result = page(shop, size=10, want_total=False)
    assert sorted(ids(result)) == [1, 2, 3] and result.total is None


@pytest.mark.parametrize(("descending", "expected"), [(False, [1, 2, 3]), (True, [3, 2, 1])])
def test_sort_by_returned_column(shop: DataSource, descending: bool, expected: list[int]) -> None:
    """NULL sorts first ascending and last descending on every engine."""
    result = page(shop, size=10, sort=(SortKey("shipping_company", descending),))
    assert ids(result) == expected


@pytest.mark.parametrize(("flt", "expected"), [
    (FilterClause("shipping_company", "=", "SF"), [2]),
    (FilterClause("shipping_company", "!=", "SF"), [1, 3]),
    (FilterClause("shipping_company", "null"), [1]),
    (FilterClause("shipping_company", "in", ["SF", "ZTO"]), [2, 3]),
    (FilterClause("address", "contains", "main"), [3]),
    (FilterClause("address", "contains", "%"), [3]),
    (FilterClause("address", "contains", "t_"), [3]),
    (FilterClause("address", "starts", "上海"), [2]),
    (FilterClause("id", ">", 1), [2, 3]),
    (FilterClause("id", "=", "2"), [2]),
    (FilterClause("shipping_tracking_number", "=", 300), []),
    (FilterClause("id", "contains", "3"), [3]),
])
def test_filter(shop: DataSource, flt: FilterClause, expected: list[int]) -> None:
    result = page(shop, size=10, sort=(SortKey("id"),), filter=(flt,))
    assert ids(result) == expected and result.total == len(expected)


def test_sort_or_filter_on_a_column_the_query_does_not_return(shop: DataSource) -> None:
    for request in (PageRequest(sort=(SortKey("customer_name"),)),
                    PageRequest(filter=(FilterClause("phone", "=", "1"),))):
        with pytest.raises(QueryInputError) as err:
            shop.run(QueryRequest(body=GET_ORDERS, values={}, page=request))
        assert err.value.status == 400 and "product_name" in err.value.message


def test_paging_a_cte(shop: DataSource) -> None:
    sql = "WITH p AS (SELECT id, status FROM orders WHERE status = <<s>>) SELECT * FROM p"
    result = shop.run(QueryRequest(body=sql, values={"s": "paid"},
                                   page=PageRequest(size=2, sort=(SortKey("id", True),))))
    assert ids(result) == [3, 2] and result.total == 3


@pytest.mark.server
def test_data_modifying_cte_runs_unpaged(postgres_url: str) -> None:
    seed_orders(postgres_url)
    source = make_source(postgres_url)
    try:
        sql = ("WITH moved AS (UPDATE orders SET quantity = quantity + 1 WHERE id = <<id>> "
               "RETURNING id) SELECT id FROM moved")
        result = source.run(QueryRequest(body=sql, values={"id": 2}, page=PageRequest()))
        assert result.rows == [{"id": 2}]
    finally:
        source.close()
    assert fetch_row(fetch_orders(postgres_url), 2)["quantity"] == 3


# --- updateOrder --------------------------------------------------------------------------------


def test_update_order_bumps_version(shop: DataSource, orders_url: str) -> None:
    row = ORDERS[1]
    result = shop.run(QueryRequest(body=UPDATE_ORDER, values=update_values(row, "JD", "JD42"),
                                   expect_rows=QUERIES["updateOrder"]["expectRows"]))
    assert result.rowcount == 1 and result.rows == []
    after = {o["id"]: o for o in fetch_orders(orders_url)}
    assert after[2]["shipping_company"] == "JD" and after[2]["shipping_tracking_number"] == "JD42"
    assert after[2]["version"] == row["version"] + 1
    assert [after[i] for i in (1, 3, 4)] == [fetch_row(ORDERS, i) for i in (1, 3, 4)]


def fetch_row(rows: list[dict[str, Any]], id_: int) -> dict[str, Any]:
    return next(r for r in rows if r["id"] == id_)


def test_stale_version_is_refused_and_nothing_changes(shop: DataSource, orders_url: str) -> None:
    before = fetch_orders(orders_url)
    stale = {**ORDERS[1], "version": ORDERS[1]["version"] - 1}
    with pytest.raises(RowCountMismatch) as err:
        shop.run(QueryRequest(body=UPDATE_ORDER, values=update_values(stale, "JD", "JD42"),
                              expect_rows=1))
    assert err.value.status == 409
    assert "expected 1 row to change but 0 did" in err.value.message
    assert "refresh and try again" in err.value.message
    assert fetch_orders(orders_url) == before


def test_too_many_rows_changed_is_rolled_back(shop: DataSource, orders_url: str) -> None:
    before = fetch_orders(orders_url)
    with pytest.raises(RowCountMismatch, match="expected 1 row to change but 3"):
        shop.run(QueryRequest(body="UPDATE orders SET quantity = quantity + 1 "
                                   "WHERE status = <<s>>", values={"s": "paid"}, expect_rows=1))
    assert fetch_orders(orders_url) == before


# --- limits -------------------------------------------------------------------------------------


def test_row_cap_truncates(shop: DataSource) -> None:
    capped = shop.run(QueryRequest(body="SELECT * FROM orders ORDER BY id", values={},
                                   limits=Limits(max_rows=2)))
    assert ids(capped) == [1, 2] and capped.truncated is True
    whole = shop.run(QueryRequest(body="SELECT * FROM orders ORDER BY id", values={},
                                  limits=Limits(max_rows=4)))
    assert ids(whole) == [1, 2, 3, 4] and whole.truncated is False
    # The cap of one query does not leak into the next one on the same pooled connection.
    again = shop.run(QueryRequest(body="SELECT * FROM orders", values={}))
    assert len(again.rows) == 4 and again.truncated is False


_DIGITS = " UNION ALL ".join(f"SELECT {i} AS n" for i in range(10))
BIG_SQL = {  # five million rows, produced as they are read
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
              "WHERE x < 5000000) SELECT x FROM c",
    "postgresql": "SELECT g AS x FROM generate_series(1, 5000000) AS g",
    "mysql": f"WITH d AS ({_DIGITS}) SELECT d1.n + 10 * d2.n + 100 * d3.n + 1000 * d4.n "
             "+ 10000 * d5.n + 100000 * d6.n + 1000000 * d7.n AS x "
             "FROM d d1, d d2, d d3, d d4, d d5, d d6, d d7 WHERE d7.n < 5",
}


def test_a_huge_result_is_never_read_past_the_cap(shop: DataSource) -> None:
    started = time.monotonic()
    result = shop.run(QueryRequest(body=BIG_SQL[shop.kind], values={},
                                   limits=Limits(max_rows=10, timeout_s=20)))
    assert len(result.rows) == 10 and result.truncated is True
    assert time.monotonic() - started < 2


def test_statement_timeout(shop: DataSource) -> None:
    started = time.monotonic()
    with pytest.raises(DataSourceTimeout) as err:
        shop.run(QueryRequest(body=SLOW_SQL[engine_of(shop)], values={},
                              limits=Limits(timeout_s=0.5)))
    assert time.monotonic() - started < 4
    assert err.value.status == 504 and "0.5 s" in err.value.message
    assert len(shop.run(QueryRequest(body="SELECT id FROM orders", values={})).rows) == 4


def test_configured_statement_timeout_caps_the_query_limit(orders_url: str) -> None:
    source = make_source(orders_url, statement_timeout_s=0.5)
    try:
        with pytest.raises(DataSourceTimeout, match="0.5 s"):
            source.run(QueryRequest(body=SLOW_SQL[source.kind], values={},
                                    limits=Limits(timeout_s=30)))
    finally:
        source.close()


# --- read-only, errors, JSON ---------------------------------------------------------------------


def test_read_only_refuses_writes(orders_url: str) -> None:
    before = fetch_orders(orders_url)
    source = make_source(orders_url, read_only=True, pool_size=1)
    switch_off = {"sqlite": "PRAGMA query_only = 0",
                  "mysql": "SET SESSION TRANSACTION READ WRITE",
                  "postgresql": "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"}
    try:
        assert len(source.run(QueryRequest(body=GET_ORDERS, values={})).rows) == 3
        # A query may change the session; the next run puts read-only back before it starts.
        source.run(QueryRequest(body=switch_off[source.kind], values={}))
        for sql in (UPDATE_ORDER, "DELETE FROM orders", "DROP TABLE orders"):
            values = update_values(ORDERS[0], "SF", "1") if "<<" in sql else {}
            with pytest.raises(DataSourceQueryFailed) as err:
                source.run(QueryRequest(body=sql, values=values))
            assert err.value.status == 403 and err.value.code == "read_only"
            assert "read-only" in err.value.message
    finally:
        source.close()
    assert fetch_orders(orders_url) == before


def test_sql_error_carries_the_database_message(shop: DataSource) -> None:
    with pytest.raises(DataSourceQueryFailed) as err:
        shop.run(QueryRequest(body="SELECT nope FROM orders", values={}))
    assert err.value.status == 502 and "nope" in err.value.message


def test_values_become_json(shop: DataSource) -> None:
    result = shop.run(QueryRequest(
        body="SELECT amount, created_at, shipped_at FROM orders WHERE id = <<id>>",
        values={"id": 1}))
    row = result.rows[0]
    assert row["amount"] == pytest.approx(59.9) and isinstance(row["amount"], float)
    assert row["created_at"].startswith("2024-05-01T09:30:00")
    assert row["shipped_at"] is None


def test_colons_and_empty_lists_on_every_engine(shop: DataSource) -> None:
    sql = ("SELECT id, '10:30' AS t FROM orders WHERE shipping_company IN (<<c>>) "
           "OR id IN (<<ids>>) ORDER BY id")
    result = shop.run(QueryRequest(body=sql, values={"c": ["SF"], "ids": []}))
    assert [(r["id"], r["t"]) for r in result.rows] == [(2, "10:30")]
    none = shop.run(QueryRequest(body=sql, values={"c": [], "ids": []}))
    assert none.rows == []


def test_introspect_lists_orders(shop: DataSource) -> None:
    tables = {t.name: t for t in shop.introspect()}
    assert "orders" in tables
    columns = {c.name: c for c in tables["orders"].columns}
    assert {"id", "address", "shipping_company", "version"} <= set(columns)
    assert columns["shipping_company"].nullable and not columns["address"].nullable
    assert "INT" in columns["version"].type.upper()


def test_test_connection(shop: DataSource) -> None:
    info = shop.test_connection()
    prefix = {"sqlite": ("SQLite",), "mysql": ("MariaDB", "MySQL"), "postgresql": ("PostgreSQL",)}
    assert info.server_version.startswith(prefix[shop.kind]) and info.latency_ms >= 0
