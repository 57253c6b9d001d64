"""The audit log: what query runs, sign-ins and admin changes record (secrets redacted), the admin
page's filters, pages and detail view, the streamed CSV export, retention and the append-only rule.

Each test that writes runs on its own small demo instance (30 orders).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, event, select, text, update

from builder.cli import main
from builder.security import audit
from builder.security.audit_search import CLOCK_SKEW, AuditFilters, iter_batches, page
from builder.security.auth import Principal
from builder.store import apps as app_records
from builder.store.models import utcnow
from builder.store.policy_models import AuditEvent
from datasources.base import DataSourceQueryFailed, DataSourceTimeout, DataSourceUnavailable
from tests.auth_helpers import (
    DEMO_ADMIN_PASSWORD,
    DEMO_OPERATOR_PASSWORD,
    SessionClient,
    bearer,
    ensure_user,
    token_for,
)
from tests.conftest import make_toolcrib_app

FLAGSHIP = "order-shipping"
RUN = "/api/apps/{slug}/queries/{name}/run"
PAGE = {"state": {}, "page": {"size": 5, "number": 1}}
OPS_ADDRESS = "198.51.100.7"

VAULT = """\
format: 1
app: vault
title: Vault
pages:
  - name: main
    widgets:
      - {name: pinInput, type: input, at: [0, 0, 4, 1], inputType: password}
      - {name: passwordInput, type: input, at: [0, 1, 4, 1]}
      - {name: noteInput, type: input, at: [0, 2, 4, 1]}
queries:
  check:
    datasource: shop
    sql: |
      SELECT COUNT(*) AS n FROM orders
      WHERE customer_name <> <<pinInput.value>>
        AND customer_name <> <<passwordInput.value>>
        AND customer_name <> <<noteInput.value>>
        AND customer_name <> <<noteInput.value || pinInput.value>>
"""


@pytest.fixture
def ops(shop_app: Flask) -> Any:
    """A test client for the demo operator's API token, from OPS_ADDRESS."""
    client = shop_app.test_client()
    client.environ_base["REMOTE_ADDR"] = OPS_ADDRESS
    headers = bearer(token_for(shop_app, "ops"))

    def run(name: str, body: Any, slug: str = FLAGSHIP) -> Any:
        return client.post(RUN.format(slug=slug, name=name), json=body, headers=headers)

    return run


@pytest.fixture
def admin(shop_app: Flask) -> SessionClient:
    return SessionClient(shop_app, "admin", DEMO_ADMIN_PASSWORD)


def events(app: Flask, kind: str | None = None) -> list[AuditEvent]:
    with app.extensions["toolcrib"].store.session() as session:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        if kind:
            stmt = stmt.where(AuditEvent.kind == kind)
        return list(session.scalars(stmt))


def last(app: Flask, kind: str) -> AuditEvent:
    found = events(app, kind)
    assert found, f"no {kind} event"
    return found[-1]


def detail(e: AuditEvent) -> dict[str, Any]:
    return json.loads(e.detail)


def add_events(app: Flask, rows: list[dict[str, Any]]) -> None:
    with app.extensions["toolcrib"].store.session() as session:
        for row in rows:
            session.add(AuditEvent(**{"outcome": "ok", "kind": "query", **row}))


def first_order(ops: Any) -> dict[str, Any]:
    response = ops("getOrders", PAGE)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["rows"][0]


def update_state(row: dict[str, Any], number: str = "SF123") -> dict[str, Any]:
    return {"state": {"ordersTable": {"selectedRow": row}, "shippingCompany": {"value": "SF"},
                      "shippingNumberInput": {"value": number}}}


# --- query runs -------------------------------------------------------------------------------

