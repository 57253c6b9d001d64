"""CSV export of a published query: access checks, streaming, sort/filter, escaping, audit."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

import widgets
from builder import appspec
from builder.store.policy_models import AuditEvent
from builder.web import export
from datasources import sql_export
from tests.auth_helpers import (
    DEMO_ADMIN_PASSWORD,
    DEMO_OPERATOR_PASSWORD,
    SessionClient,
    bearer,
    ensure_user,
    token_for,
)
from tests.conftest import make_demo_app
from tests.dbservers import run_sql
from tests.export_app import SLUG, SOURCE, publish_export_app

ORDERS = 2600  # more than one fetch batch (1000) and far more than a page
ALL_DATES = {"dates": {"start": "2000-01-01", "endExclusive": "2101-01-01"}}
URL = f"/api/apps/{SLUG}/queries/getOrders/export"
HEADER = ["订单号", "客户", "金额", "状态", "下单时间"]


@dataclass
class World:
    app: Flask
    shop_url: str
    ops: SessionClient

    def shop(self, sql: str, **params: Any) -> list[Any]:
        return run_sql(self.shop_url, sql, **params)

    def audits(self) -> list[AuditEvent]:
        with self.app.extensions["toolcrib"].store.session() as session:
            return list(session.scalars(select(AuditEvent).where(
                AuditEvent.app_slug == SLUG).order_by(AuditEvent.id)))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    instance = tmp_path_factory.mktemp("export") / "instance"
    app = make_demo_app(instance, orders=ORDERS)
    tc = app.extensions["toolcrib"]
    publish_export_app(app)
    ensure_user(app, "ops2", "operator", "password-123")
    yield World(app, f"sqlite:///{instance / 'shop.db'}",
                SessionClient(app, "ops", DEMO_OPERATOR_PASSWORD))
    tc.close()


def read_csv(response: Any) -> list[list[str]]:
    body = response.get_data()
    response.close()
    assert body.startswith(b"\xef\xbb\xbf"), body[:20]
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_the_test_app_is_valid() -> None:
    registry = widgets.build_registry()
    assert [p.message for p in appspec.check_text(SOURCE, "t.yaml", widgets=registry)] == []


def test_who_may_export(world: World) -> None:
    body = {"state": ALL_DATES}
    guest = world.app.test_client()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"',
                     guest.get("/login").get_data(as_text=True))
    assert csrf is not None
    anonymous = guest.post(URL, json=body, headers={"X-CSRFToken": csrf.group(1)})
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["code"] == "unauthorized"
    # An operator without the grant learns nothing about the app: 404 like the run API.
    stranger = SessionClient(world.app, "ops2", "password-123").post(URL, json=body)
    assert stranger.status_code == 404
    assert stranger.get_json()["error"]["code"] == "not_found"
    no_csrf = world.ops.client.post(URL, json=body)
    assert no_csrf.status_code == 400
    assert "security token" in no_csrf.get_json()["error"]["message"]
    granted = world.ops.post(URL, json=body)
    assert granted.status_code == 200, granted.get_data(as_text=True)[:300]
    assert granted.mimetype == "text/csv"
    granted.close()
    token = world.app.test_client().post(URL, json=body, headers=bearer(token_for(world.app,
                                                                                   "ops")))
    assert token.status_code == 200
    token.close()
    admin = SessionClient(world.app, "admin", DEMO_ADMIN_PASSWORD).post(URL, json=body)
    assert admin.status_code == 200
    admin.close()


def test_the_whole_result_streams_with_the_table_labels(world: World) -> None:
    response = world.ops.post(URL, json={"state": ALL_DATES, "filename": "../全部订单"})
    assert response.status_code == 200
    assert response.is_streamed
    # No path in the name; a plain-ASCII fallback for old clients.
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"export.csv\"; "
        "filename*=UTF-8''_%E5%85%A8%E9%83%A8%E8%AE%A2%E5%8D%95.csv")
    rows = read_csv(response)
    assert rows[0] == HEADER  # hidden column (phone) left out, table order and labels
    expected = world.shop("SELECT id, customer_name, status FROM orders ORDER BY id")
    assert len(rows) - 1 == len(expected) >= ORDERS
    by_id = {int(r[0]): r for r in rows[1:]}
    assert [(int(k), by_id[k][1], by_id[k][3]) for k in sorted(by_id)] == \
        [(i, name, status) for i, name, status in expected]


def test_the_date_range_binds_and_the_table_sort_and_filter_apply(world: World) -> None:
    start, end_exclusive = world.shop(
        "SELECT date(min(created_at), '+3 days'), date(min(created_at), '+10 days') "
        "FROM orders")[0]
    page = {"size": 10, "number": 3,
            "sort": [{"column": "amount", "dir": "desc"}],
            "filter": [{"column": "status", "op": "=", "value": "paid"}]}
    response = world.ops.post(URL, json={
        "state": {"dates": {"start": start, "endExclusive": end_exclusive}}, "page": page})
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = read_csv(response)[1:]
    expected = world.shop(
        "SELECT id FROM orders WHERE created_at >= :s AND created_at < :e AND status = 'paid' "
        "ORDER BY amount DESC, id", s=start, e=end_exclusive)
    assert len(expected) > 10  # more than the table's page, from page 1
    assert [int(r[0]) for r in rows] == [i for (i,) in expected]


def test_values_that_spreadsheets_would_run_are_escaped(world: World) -> None:
    nasty = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "普通"]
    try:
        for i, name in enumerate(nasty):
            world.shop("UPDATE orders SET customer_name = :n WHERE id = :i", n=name, i=i + 1)
        rows = read_csv(world.ops.post(URL, json={"state": ALL_DATES, "page": {
            "sort": [{"column": "id"}], "filter": [{"column": "id", "op": "<=", "value": 6}]}}))
    finally:
        world.shop("UPDATE orders SET customer_name = 'x' WHERE id <= 6")
    assert [r[1] for r in rows[1:]] == ["'" + n for n in nasty[:5]] + ["普通"]
    assert all(not r[2].startswith("'") for r in rows[1:])  # numbers stay numbers


def test_an_export_is_audited_with_its_row_count(world: World) -> None:
    before = len(world.audits())
    rows = read_csv(world.ops.post(URL, json={"state": ALL_DATES, "filename": "o.csv"}))
    events = world.audits()[before:]
    assert len(events) == 1
    event = events[0]
    assert (event.kind, event.outcome, event.query_name, event.actor, event.datasource) == (
        "query", "ok", "getOrders", "ops", "shop")
    assert event.rows == len(rows) - 1
    detail = json.loads(event.detail)
    assert detail["export"] == {"format": "csv", "filename": "o.csv", "sort": [], "filter": 0,
                                "truncated": False}
    assert detail["values"] == {"dates.start": "2000-01-01", "dates.endExclusive": "2101-01-01"}


def test_the_export_cap_cuts_the_file_and_says_so_in_the_audit(world: World,
                                                               monkeypatch) -> None:
    monkeypatch.setattr(export, "MAX_EXPORT_ROWS", 25)
    monkeypatch.setattr(sql_export, "BATCH_ROWS", 10)
    rows = read_csv(world.ops.post(URL, json={"state": ALL_DATES}))
    assert len(rows) == 26
    event = world.audits()[-1]
    assert event.rows == 25 and json.loads(event.detail)["export"]["truncated"] is True


@pytest.mark.parametrize(("query", "body", "status", "code"), [
    ("getOrders", {"state": {"dates": {"start": "2024-02-30x", "endExclusive": None}}}, 400,
     "bad_input"),
    ("getOrders", {"state": {"dates": {"start": None, "endExclusive": "2024-01-01"}}}, 400,
     "bad_input"),
    ("getOrders", {"state": ALL_DATES, "page": {"sort": [{"column": "nope"}]}}, 400,
     "bad_input"),
    ("touch", {"state": {}}, 400, "bad_input"),
    ("nothing", {"state": {}}, 404, "not_found"),
])
def test_bad_exports_are_refused_as_json_and_audited(world: World, query: str, body: Any,
                                                     status: int, code: str) -> None:
    before = len(world.audits())
    response = world.ops.post(f"/api/apps/{SLUG}/queries/{query}/export", json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == code
    assert world.audits()[before].outcome == code


def test_a_query_without_a_table_exports_every_column(world: World) -> None:
    rows = read_csv(world.ops.post(f"/api/apps/{SLUG}/queries/everything/export",
                                   json={"state": {}}))
    assert rows[0][:3] == ["id", "customer_name", "phone"]
    assert len(rows) - 1 == world.shop("SELECT count(*) FROM orders")[0][0]
