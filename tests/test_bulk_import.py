"""Bulk import (``import:`` queries, ``fileinput``): the bundled order-import app over HTTP.

A good file inserts every row in one transaction (SQLite, MariaDB/MySQL, PostgreSQL); a file
with bad rows is refused with exactly those problems and nothing written; a database error on
row 37 rolls every row back; xlsx, GBK and BOM files read; size, type and header refusals; the
access checks of the run API; validation of the new shapes.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import create_engine, select

from builder.appspec import check_text
from builder.demo.shop_schema import orders
from builder.store.policy_models import AuditEvent
from tests.auth_helpers import SessionClient, bearer, ensure_user, token_for
from tests.conftest import make_toolcrib_app
from tests.import_app import (
    APP_FILE,
    HEADER,
    SEED_PHONES,
    SLUG,
    csv_bytes,
    good_rows,
    make_shop,
    order_count,
    publish_import_app,
    shop_rows,
)
from widgets import build_registry

URL = f"/api/apps/{SLUG}/queries/importOrders/import"
WIDGETS = build_registry()


@dataclass
class Site:
    app: Flask
    shop_url: str
    ops: SessionClient

    def upload(self, data: bytes, filename: str = "orders.csv",
               client: Any = None, **kwargs: Any) -> Any:
        form = {"file": (io.BytesIO(data), filename), "body": json.dumps({"state": {}})}
        return (client or self.ops).post(URL, data=form, content_type="multipart/form-data",
                                         **kwargs)

    def audits(self) -> list[AuditEvent]:
        with self.app.extensions["toolcrib"].store.session() as session:
            return list(session.scalars(select(AuditEvent).where(
                AuditEvent.app_slug == SLUG).order_by(AuditEvent.id)))


def typed_row(url: str, phone: str) -> tuple[Any, ...]:
    """One order by phone, read through the table's column types (datetimes, decimals)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(select(
                orders.c.customer_name, orders.c.phone, orders.c.product_name,
                orders.c.quantity, orders.c.amount, orders.c.status, orders.c.created_at,
                orders.c.version).where(orders.c.phone == phone)).one())
    finally:
        engine.dispose()


def _site(tmp_path: Any, url: str) -> Iterator[Site]:
    make_shop(url)
    app = make_toolcrib_app(tmp_path / "instance")
    publish_import_app(app, url)
    yield Site(app, url, SessionClient(app, "ops", "ops-pass-123"))
    app.extensions["toolcrib"].close()


@pytest.fixture
def site(tmp_path: Any, db_url: str) -> Iterator[Site]:
    """The app on each engine."""
    yield from _site(tmp_path, db_url)


@pytest.fixture
def lite(tmp_path: Any, sqlite_url: str) -> Iterator[Site]:
    """The app on SQLite only (for what does not depend on the engine)."""
    yield from _site(tmp_path, sqlite_url)


# --- the engine-dependent part: inserting, rolling back -------------------------------------

def test_a_good_file_inserts_every_row(site: Site) -> None:
    before = order_count(site.shop_url)
    response = site.upload(csv_bytes(good_rows(120)))
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["inserted"] == answer["rowcount"] == 120 and answer["rows"] == []
    assert order_count(site.shop_url) == before + 120
    first = typed_row(site.shop_url, "13900000001")
    assert tuple(first[:6]) == ("客户1", "13900000001", "保温杯 500ml", 2, Decimal("11.50"),
                                "paid")
    assert first[6] == datetime(2024, 6, 2, 10, 1) and first[7] == 1
    event = site.audits()[-1]
    detail = json.loads(event.detail)
    assert (event.outcome, event.rows, event.query_name) == ("ok", 120, "importOrders")
    assert detail["import"] == {"file": "orders.csv", "bytes": len(csv_bytes(good_rows(120))),
                                "rows": 120}
    assert "客户1" not in event.detail  # never the file's content


def test_a_database_error_on_row_37_rolls_back_every_row(site: Site) -> None:
    shop_rows(site.shop_url, "CREATE UNIQUE INDEX ux_import_phone ON orders (phone)")
    before = order_count(site.shop_url)
    rows = good_rows(60)
    rows[36][1] = SEED_PHONES[1]  # row 37 of the data = line 38 of the file
    response = site.upload(csv_bytes(rows))
    assert response.status_code == 422, response.get_json()
    answer = response.get_json()
    assert answer["error"]["code"] == "row_failed"
    assert answer["error"]["message"].startswith("line 38: ")
    assert "nothing was imported" in answer["error"]["message"]
    assert [(p["line"], p["code"]) for p in answer["problems"]] == [(38, "database")]
    assert order_count(site.shop_url) == before
    assert site.audits()[-1].outcome == "row_failed"