def test_a_successful_run_records_everything(shop_app: Flask, ops: Any) -> None:
    row = first_order(ops)
    ran = last(shop_app, "query")
    loaded = shop_app.extensions["toolcrib"].published.get(FLAGSHIP)
    assert loaded is not None
    number = loaded.version_number
    assert (ran.actor, ran.client_ip, ran.app_slug, ran.app_version, ran.query_name,
            ran.datasource, ran.outcome) == ("ops", OPS_ADDRESS, FLAGSHIP, number, "getOrders",
                                             "shop", "ok")
    assert ran.actor_id == ensure_user(shop_app, "ops", "operator")
    assert ran.rows == 5 and ran.duration_ms is not None and ran.duration_ms >= 0
    assert detail(ran) == {"values": {}}

    assert ops("updateOrder", update_state(row)).status_code == 200
    changed = last(shop_app, "query")
    assert (changed.query_name, changed.outcome, changed.rows) == ("updateOrder", "ok", 1)
    assert detail(changed)["values"] == {
        "shippingCompany.value": "SF", "shippingNumberInput.value": "SF123",
        "ordersTable.selectedRow.id": row["id"],
        "ordersTable.selectedRow.version": row["version"]}


def test_each_error_kind_is_recorded(shop_app: Flask, ops: Any) -> None:
    row = first_order(ops)
    assert ops("updateOrder", update_state(row)).status_code == 200
    cases = [
        # missing state: the run is refused before it reaches the database
        (ops("updateOrder", {"state": {}}), 400, "bad_input"),
        (ops("noSuchQuery", PAGE), 404, "not_found"),
        (ops("getOrders", PAGE, slug="no-such-app"), 404, "not_found"),
        # the row's version is stale now: 0 rows changed, rolled back
        (ops("updateOrder", update_state(row, "SF999")), 409, "row_count_mismatch"),
    ]
    logged = events(shop_app, "query")[-len(cases):]
    for (response, status, code), entry in zip(cases, logged, strict=True):
        assert response.status_code == status and response.get_json()["error"]["code"] == code
        assert entry.outcome == code and entry.actor == "ops" and entry.client_ip == OPS_ADDRESS
        assert entry.duration_ms is not None and entry.rows is None
        assert detail(entry)["error"] == response.get_json()["error"]["message"]
    bad_input, _unknown_query, unknown_app, mismatch = logged
    assert bad_input.query_name == "updateOrder" and bad_input.datasource == "shop"
    assert unknown_app.app_slug == "no-such-app" and unknown_app.app_version is None
    assert mismatch.datasource == "shop"
    assert detail(mismatch)["values"]["shippingNumberInput.value"] == "SF999"


