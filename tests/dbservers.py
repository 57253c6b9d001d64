"""Database servers for the integration tests (loaded by ``tests/conftest.py`` as a plugin).

``postgres_url`` / ``mysql_url`` give a fresh, uniquely named database on the server named by
``TOOLCRIB_TEST_POSTGRES_URL`` / ``TOOLCRIB_TEST_MYSQL_URL`` (one per test session and xdist
worker, dropped at the end). A server that cannot be reached skips its tests, or fails them when
``CI=true``. ``db_url`` runs a test once per engine; ``seed_orders`` fills the demo ``orders``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from builder.demo.shop_schema import metadata, orders

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
ENGINES = ("sqlite", "mysql", "postgresql")

#: The rows ``seed_orders`` inserts. Ids 1-3 are paid (the flagship app lists them), 4 is shipped.
ORDERS: list[dict[str, Any]] = [
    {"id": 1, "customer_name": "张三", "phone": "13800000001", "address": "北京市朝阳区一号",
     "product_name": "保温杯", "product_image": "/img/1.png", "sku": "CUP-1", "quantity": 1,
     "amount": Decimal("59.90"), "status": "paid", "shipping_company": None,
     "shipping_tracking_number": None, "created_at": datetime(2024, 5, 1, 9, 30),
     "shipped_at": None, "version": 1},
    {"id": 2, "customer_name": "李四", "phone": "13800000002", "address": "上海市浦东新区二号",
     "product_name": "Desk lamp", "product_image": "/img/2.png", "sku": "LAMP-2", "quantity": 2,
     "amount": Decimal("120.00"), "status": "paid", "shipping_company": "SF",
     "shipping_tracking_number": "SF100", "created_at": datetime(2024, 5, 2, 10, 0),
     "shipped_at": None, "version": 3},
    {"id": 3, "customer_name": "O'Brien", "phone": "13800000003", "address": "100% Main St_1",
     "product_name": "Apple", "product_image": "/img/3.png", "sku": "APL-3", "quantity": 5,
     "amount": Decimal("8.50"), "status": "paid", "shipping_company": "ZTO",
     "shipping_tracking_number": "ZT300", "created_at": datetime(2024, 5, 3, 11, 15),
     "shipped_at": None, "version": 1},
    {"id": 4, "customer_name": "王五", "phone": "13800000004", "address": "广州市天河区四号",
     "product_name": "Notebook", "product_image": "/img/4.png", "sku": "NB-4", "quantity": 1,
     "amount": Decimal("15.00"), "status": "shipped", "shipping_company": "STO",
     "shipping_tracking_number": "ST400", "created_at": datetime(2024, 5, 4, 8, 0),
     "shipped_at": datetime(2024, 5, 5, 8, 0), "version": 2},
]


def _unreachable(kind: str, url: URL, exc: BaseException) -> None:
    reason = (f"{kind} test server {url.render_as_string(hide_password=True)} is not reachable "
              f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); run "
              "scripts/start-test-servers.sh or set TOOLCRIB_TEST_"
              f"{'POSTGRES' if kind == 'PostgreSQL' else 'MYSQL'}_URL")
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _worker(request: pytest.FixtureRequest) -> str:
    """xdist's worker id (``gw0``...), or ``main`` without xdist."""
    workerinput = getattr(request.config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "main"


def _database_name(base: str | None, worker: str) -> str:
    return f"{base or 'test'}_{worker}_{uuid.uuid4().hex[:8]}".lower()


def _server_database(env: str, default: str, kind: str, admin_db: str | None,
                     worker: str, force_drop: str) -> Iterator[str]:
    url = make_url(os.environ.get(env) or default)
    name = _database_name(url.database, worker)
    admin = create_engine(url.set(database=admin_db) if admin_db else url.set(database=None),
                          isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except Exception as exc:  # refused, unknown host, bad credentials: the server is not usable
        admin.dispose()
        _unreachable(kind, url, exc)
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force_drop}")
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (xdist worker)."""
    yield from _server_database("TOOLCRIB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL, "PostgreSQL",
                                "postgres", _worker(request), " WITH (FORCE)")


@pytest.fixture(scope="session")
def mysql_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh MySQL/MariaDB database for this test session (xdist worker)."""
    yield from _server_database("TOOLCRIB_TEST_MYSQL_URL", DEFAULT_MYSQL_URL, "MySQL", None,
                                _worker(request), "")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new, empty SQLite database file."""
    path = tmp_path / "shop.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # create the file: the SQLite data source never creates one
        conn.exec_driver_sql("PRAGMA user_version = 1")
    engine.dispose()
    return f"sqlite:///{path}"


_URL_FIXTURES = {"sqlite": "sqlite_url", "mysql": "mysql_url", "postgresql": "postgres_url"}


@pytest.fixture(params=[
    pytest.param("sqlite", id="sqlite"),
    pytest.param("mysql", id="mysql", marks=pytest.mark.server),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.server),
])
def db_url(request: pytest.FixtureRequest) -> str:
    """The test runs once per engine with that engine's database URL."""
    return request.getfixturevalue(_URL_FIXTURES[request.param])


def seed_orders(url: str, rows: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """(Re)create the demo ``orders`` table at ``url`` and insert ``rows`` (default ``ORDERS``)."""
    rows = ORDERS if rows is None else rows
    engine = create_engine(url)
    try:
        metadata.drop_all(engine)
        metadata.create_all(engine)
        with engine.begin() as conn:
            if rows:
                conn.execute(orders.insert(), rows)
            if engine.dialect.name == "postgresql":  # ids were given: move the sequence past them
                conn.execute(text("SELECT setval(pg_get_serial_sequence('orders', 'id'), "
                                  "(SELECT COALESCE(MAX(id), 1) FROM orders))"))
    finally:
        engine.dispose()
    return rows


def run_sql(url: str, statement: str, **params: Any) -> list[Any]:
    """Run one statement on the database at ``url`` in its own transaction; its rows, if any."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def fetch_orders(url: str) -> list[dict[str, Any]]:
    """Every order, by id, as plain dicts (to compare a table before and after)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(orders.select().order_by(orders.c.id))]
    finally:
        engine.dispose()


@pytest.fixture
def orders_url(db_url: str) -> str:
    """``db_url`` with a freshly seeded ``orders`` table."""
    seed_orders(db_url)
    return db_url
