"""Hostile values through every bound value of the flagship queries, on every engine.

Whatever a widget sends, the table is unchanged except the one row the query targets, and a stored
value comes back exactly as sent. A value a database cannot store (NUL in PostgreSQL text, a
string longer than its VARCHAR on a server) is a readable ``DataSourceQueryFailed`` with nothing
changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from typing import Any

import pytest

from datasources.base import (
    DataSource,
    DataSourceQueryFailed,
    FilterClause,
    PageRequest,
    QueryError,
    QueryInputError,
    QueryRequest,
    RowCountMismatch,
    SortKey,
)
from tests.dbservers import ORDERS, fetch_orders
from tests.test_sql_datasources import GET_ORDERS, UPDATE_ORDER, make_source, update_values

PAYLOADS = [
    "' OR 1=1 --",
    "1; DROP TABLE orders",
    "') UNION SELECT password FROM users --",
    "' ; DELETE FROM orders; --",
    "'", '"', "''", "\\", "\\'", "'\\'; --", "\\\"); DROP TABLE orders; --",
    "a\x00b",
    "x" * 10_000,
    "📦🚚✅",
    "中文快递单号",
    "%", "_", "100%_", "!",
    ":p0", "<<shippingCompany.value>>", "%s", "%(p0)s", "$1", "?",
]
COLUMN_LENGTH = {"shipping_company": 20, "shipping_tracking_number": 64}
PAID = [o for o in ORDERS if o["status"] == "paid"]


@pytest.fixture
def shop(orders_url: str) -> Iterator[DataSource]:
    source = make_source(orders_url)
    yield source
    source.close()


def storable(kind: str, column: str, value: str) -> bool:
    if kind == "postgresql" and "\x00" in value:
        return False  # PostgreSQL text cannot hold NUL
    return kind == "sqlite" or len(value) <= COLUMN_LENGTH[column]


def stored(shop: DataSource, column: str) -> Any:
    result = shop.run(QueryRequest(body=f"SELECT {column} FROM orders WHERE id = <<id>>",
                                   values={"id": 1}))
    return result.rows[0][column]


@pytest.mark.parametrize("column", ["shipping_company", "shipping_tracking_number"])
def test_update_order_stores_payloads_verbatim(shop: DataSource, orders_url: str,
                                               column: str) -> None:
    model = fetch_orders(orders_url)
    for payload in PAYLOADS:
        target = model[0]
        company = payload if column == "shipping_company" else "SF"
        number = payload if column == "shipping_tracking_number" else "SF1"
        request = QueryRequest(body=UPDATE_ORDER, values=update_values(target, company, number),
                               expect_rows=1)
        shown = repr(payload[:40])
        if storable(shop.kind, column, payload):
            assert shop.run(request).rowcount == 1, shown
            model[0] = {**target, "shipping_company": company,
                        "shipping_tracking_number": number, "version": target["version"] + 1}
            assert stored(shop, column) == payload, shown
        else:
            with pytest.raises(DataSourceQueryFailed) as err:
                shop.run(request)
            assert err.value.status == 502 and err.value.message, shown
        assert fetch_orders(orders_url) == model, shown


def test_payload_as_the_row_id_changes_at_most_the_target(shop: DataSource,
                                                          orders_url: str) -> None:
    """MySQL turns '1; DROP TABLE orders' into 1 (its own type rule): only row 1 may change."""
    model = fetch_orders(orders_url)
    for payload in PAYLOADS:
        values = update_values({"id": payload, "version": model[0]["version"]}, "JD", "JD1")
        with suppress(RowCountMismatch, DataSourceQueryFailed):
            shop.run(QueryRequest(body=UPDATE_ORDER, values=values, expect_rows=1))
        after = fetch_orders(orders_url)
        assert after[1:] == model[1:], repr(payload[:40])
        if after[0] != model[0]:
            assert after[0] == {**model[0], "shipping_company": "JD",
                                "shipping_tracking_number": "JD1",
                                "version": model[0]["version"] + 1}
        model = after


def expected_ids(op: str, column: str, payload: str) -> list[int]:
    def value(order: dict[str, Any]) -> str | None:
        return order[column]

    if op == "=":
        return [o["id"] for o in PAID if value(o) == payload]
    if op == "!=":
        return [o["id"] for o in PAID if value(o) != payload]
    if op == "contains":
        return [o["id"] for o in PAID if payload.lower() in (value(o) or "").lower()]
    if op == "starts":
        return [o["id"] for o in PAID if (value(o) or "").lower().startswith(payload.lower())]
    assert op == "in"
    return [o["id"] for o in PAID if value(o) == payload]


@pytest.mark.parametrize(("column", "op"), [
    ("address", "="), ("address", "contains"), ("address", "starts"),
    ("shipping_tracking_number", "!="), ("product_name", "in"),
])
def test_get_orders_filters(shop: DataSource, orders_url: str, column: str, op: str) -> None:
    before = fetch_orders(orders_url)
    for payload in PAYLOADS:
        value: Any = [payload, "nothing"] if op == "in" else payload
        page = PageRequest(size=50, sort=(SortKey("id"),),
                           filter=(FilterClause(column, op, value),))
        request = QueryRequest(body=GET_ORDERS, values={}, page=page)
        if shop.kind == "postgresql" and "\x00" in payload:
            with pytest.raises(DataSourceQueryFailed):
                shop.run(request)
            continue
        result = shop.run(request)
        expected = expected_ids(op, column, payload)
        assert [r["id"] for r in result.rows] == expected, (op, payload[:40])
        assert result.total == len(expected)
    assert fetch_orders(orders_url) == before


def test_payload_as_sort_or_filter_column_is_refused(shop: DataSource, orders_url: str) -> None:
    before = fetch_orders(orders_url)
    for payload in PAYLOADS:
        for page in (PageRequest(sort=(SortKey(payload),)),
                     PageRequest(filter=(FilterClause(payload, "notnull"),))):
            with pytest.raises(QueryInputError, match="not a column"):
                shop.run(QueryRequest(body=GET_ORDERS, values={}, page=page))
    assert fetch_orders(orders_url) == before


def test_payloads_in_an_in_list(shop: DataSource, orders_url: str) -> None:
    before = fetch_orders(orders_url)
    by_company = "SELECT id FROM orders WHERE shipping_company IN (<<ids>>) ORDER BY id"
    by_id = "SELECT id FROM orders WHERE id IN (<<ids>>) ORDER BY id"
    for payload in PAYLOADS:
        nul_on_pg = shop.kind == "postgresql" and "\x00" in payload
        try:
            rows = shop.run(QueryRequest(body=by_company, values={"ids": [payload, "SF"]})).rows
            assert [r["id"] for r in rows] == [2], repr(payload[:40])
        except DataSourceQueryFailed:
            assert nul_on_pg
        try:  # a text among integers: PostgreSQL refuses it, MySQL coerces, SQLite matches none
            found = [r["id"] for r in shop.run(QueryRequest(body=by_id,
                                                            values={"ids": [payload, 2]})).rows]
            assert 2 in found and set(found) <= {1, 2}, repr(payload[:40])
        except QueryError as exc:
            assert isinstance(exc, DataSourceQueryFailed) and shop.kind == "postgresql"
    assert fetch_orders(orders_url) == before