class Failing:
    """A data source whose every run raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def run(self, request: Any) -> Any:
        raise self.error


@pytest.mark.parametrize(("error", "status", "code"), [
    (DataSourceUnavailable("cannot connect"), 502, "datasource_unavailable"),
    (DataSourceQueryFailed("syntax error"), 502, "query_failed"),
    (DataSourceTimeout("too slow"), 504, "timeout"),
    (RuntimeError("driver bug"), 500, "internal_error"),
])
def test_data_source_failures_are_recorded(shop_app: Flask, ops: Any,
                                           monkeypatch: pytest.MonkeyPatch,
                                           error: BaseException, status: int, code: str) -> None:
    connections = shop_app.extensions["toolcrib"].connections
    monkeypatch.setattr(connections, "get", lambda name: Failing(error))
    response = ops("getOrders", PAGE)
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    entry = last(shop_app, "query")
    assert (entry.outcome, entry.query_name, entry.datasource, entry.actor) == (
        code, "getOrders", "shop", "ops")


def test_an_unregistered_data_source_is_recorded(shop_app: Flask, ops: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from builder.store.datasources import UnknownDataSource

    def missing(name: str) -> Any:
        raise UnknownDataSource(name)

    monkeypatch.setattr(shop_app.extensions["toolcrib"].connections, "get", missing)
    assert ops("getOrders", PAGE).status_code == 502
    assert last(shop_app, "query").outcome == "datasource_missing"


def test_secret_values_are_redacted(shop_app: Flask) -> None:
    tc = shop_app.extensions["toolcrib"]
    with tc.store.session() as session:
        app_records.publish(session, app_records.save_version(
            session, slug="vault", title="Vault", source=VAULT))
    client = shop_app.test_client()
    token = token_for(shop_app, "dev", role="developer")
    state = {"pinInput": {"value": "4321"}, "passwordInput": {"value": "hunter2"},
             "noteInput": {"value": "see desk"}}
    response = client.post(RUN.format(slug="vault", name="check"), json={"state": state},
                           headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    entry = last(shop_app, "query")
    assert detail(entry)["values"] == {
        "pinInput.value": audit.MASK,  # a password input, whatever its name
        "passwordInput.value": audit.MASK,  # a secret-looking name
        "noteInput.value": "see desk",
        "noteInput.value || pinInput.value": audit.MASK,  # reads the password input
    }
    assert "4321" not in entry.detail and "hunter2" not in entry.detail


def test_redact_masks_nested_secret_names() -> None:
    assert audit.redact({"user": "x", "api_token": "t", "config": {
        "Password": "p", "hosts": [{"secret_key": "s", "name": "db"}]}}) == {
        "user": "x", "api_token": audit.MASK, "config": {
            "Password": audit.MASK, "hosts": [{"secret_key": audit.MASK, "name": "db"}]}}


# --- sign-ins ---------------------------------------------------------------------------------

def _sign_in(app: Flask, login: str, password: str, address: str) -> int:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    return client.post("/login", data={"login": login, "password": password,
                                       "csrf_token": token.group(1)}).status_code


def test_sign_ins_failures_and_sign_outs(shop_app: Flask) -> None:
    assert _sign_in(shop_app, "ops", DEMO_OPERATOR_PASSWORD, "203.0.113.1") == 302
    ok = last(shop_app, "signin")
    assert (ok.actor, ok.client_ip, ok.outcome) == ("ops", "203.0.113.1", "ok")
    assert ok.actor_id == ensure_user(shop_app, "ops", "operator")

    assert _sign_in(shop_app, "ops", "wrong-password", "203.0.113.2") == 401
    failed = last(shop_app, "signin_failed")
    assert (failed.actor, failed.actor_id, failed.client_ip, failed.outcome) == (
        "ops", None, "203.0.113.2", "bad_credentials")
    assert "wrong-password" not in failed.detail

    assert _sign_in(shop_app, "nobody", "whatever", "203.0.113.3") == 401
    assert last(shop_app, "signin_failed").actor == "nobody"
    for _ in range(5):
        _sign_in(shop_app, "ops", "wrong-again", "203.0.113.4")
    assert last(shop_app, "signin_failed").outcome == "rate_limited"

    admin = SessionClient(shop_app, "admin", DEMO_ADMIN_PASSWORD)
    admin.post("/logout")
    out = last(shop_app, "signout")
    assert (out.actor, out.outcome) == ("admin", "ok")


# --- admin changes ----------------------------------------------------------------------------

def test_admin_changes_keep_before_and_after_with_secrets_masked(shop_app: Flask,
                                                                  admin: SessionClient) -> None:
    who = Principal(1, "admin", None, "admin", 0)
    with shop_app.test_request_context(environ_base={"REMOTE_ADDR": "10.1.1.1"}):
        audit.admin_change(who, "datasource.update", "shop",
                           before={"host": "db1", "password": "old-pw", "pool": 5},
                           after={"host": "db2", "password": "new-pw", "pool": 5})
    change = last(shop_app, "admin")
    assert change.actor == "admin" and change.client_ip == "10.1.1.1"
    assert detail(change) == {
        "action": "datasource.update", "target": "shop",
        "before": {"host": "db1", "password": audit.MASK, "pool": 5},
        "after": {"host": "db2", "password": audit.MASK, "pool": 5}}
    assert "old-pw" not in change.detail and "new-pw" not in change.detail

    page_html = admin.get(f"/admin/audit/{change.id}").get_data(as_text=True)
    assert "Before and after" in page_html and "datasource.update" in page_html
    assert "old-pw" not in page_html and "new-pw" not in page_html
    assert re.search(r'<tr class="tc-audit-changed">\s*<td>host', page_html)
    assert not re.search(r'<tr class="tc-audit-changed">\s*<td>pool', page_html)


def test_query_event_detail_page(shop_app: Flask, ops: Any, admin: SessionClient) -> None:
    row = first_order(ops)
    ops("updateOrder", update_state(row, "<script>alert(1)</script>"))
    entry = last(shop_app, "query")
    html = admin.get(f"/admin/audit/{entry.id}").get_data(as_text=True)
    assert "Bound values" in html and "&lt;&lt;shippingNumberInput.value&gt;&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert OPS_ADDRESS in html and "updateOrder" in html
    assert admin.get("/admin/audit/999999").status_code == 404
    # The back link only goes back to the log.
    back = admin.get(f"/admin/audit/{entry.id}?back=https://evil.example/").get_data(
        as_text=True)
    assert "evil.example" not in back


# --- the page: filters and pages --------------------------------------------------------------

def _table_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/admin/audit/(\d+)\?', html)]


def test_page_filters(shop_app: Flask, admin: SessionClient) -> None:
    now = utcnow()
    admin_id = ensure_user(shop_app, "admin", "admin")
    ops_id = ensure_user(shop_app, "ops", "operator")
    add_events(shop_app, [
        {"actor": "ops", "actor_id": ops_id, "app_slug": "a1", "query_name": "q1",
         "at": now - timedelta(days=3)},
        {"actor": "ops", "actor_id": ops_id, "app_slug": "a2", "query_name": "q2",
         "outcome": "timeout", "at": now - timedelta(days=2)},
        {"actor": "admin", "actor_id": admin_id, "app_slug": "a1", "query_name": "q2",
         "at": now - timedelta(days=1)},
        {"kind": "signin_failed", "actor": "ops", "outcome": "bad_credentials",
         "at": now - timedelta(hours=1)},
        {"kind": "signin_failed", "actor": "=cmd|' /C calc'!A0", "outcome": "bad_credentials",
         "at": now - timedelta(hours=1)},
    ])
    ids = {e.query_name or e.actor: e.id for e in events(shop_app)
           if e.at < now and (e.query_name or e.kind == "signin_failed")}
    ops_failed = max(e.id for e in events(shop_app, "signin_failed") if e.actor == "ops")

    def shown(**args: str) -> list[int]:
        response = admin.get("/admin/audit", query_string=args)
        assert response.status_code == 200
        return [i for i in _table_ids(response.get_data(as_text=True))]

    every = shown()
    assert every == sorted(every, reverse=True)  # newest first
    q1, q2_ops = ids["q1"], events(shop_app)[-4].id
    q2_admin = events(shop_app)[-3].id
    assert shown(user="ops", kind="query") == [q2_ops, q1]
    assert ops_failed in shown(user="ops")  # failed sign-ins typed with that name count too
    assert shown(user="OPS", kind="signin_failed") == [ops_failed]
    assert shown(app="a1") == [q2_admin, q1]
    assert shown(query="q2") == [q2_admin, q2_ops]
    assert shown(app="a1", query="q2") == [q2_admin]
    assert shown(outcome="timeout") == [q2_ops]
    assert q2_ops in shown(outcome="failed") and q1 not in shown(outcome="failed")
    stamp = "%Y-%m-%dT%H:%M"
    window = {"since": (now - timedelta(days=2, hours=12)).strftime(stamp),
              "until": (now - timedelta(hours=12)).strftime(stamp)}
    assert shown(kind="query", **window) == [q2_admin, q2_ops]
    assert shown(user="nobody") == []
    bad = admin.get("/admin/audit", query_string={"since": "yesterday", "kind": "bogus"})
    assert bad.status_code == 200
    html = bad.get_data(as_text=True)
    assert "“yesterday” is not a time" in html and "unknown kind “bogus”" in html


def test_keyset_pages(app: Flask) -> None:
    base = datetime(2025, 1, 1)
    add_events(app, [{"actor": f"u{i % 3}", "at": base + timedelta(minutes=i)}
                     for i in range(120)])
    store = app.extensions["toolcrib"].store
    with store.session() as session:
        first = page(session, AuditFilters(), size=50)
        second = page(session, AuditFilters(), before=first.older, size=50)
        third = page(session, AuditFilters(), before=second.older, size=50)
        back = page(session, AuditFilters(), after=third.newer, size=50)
        u1 = page(session, AuditFilters(user="u1"), size=30)
    ids = [e.id for e in first.events + second.events + third.events]
    assert len(ids) == 120 and ids == sorted(ids, reverse=True) and len(set(ids)) == 120
    assert first.newer is None and first.older is not None
    assert third.older is None and len(third.events) == 20
    assert [e.id for e in back.events] == [e.id for e in second.events]
    assert len(u1.events) == 30 and {e.actor for e in u1.events} == {"u1"}


def test_time_range_allows_for_clock_skew(app: Flask) -> None:
    """Writers' clocks may disagree a little (less than CLOCK_SKEW): an event written after
    another but stamped earlier is still found by its time, although the range is narrowed to
    ids first."""
    base = datetime(2025, 3, 1, 12, 0)
    minute = timedelta(minutes=1)
    assert timedelta(minutes=5) <= CLOCK_SKEW
    add_events(app, [  # in the order they were written
        {"actor": "long-ago", "at": base - 60 * minute},
        {"actor": "in", "at": base + 4 * minute},
        {"actor": "late-clock", "at": base + minute / 2},
        {"actor": "just-before", "at": base - 2 * minute},
        {"actor": "in2", "at": base + 59 * minute},
        {"actor": "after", "at": base + 61 * minute},
        {"actor": "slow-writer", "at": base + 59.5 * minute},
        {"actor": "much-later", "at": base + 180 * minute},
        {"actor": "much-later-2", "at": base + 178 * minute},
    ])
    with app.extensions["toolcrib"].store.session() as session:
        found = page(session, AuditFilters(since=base, until=base + 60 * minute))
        none = page(session, AuditFilters(since=base + timedelta(days=9)))
        since_only = page(session, AuditFilters(since=base + 179 * minute))
    assert [e.actor for e in found.events] == ["slow-writer", "in2", "late-clock", "in"]
    assert none.events == []
    assert [e.actor for e in since_only.events] == ["much-later"]


def test_only_admins_reach_the_audit_pages(shop_app: Flask) -> None:
    ops = SessionClient(shop_app, "ops", DEMO_OPERATOR_PASSWORD)
    dev_token = token_for(shop_app, "dev", role="developer")
    add_events(shop_app, [{"actor": "x"}])
    one = events(shop_app)[-1].id
    for path in ("/admin/audit", f"/admin/audit/{one}", "/admin/audit/export.csv"):
        assert ops.get(path).status_code == 403, path
        assert shop_app.test_client().get(path, headers=bearer(dev_token)).status_code == 403
        anonymous = shop_app.test_client().get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert ops.post("/admin/audit/retention", data={"days": "1"}).status_code == 403
    with shop_app.extensions["toolcrib"].store.session() as session:
        assert audit.retention_days(session) == audit.DEFAULT_RETENTION_DAYS


# --- CSV export -------------------------------------------------------------------------------

def _csv(body: str) -> list[dict[str, str]]:
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_csv_export_of_the_filtered_events(shop_app: Flask, ops: Any,
                                           admin: SessionClient) -> None:
    first_order(ops)
    add_events(shop_app, [{"kind": "signin_failed", "actor": "=HYPERLINK(\"http://x\")",
                           "outcome": "bad_credentials", "client_ip": "192.0.2.9"}])
    response = admin.get("/admin/audit/export.csv", query_string={"kind": "query"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = _csv(response.get_data(as_text=True))
    assert [r["query_name"] for r in rows] == ["getOrders"]
    (row,) = rows
    assert (row["actor"], row["client_ip"], row["app_slug"], row["datasource"], row["outcome"],
            row["rows"]) == ("ops", OPS_ADDRESS, FLAGSHIP, "shop", "ok", "5")
    assert json.loads(row["detail"]) == {"values": {}}
    assert list(rows[0]) == ["id", "at", "kind", "actor", "actor_id", "client_ip", "app_slug",
                             "app_version", "query_name", "datasource", "outcome", "rows",
                             "duration_ms", "detail"]
    failed = _csv(admin.get("/admin/audit/export.csv",
                            query_string={"kind": "signin_failed"}).get_data(as_text=True))
    # A cell a spreadsheet would run as a formula is quoted.
    assert failed[0]["actor"] == "'=HYPERLINK(\"http://x\")"
    exported = last(shop_app, "admin")
    assert detail(exported) == {"action": "audit.export", "target": "audit log",
                                "filters": {"kind": "signin_failed"}}
    bad = admin.get("/admin/audit/export.csv", query_string={"since": "soon"})
    assert bad.status_code == 400


def test_csv_export_streams_in_batches(shop_app: Flask, admin: SessionClient,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from builder.web import admin_audit

    add_events(shop_app, [{"actor": "bulk", "query_name": f"q{i}"} for i in range(25)])
    monkeypatch.setattr(admin_audit, "CSV_BATCH", 10)
    engine = shop_app.extensions["toolcrib"].store.engine
    selects: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM audit_events" in statement and statement.lstrip().startswith("SELECT"):
            selects.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = admin.get("/admin/audit/export.csv", query_string={"user": "bulk"},
                             buffered=False)
        assert response.is_streamed
        chunks = iter(response.response)
        header = next(chunks)
        assert "id,at,kind" in (header.decode() if isinstance(header, bytes) else header)
        assert selects == [], "nothing was read before the first chunk was sent"
        rest = list(chunks)
        response.close()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(rest) == 3  # 10 + 10 + 5 events, one query each
    body = "".join(c.decode() if isinstance(c, bytes) else c for c in [header, *rest])
    assert [r["query_name"] for r in _csv(body)] == [f"q{i}" for i in reversed(range(25))]


def test_iter_batches_reads_one_batch_at_a_time(app: Flask) -> None:
    add_events(app, [{"actor": "a"} for _ in range(7)])
    batches = list(iter_batches(app.extensions["toolcrib"].store, AuditFilters(), batch=3))
    assert [len(b) for b in batches] == [3, 3, 1]


# --- retention --------------------------------------------------------------------------------

def test_retention_setting_on_the_page_purges(shop_app: Flask, admin: SessionClient) -> None:
    now = utcnow()
    add_events(shop_app, [{"actor": "old", "at": now - timedelta(days=400)},
                          {"actor": "month", "at": now - timedelta(days=40)},
                          {"actor": "recent", "at": now - timedelta(days=2)}])
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert 'name="days"' in html and 'value="365"' in html
    assert admin.post("/admin/audit/retention", data={"days": "30"}).status_code == 302
    actors = {e.actor for e in events(shop_app)}
    assert "recent" in actors and not {"old", "month"} & actors
    with shop_app.extensions["toolcrib"].store.session() as session:
        assert audit.retention_days(session) == 30
    change = [detail(e) for e in events(shop_app, "admin")]
    assert {"action": "audit.retention", "target": "audit log", "before": {"days": 365},
            "after": {"days": 30}} in change
    purged = next(d for d in change if d["action"] == "audit.purge")
    assert purged["deleted"] == 2 and purged["retention_days"] == 30
    page_after = admin.get("/admin/audit").get_data(as_text=True)
    assert "Audit events are kept for 30 days. 2 older events were deleted." in page_after
    refused = admin.post("/admin/audit/retention", data={"days": "0"})
    assert refused.status_code == 302
    assert "from 1 to 36500 days" in admin.get("/admin/audit").get_data(as_text=True)


def test_purge_runs_at_most_once_an_hour_on_writes(shop_app: Flask) -> None:
    now = utcnow()
    state = shop_app.extensions.setdefault("toolcrib.audit_purge", {"next": 0.0})
    state["next"] = 0.0
    add_events(shop_app, [{"actor": "old1", "at": now - timedelta(days=500)}])
    with shop_app.app_context():
        audit.record("signout", outcome="ok", actor="someone")
    assert "old1" not in {e.actor for e in events(shop_app)}
    add_events(shop_app, [{"actor": "old2", "at": now - timedelta(days=500)}])
    with shop_app.app_context():
        audit.record("signout", outcome="ok", actor="someone")
    assert "old2" in {e.actor for e in events(shop_app)}, "purged twice within the hour"
    state["next"] = 0.0  # an hour later
    with shop_app.app_context():
        audit.record("signout", outcome="ok", actor="someone")
    assert "old2" not in {e.actor for e in events(shop_app)}
    purges = [detail(e) for e in events(shop_app, "admin")
              if detail(e).get("action") == "audit.purge"]
    assert [p["deleted"] for p in purges] == [1, 1]
    assert {e.actor for e in events(shop_app, "admin")
            if detail(e).get("action") == "audit.purge"} == {"system"}


def test_purge_works_in_bounded_batches(app: Flask) -> None:
    now = utcnow()
    add_events(app, [{"actor": "old", "at": now - timedelta(days=400, minutes=i)}
                     for i in range(23)] + [{"actor": "new", "at": now}])
    store = app.extensions["toolcrib"].store
    assert audit.purge(store, max_batches=2, batch=5) == (10, False)
    assert audit.purge(store, batch=5) == (13, True)
    assert [e.actor for e in events(app)] == ["new"]


def test_cli_purge_and_retention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    instance = tmp_path / "instance"
    monkeypatch.setenv("TOOLCRIB_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("TOOLCRIB_DATABASE_URL", raising=False)
    flask_app = make_toolcrib_app(instance)
    try:
        now = utcnow()
        assert main(["audit", "retention"]) == 0
        assert "kept for 365 days" in capsys.readouterr().out
        assert main(["audit", "retention", "90"]) == 0
        assert "kept for 90 days (was 365)" in capsys.readouterr().out
        add_events(flask_app, [{"actor": "old", "at": now - timedelta(days=100)},
                               {"actor": "new", "at": now - timedelta(days=1)}])
        assert main(["audit", "purge"]) == 0
        assert "deleted 1 audit event older than 90 days" in capsys.readouterr().out
        actors = [(e.actor, detail(e).get("action")) for e in events(flask_app)]
        assert ("old", None) not in actors and ("new", None) in actors
        assert any(a and a.startswith("cli:") and action == "audit.purge"
                   for a, action in actors)
        assert any(action == "audit.retention" for _a, action in actors)
    finally:
        flask_app.extensions["toolcrib"].close()


# --- append-only ------------------------------------------------------------------------------

def test_the_application_cannot_change_or_delete_events(app: Flask) -> None:
    add_events(app, [{"actor": "kept"}])
    store = app.extensions["toolcrib"].store
    with pytest.raises(audit.AppendOnlyError), store.session() as session:
        session.scalars(select(AuditEvent)).one().actor = "changed"
    with pytest.raises(audit.AppendOnlyError), store.session() as session:
        session.delete(session.scalars(select(AuditEvent)).one())
    with pytest.raises(audit.AppendOnlyError), store.session() as session:
        session.execute(update(AuditEvent).values(actor="changed"))
    with pytest.raises(audit.AppendOnlyError), store.session() as session:
        session.execute(delete(AuditEvent))
    # Below the ORM, the database refuses updates too (a trigger, SQLite and PostgreSQL).
    with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'changed'"))
    assert [e.actor for e in events(app)] == ["kept"]