def test_bad_rows_are_all_reported_and_nothing_is_written(site: Site) -> None:
    rows = good_rows(10)
    rows[1][0] = ""                      # line 3: 客户 required
    rows[3][4] = "两"                    # line 5: 数量 not a number
    rows[3][5] = "abc"                   # line 5: 金额 not a number
    rows[5][4] = "0"                     # line 7: 数量 below min 1
    rows[6][6] = "已退款"                 # line 8: 状态 not a label
    rows[7][7] = "31/12/2024"            # line 9: 下单时间 not a date
    rows[8][0] = "长" * 101               # line 10: 客户 too long
    rows[9][1] = "phone!"                # line 11: 电话 pattern
    before = order_count(site.shop_url)
    response = site.upload(csv_bytes(rows))
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"]["code"] == "invalid_rows"
    assert answer["problemCount"] == 8
    assert [(p["line"], p["column"], p["code"]) for p in answer["problems"]] == [
        (3, "客户", "required"), (5, "数量", "type"), (5, "金额", "type"), (7, "数量", "min"),
        (8, "状态", "enum"), (9, "下单时间", "type"), (10, "客户", "max"),
        (11, "电话", "pattern")]
    assert answer["problems"][1]["value"] == "两"
    assert answer["problems"][3]["reason"] == "too small: at least 1"
    assert order_count(site.shop_url) == before
    event = site.audits()[-1]
    assert event.outcome == "invalid_rows"
    assert json.loads(event.detail)["import"]["problems"] == 8


# --- file formats (SQLite) ----------------------------------------------------------------

def test_xlsx_with_typed_cells(lite: Site) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["王五", 13700137000, "广州", "KB-87", 3, 987.5, "已发货",
                  datetime(2024, 7, 1, 8, 0)])
    sheet.append([None] * 8)  # a blank row is skipped, but counted
    sheet.append(["赵六", "13600136000", "深圳", "MOU-WL02", 1, "79", None, "2024-07-02 09:00"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = lite.upload(buffer.getvalue(), "订单.xlsx")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["inserted"] == 2
    rows = [typed_row(lite.shop_url, phone) for phone in ("13600136000", "13700137000")]
    assert [(r[4], r[5], r[6]) for r in rows] == [
        (Decimal("79.00"), "pending_payment", datetime(2024, 7, 2, 9, 0)),
        (Decimal("987.50"), "shipped", datetime(2024, 7, 1, 8, 0))]
    bad = Workbook()
    bad.active.append(HEADER)
    bad.active.append(["x", "13700137001", "y", "KB-87", 1, 1, "已付款", None])
    buffer = io.BytesIO()
    bad.save(buffer)
    refused = lite.upload(buffer.getvalue(), "b.xlsx").get_json()["problems"]
    assert [(p["line"], p["column"]) for p in refused] == [(2, "下单时间")]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_csv_encodings(lite: Site, encoding: str) -> None:
    before = order_count(lite.shop_url)
    response = lite.upload(csv_bytes(good_rows(5), encoding=encoding))
    assert response.status_code == 200, response.get_json()
    assert order_count(lite.shop_url) == before + 5
    names = {r[0] for r in shop_rows(lite.shop_url, "SELECT address FROM orders")}
    assert "上海市 4 号" in names


def test_header_by_key_and_optional_column_left_out(lite: Site) -> None:
    header = ["customer_name", "phone", "address", "sku", "quantity", "amount", "created_at"]
    rows = [[r[0], r[1], r[2], r[3], r[4], r[5], r[7]] for r in good_rows(2)]
    response = lite.upload(csv_bytes(rows, header=header))
    assert response.status_code == 200, response.get_json()
    assert {r[0] for r in shop_rows(lite.shop_url, "SELECT status FROM orders WHERE "
                                                    "customer_name LIKE '客户%'")} == \
        {"pending_payment"}


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"x" * (5 * 1024 * 1024 + 1), "big.csv", "larger than 5.0 MB"),
    (b"%PDF-1.4", "orders.pdf", "is not a .csv or .xlsx file"),
    (b"PK\x03\x04 not really", "orders.xlsx", "not a valid Excel .xlsx workbook"),
    (csv_bytes([]), "orders.csv", "a header but no rows"),
    (b"", "orders.csv", "the file is empty"),
    (csv_bytes(good_rows(1), header=[h for h in HEADER if h != "数量"]), "orders.csv",
     "lacks the required column(s) 数量"),
    (csv_bytes([[*r, "x"] for r in good_rows(1)], header=[*HEADER, "备注"]), "orders.csv",
     "unknown column '备注'"),
    (csv_bytes(good_rows(1), header=[*HEADER[:-1], "客户"]), "orders.csv", "appears twice"),
    ("客户\n".encode("utf-16"), "orders.csv", "UTF-16"),
], ids=["too-big", "wrong-type", "broken-xlsx", "no-rows", "empty", "missing-header",
        "unknown-header", "duplicate-header", "utf-16"])
def test_files_refused_with_400(lite: Site, data: bytes, filename: str, message: str) -> None:
    before = order_count(lite.shop_url)
    response = lite.upload(data, filename)
    assert response.status_code == 400, response.get_json()
    assert message in response.get_json()["error"]["message"]
    assert order_count(lite.shop_url) == before


