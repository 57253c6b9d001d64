"""The orders tables the benchmarks run on.

SQLite files are generated once with the demo's deterministic ``seed_shop`` and cached under
``bench/.cache/`` (a million rows take ~20 s to make); every run works on a copy where it writes.
PostgreSQL and MariaDB get a database of their own (``toolcrib_bench_<pid>_<n>``), filled from the
cached SQLite file with COPY / multi-row INSERTs, and dropped at the end.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url

from builder.demo.shop_schema import metadata
from builder.demo.shop_schema import orders as orders_table

CACHE = Path(__file__).with_name(".cache")
COLUMNS = [c.name for c in orders_table.columns]
DEFAULT_URLS = {
    "postgresql": os.environ.get("TOOLCRIB_BENCH_POSTGRES_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mysql": os.environ.get("TOOLCRIB_BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
_counter = iter(range(1, 1000))


def cached_sqlite(rows: int) -> Path:
    """``bench/.cache/shop-<rows>.db``: made once, in WAL mode, with ANALYZE statistics."""
    from builder.demo.seed import seed_shop

    path = CACHE / f"shop-{rows}.db"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")  # two runs may build it at once
    partial.unlink(missing_ok=True)
    seed_shop(f"sqlite:///{partial}", orders=rows)
    con = sqlite3.connect(partial)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("ANALYZE")
    con.close()
    partial.replace(path)
    return path


def sqlite_copy(rows: int, dest: Path) -> str:
    """A writable copy of the cached file; returns its SQLAlchemy URL."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached_sqlite(rows), dest)
    return f"sqlite:///{dest}"


def server_reachable(kind: str) -> bool:
    try:
        engine = create_engine(DEFAULT_URLS[kind], pool_pre_ping=False)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


def server_version(kind: str) -> str:
    engine = create_engine(DEFAULT_URLS[kind])
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT version()")).scalar())
    finally:
        engine.dispose()


@contextmanager
def server_database(kind: str, rows: int) -> Iterator[str]:
    """A new database on the PostgreSQL/MariaDB server holding ``rows`` orders; dropped after."""
    base = make_url(DEFAULT_URLS[kind])
    name = f"toolcrib_bench_{os.getpid()}_{next(_counter)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = base.set(database=name)
    if kind == "mysql":
        url = url.update_query_dict({"charset": "utf8mb4"})
    try:
        _load(kind, url.render_as_string(hide_password=False), cached_sqlite(rows))
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


def _sqlite_rows(source: Path) -> Iterator[tuple[object, ...]]:
    con = sqlite3.connect(source)
    try:
        yield from con.execute(f"SELECT {', '.join(COLUMNS)} FROM orders ORDER BY id")
    finally:
        con.close()


def _load(kind: str, url: str, source: Path) -> None:
    engine = create_engine(url)
    try:
        metadata.create_all(engine, tables=[orders_table])
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            if kind == "postgresql":
                with cur.copy(f"COPY orders ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in _sqlite_rows(source):
                        copy.write_row(row)
                cur.execute("SELECT setval(pg_get_serial_sequence('orders', 'id'), "
                            "(SELECT max(id) FROM orders))")
            else:
                sql = (f"INSERT INTO orders ({', '.join(COLUMNS)}) VALUES "
                       f"({', '.join(['%s'] * len(COLUMNS))})")
                batch: list[tuple[object, ...]] = []
                for row in _sqlite_rows(source):
                    batch.append(row)
                    if len(batch) == 5000:
                        cur.executemany(sql, batch)
                        batch = []
                if batch:
                    cur.executemany(sql, batch)
            raw.commit()
            if kind == "postgresql":
                # What autovacuum does to a table in use soon after a bulk load (since PostgreSQL
                # 13 inserts alone trigger it): statistics, and the visibility map that lets a
                # COUNT(*) read the primary key's index instead of the whole table. Done here so
                # the result does not depend on whether autovacuum came round during the run.
                raw.driver_connection.autocommit = True  # VACUUM cannot run in a transaction
                cur.execute("VACUUM (ANALYZE) orders")
            else:
                cur.execute("ANALYZE TABLE orders")
                cur.fetchall()
                raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()


def reset_versions(url: str) -> None:
    """Every row back to version 1, so the write benchmark's version checks all match."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE orders SET version = 1 WHERE version <> 1"))
    finally:
        engine.dispose()


def read_rows(url: str, ids: list[int]) -> dict[int, tuple[int, str | None]]:
    """``{id: (version, tracking number)}`` of the given rows."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            stmt = text("SELECT id, version, shipping_tracking_number FROM orders "
                        "WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
            got = conn.execute(stmt, {"ids": ids})
            return {r[0]: (r[1], r[2]) for r in got}
    finally:
        engine.dispose()