def test_too_many_rows(lite: Site) -> None:
    response = lite.upload(csv_bytes(good_rows(10_001)))
    assert response.status_code == 400
    assert "more than 10000 rows" in response.get_json()["error"]["message"]


# --- access, like the run API -------------------------------------------------------------

def test_who_may_import(lite: Site) -> None:
    data = csv_bytes(good_rows(1))
    guest = lite.app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      guest.get("/login").get_data(as_text=True))
    assert token is not None
    anonymous = lite.upload(data, client=guest, headers={"X-CSRFToken": token.group(1)})
    assert anonymous.status_code == 401
    ensure_user(lite.app, "ops2", "operator", "password-123")
    stranger = lite.upload(data, client=SessionClient(lite.app, "ops2", "password-123"))
    assert stranger.status_code == 404 and stranger.get_json()["error"]["code"] == "not_found"
    no_csrf = lite.upload(data, client=lite.ops.client)
    assert no_csrf.status_code == 400
    assert "security token" in no_csrf.get_json()["error"]["message"]
    assert order_count(lite.shop_url) == len(SEED_PHONES)
    api = lite.upload(data, client=lite.app.test_client(),
                      headers=bearer(token_for(lite.app, "ops")))
    assert api.status_code == 200 and order_count(lite.shop_url) == len(SEED_PHONES) + 1
    # The run API does not run an import query (it would have no rows).
    run = lite.ops.post(f"/api/apps/{SLUG}/queries/importOrders/run", json={"state": {}})
    assert run.status_code == 400 and "imports a file" in run.get_json()["error"]["message"]
    no_file = lite.ops.post(URL, data={"body": "{}"}, content_type="multipart/form-data")
    assert no_file.status_code == 400 and "field 'file'" in no_file.get_json()["error"]["message"]


def test_only_a_signed_in_caller_may_send_a_large_body(lite: Site) -> None:
    """A 3 MB file is within the widget's 5 MB, but above the instance's 2 MB request cap that
    anonymous callers keep: they are refused before their body is read."""
    big = csv_bytes(good_rows(1)) + b"#" * (3 * 1024 * 1024)
    guest = lite.app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      guest.get("/login").get_data(as_text=True))
    assert token is not None
    anonymous = lite.upload(big, client=guest, headers={"X-CSRFToken": token.group(1)})
    assert anonymous.status_code == 413
    signed_in = lite.upload(big)
    assert signed_in.status_code != 413, signed_in.get_json()


def test_public_json_names_the_file_widget_and_is_not_paged(lite: Site) -> None:
    loaded = lite.app.extensions["toolcrib"].published.get(SLUG)
    query = loaded.spec.public_json()["queries"]["importOrders"]
    assert query["import"] == {"file": "orderFile"} and query["paged"] is False
    assert query["refs"] == []


# --- validation -----------------------------------------------------------------------------

def problems(text: str) -> list[str]:
    return [f"{p.line}:{p.col}: {p.message}"
            for p in check_text(text, "i.yaml", widgets=WIDGETS)]


def test_the_bundled_app_is_valid() -> None:
    assert problems(APP_FILE.read_text(encoding="utf-8")) == []


def test_validation_of_import_queries() -> None:
    source = APP_FILE.read_text(encoding="utf-8")
    typo = problems(source.replace("<<row.phone>>", "<<row.phnoe>>"))
    assert len(typo) == 1 and "unknown column key 'phnoe' — did you mean 'phone'?" in typo[0]
    mixed = problems(source.replace("<<row.phone>>", "<<row.phone ?? orderFile.fileName>>"))
    assert any("a binding that reads row cannot also read orderFile" in p for p in mixed)
    wrong_widget = problems(source.replace("file: orderFile", "file: helpText"))
    assert any("'helpText' is text, not a fileinput" in p for p in wrong_widget)
    on_load = problems(source.replace("    import:\n", "    runOnLoad: true\n    import:\n"))
    assert any("an import query cannot have runOnLoad" in p for p in on_load)
    bounds = problems(source.replace("type: datetime, required: true}",
                                     "type: datetime, required: true, min: 1}"))
    assert any("min applies to string, integer and decimal columns" in p for p in bounds)
    dup = problems(source.replace("{name: 电话, key: phone", "{name: 电话, key: address"))
    assert any("duplicate column key 'address'" in p for p in dup)
    plain = problems(source.replace("    import:\n", "    nothing:\n"))
    assert any("unknown property 'nothing'" in p or "nothing" in p for p in plain)
    outside = problems(source.replace("runOnLoad", "x").replace(
        "  importOrders:\n", "  other:\n    datasource: shop\n    sql: SELECT <<row.a>>\n"
        "  importOrders:\n"))
    assert any("row is known only in the sql of an import query" in p for p in outside)
