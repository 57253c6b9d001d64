"""SQL data sources over SQLAlchemy: SQLite, MySQL/MariaDB (PyMySQL), PostgreSQL (psycopg 3).

Each class supplies what differs per engine: the connection URL, how the session gets its time
limit, row limit and read-only mode, and how to recognise a timeout or a read-only refusal. The
rest (transactions, paging, errors) is ``datasources/sql_base.py``.
"""

from __future__ import annotations

import math
import sqlite3
import time
from contextlib import suppress
from datetime import datetime
from datetime import time as dtime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from builder.queries import CompiledSQL
from datasources import sql_driver
from datasources.sql_base import Cleanup, SQLSource
from datasources.sql_driver import Outcome
from datasources.sql_support import (
    mysql_failure_kind,
    pg_failure_kind,
    server_schema,
    sqlite_schema,
)

__all__ = ["MySQLSource", "PostgresSource", "SQLSource", "SQLiteSource"]

def _port(cfg: dict[str, Any]) -> int | None:
    return int(cfg["port"]) if cfg.get("port") else None


def _pool_options(cfg: dict[str, Any], probe: bool) -> dict[str, Any]:
    """A pool for serving queries; a probe opens one connection and keeps none."""
    if probe:
        return {"poolclass": NullPool}
    # No pre-ping: a connection the server closed is replaced at the run's first statement
    # (SQLSource._begin), without a round trip on every run. No reset on return either: every
    # run ends its transaction itself (SQLSource._transaction commits or rolls back, and
    # SQLAlchemy's Connection.close rolls back one it began), so the pool's own ROLLBACK at
    # check-in was a second one; PyMySQL sends it to the server whatever the state (a round
    # trip and ~100 µs of CPU per run on MariaDB).
    return {"pool_size": int(cfg.get("pool_size", 5)), "pool_reset_on_return": None}


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_datetime(raw: bytes) -> Any:
    """Column declared DATE/DATETIME/TIMESTAMP -> ``date``/``datetime`` when the text is one.

    SQLite stores dates as text (``2024-05-01 09:30:00.000000``); reading them as dates makes
    them leave as ISO 8601 like on the other engines. Anything else keeps its value: these
    replace Python's default converters, which raise on values they cannot parse.
    """
    value = raw.decode("utf-8", "replace")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        with suppress(ValueError):
            return int(value)
        with suppress(ValueError):
            return float(value)
        return value
    is_date_only = len(value) == 10 and parsed.time() == dtime()
    return parsed.date() if is_date_only else parsed


for _decltype in ("DATE", "DATETIME", "TIMESTAMP"):
    sqlite3.register_converter(_decltype, _sqlite_datetime)


class SQLiteSource(SQLSource):
    kind = "sqlite"
    title = "SQLite"
    driver = "sqlite3"
    schemes = ("sqlite",)
    dialect_name = "sqlite"
    busy_timeout_s = 5.0

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        return sqlite_schema()

    @classmethod
    def from_url(cls, url: str) -> dict[str, Any]:
        path = cls._check_scheme(url).database
        if not path or path == ":memory:":
            raise ValueError("a SQLite data source needs a database file: sqlite:///path/to.db")
        return {"path": path}

    def _where(self) -> str:
        return str(self._safe_settings().get("path", ""))

    def _create_engine(self, probe: bool = False) -> Engine:
        path = self.settings()["path"]
        # mode=rw: a mistyped path is an error, not a new empty database.
        url = URL.create("sqlite", database=f"file:{quote(str(path))}",
                         query={"mode": "rw", "uri": "true"})
        engine = create_engine(url, **_pool_options(self.config, probe),
                               connect_args={"timeout": self.busy_timeout_s,
                                             "detect_types": sqlite3.PARSE_DECLTYPES})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA foreign_keys = ON")
            dbapi_conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            with suppress(sqlite3.DatabaseError):  # a read-only file system keeps its mode
                dbapi_conn.execute("PRAGMA journal_mode = WAL")

        return engine

    def _prepare(self, conn: Connection, timeout: float, row_limit: int | None) -> Cleanup | None:
        query_only = f"PRAGMA query_only = {1 if self.read_only else 0}"
        raw = conn.connection.dbapi_connection
        if raw is None:
            conn.exec_driver_sql(query_only)
            return None
        raw.execute(query_only)  # on the driver: through exec_driver_sql it cost more than a query
        deadline = time.monotonic() + timeout
        # SQLite has no statement timeout: abort from the VM's progress callback instead.
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
        return lambda: raw.set_progress_handler(None, 0)

    def _begin_steps(self, conn: Connection, writes: bool) -> None:
        """Begin the transaction of a ``transaction:`` query explicitly.

        sqlite3 would begin only at the first INSERT/UPDATE/DELETE (earlier SELECTs would run
        outside the transaction) and as DEFERRED: a second writer could then fail at once with
        "database is locked". ``BEGIN IMMEDIATE`` takes the write lock first, so concurrent
        transactions queue on the busy timeout. A read-only source begins a plain (read)
        transaction.
        """
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes and not self.read_only else "BEGIN")

    def _failure_kind(self, exc: BaseException, message: str) -> tuple[str, str | None]:
        if "unable to open database file" in message:
            return "missing_file", None
        return "other", None

    def _is_timeout(self, orig: BaseException) -> bool:
        return isinstance(orig, sqlite3.OperationalError) and str(orig) == "interrupted"

    def _is_read_only_error(self, orig: BaseException) -> bool:
        return isinstance(orig, sqlite3.OperationalError) and "readonly" in str(orig)

    def _server_version(self, conn: Connection) -> str:
        return f"SQLite {conn.exec_driver_sql('SELECT sqlite_version()').scalar()}"


# --- MySQL / MariaDB ----------------------------------------------------------------------------

_MYSQL_TIMEOUT_CODES = {1969, 3024, 1317}  # MariaDB max_statement_time, MySQL, interrupted
_MYSQL_READ_ONLY_CODES = {1792, 1290, 1836}


class MySQLSource(SQLSource):
    kind = "mysql"
    title = "MySQL / MariaDB"
    driver = "pymysql"
    schemes = ("mysql", "mariadb")
    dialect_name = "mysql"
    default_port = 3306

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        schema = server_schema(cls.title, "mysql", cls.default_port,
                               ["disabled", "required", "verify_identity"])
        schema["properties"]["ssl_ca"] = {"type": "string", "title": "CA file (verify_identity)"}
        return schema

    @classmethod
    def from_url(cls, url: str) -> dict[str, Any]:
        u = cls._check_scheme(url)
        config = {"host": u.host, "port": u.port, "database": u.database, "user": u.username,
                  "password": u.password, "sslmode": u.query.get("ssl_mode")}
        return {k: v for k, v in config.items() if v is not None}

    def network_targets(self) -> list[tuple[str, int | None]]:
        # PyMySQL connects over TCP to localhost when no host is given.
        return super().network_targets() or [("localhost", _port(self._safe_settings())
                                               or self.default_port)]

    def _create_engine(self, probe: bool = False) -> Engine:
        cfg = self.settings()
        url = URL.create("mysql+pymysql", username=cfg.get("user"), password=cfg.get("password"),
                         host=cfg.get("host"), port=_port(cfg),
                         database=cfg.get("database"), query={"charset": "utf8mb4"})
        timeout = self._connect_timeout(probe)
        connect_args: dict[str, Any] = {"connect_timeout": timeout}
        if probe:  # PyMySQL's connect timeout ends at TCP connect: bound the handshake too
            connect_args.update(read_timeout=timeout, write_timeout=timeout)
        sslmode = cfg.get("sslmode", "disabled")
        if sslmode == "required":
            connect_args["ssl"] = {"check_hostname": False}
        elif sslmode == "verify_identity":
            connect_args["ssl"] = {"ca": cfg.get("ssl_ca"), "check_hostname": True}
        return create_engine(url, **_pool_options(cfg, probe), pool_recycle=3600,
                             connect_args=connect_args)

    def _failure_kind(self, exc: BaseException, message: str) -> tuple[str, str | None]:
        args: tuple[Any, ...] = getattr(exc, "args", ())
        code = args[0] if args and isinstance(args[0], int) else None
        return mysql_failure_kind(code, message) or ("other", None)

    def _prepare(self, conn: Connection, timeout: float, row_limit: int | None) -> Cleanup | None:
        """One SET per run (re-applied every time, so a query cannot switch them off for later).

        * the time limit: MariaDB ``max_statement_time``; MySQL ``max_execution_time`` (SELECTs
          only), with ``innodb_lock_wait_timeout`` bounding the writes' lock waits;
        * the row cap: ``sql_select_limit`` makes the server stop sending rows past it;
        * read-only for the session, not START TRANSACTION READ ONLY: DDL commits implicitly and
          would run outside such a transaction, the session mode refuses it too.
        """
        mariadb = getattr(conn.dialect, "is_mariadb", False)
        limit = "max_statement_time = :limit" if mariadb else "max_execution_time = :limit"
        read_only = "tx_read_only" if mariadb else "transaction_read_only"
        rows = "DEFAULT" if row_limit is None else ":rows"
        params = {"limit": timeout if mariadb else max(1, int(timeout * 1000)),
                  "lock": max(1, math.ceil(timeout)), "ro": 1 if self.read_only else 0}
        if row_limit is not None:
            params["rows"] = row_limit
        sql_driver.execute(conn, CompiledSQL(
            f"SET SESSION {limit}, SESSION innodb_lock_wait_timeout = :lock, "
            f"SESSION sql_select_limit = {rows}, SESSION {read_only} = :ro", params))
        return None

    def _is_timeout(self, orig: BaseException) -> bool:
        args: tuple[Any, ...] = getattr(orig, "args", ())
        return bool(args) and args[0] in _MYSQL_TIMEOUT_CODES

    def _is_read_only_error(self, orig: BaseException) -> bool:
        args: tuple[Any, ...] = getattr(orig, "args", ())
        return bool(args) and args[0] in _MYSQL_READ_ONLY_CODES

    def _server_version(self, conn: Connection) -> str:
        version = str(conn.exec_driver_sql("SELECT VERSION()").scalar())
        number = version.split("-", 1)[0]
        return f"MariaDB {number}" if "mariadb" in version.lower() else f"MySQL {number}"


# --- PostgreSQL ---------------------------------------------------------------------------------


class PostgresSource(SQLSource):
    kind = "postgresql"
    title = "PostgreSQL"
    driver = "psycopg"
    schemes = ("postgresql", "postgres")
    dialect_name = "postgresql"
    default_port = 5432

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        return server_schema(cls.title, "postgresql", cls.default_port,
                             ["disable", "prefer", "require", "verify-ca", "verify-full"])

    @classmethod
    def from_url(cls, url: str) -> dict[str, Any]:
        u = cls._check_scheme(url)
        config = {"host": u.host, "port": u.port, "database": u.database, "user": u.username,
                  "password": u.password, "sslmode": u.query.get("sslmode")}
        return {k: v for k, v in config.items() if v is not None}

    def network_targets(self) -> list[tuple[str, int | None]]:
        """Each host of a (comma-separated) host list; a socket directory is not a host."""
        cfg = self._safe_settings()
        port = _port(cfg) or self.default_port
        return [(host.strip(), port) for host in str(cfg.get("host") or "").split(",")
                if host.strip() and not host.strip().startswith("/")]

    def _create_engine(self, probe: bool = False) -> Engine:
        cfg = self.settings()
        query = {"connect_timeout": str(self._connect_timeout(probe)),
                 "application_name": "toolcrib"}
        if cfg.get("sslmode"):
            query["sslmode"] = str(cfg["sslmode"])
        url = URL.create("postgresql+psycopg", username=cfg.get("user"),
                         password=cfg.get("password"), host=cfg.get("host"),
                         port=_port(cfg), database=cfg.get("database"), query=query)
        return create_engine(url, **_pool_options(cfg, probe))

    def _failure_kind(self, exc: BaseException, message: str) -> tuple[str, str | None]:
        if type(exc).__name__ == "ConnectionTimeout":  # psycopg.errors.ConnectionTimeout
            return "timeout", None
        return pg_failure_kind(message) or ("other", None)

    def _stream(self, compiled: CompiledSQL) -> Any:
        # A server-side cursor: psycopg would otherwise load the whole result before fetchmany.
        return compiled.statement().execution_options(stream_results=True, max_row_buffer=1000)

    def _not_null_columns(self, conn: Connection, probe: Any,
                          columns: list[str]) -> frozenset[str]:
        """Result columns that come straight from a NOT NULL table column.

        The probe's result names each column's table and attribute number (0 for computed
        ones); pg_attribute says which are NOT NULL.
        """
        result = getattr(getattr(probe, "cursor", None), "pgresult", None)
        if result is None:
            return frozenset()
        sources = {i: (result.ftable(i), result.ftablecol(i)) for i in range(result.nfields)}
        wanted = {src for src in sources.values() if src[0] and src[1] > 0}
        if not wanted:
            return frozenset()
        rows = conn.execute(text(
            "SELECT attrelid, attnum FROM pg_attribute WHERE attnotnull AND attrelid IN "
            "(SELECT unnest(CAST(:tables AS oid[])))"), {"tables": sorted({t for t, _ in wanted})})
        not_null = {(int(rel), int(num)) for rel, num in rows}
        names = [name for i, name in enumerate(columns) if sources.get(i) in not_null]
        return frozenset(name for name in names if columns.count(name) == 1)

    def _prepare(self, conn: Connection, timeout: float, row_limit: int | None) -> Cleanup | None:
        """The time limit and read-only mode, for this transaction only, in one round trip."""
        settings = "set_config('statement_timeout', :ms, true)"
        if self.read_only:  # = SET TRANSACTION READ ONLY; a query cannot switch it back
            settings += ", set_config('transaction_read_only', 'on', true)"
        sql_driver.execute(conn, CompiledSQL(f"SELECT {settings}",
                                             {"ms": str(max(1, int(timeout * 1000)))}))
        return None

    def _before_insert(self, conn: Connection) -> None:
        # Forget this session's lastval(): a step that uses no sequence then reads null, not
        # the id of an earlier statement (the pooled connection may have served other runs).
        conn.exec_driver_sql("DISCARD SEQUENCES")

    def _read_last_id(self, conn: Connection, res: Outcome) -> Any:
        """``lastval()``: the value the INSERT took from a sequence (SERIAL/IDENTITY)."""
        try:
            with conn.begin_nested():  # lastval() fails when the step used no sequence
                return conn.exec_driver_sql("SELECT lastval()").scalar()
        except sa_exc.DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == "55000":  # lastval is not yet defined
                return None
            raise

    def _is_timeout(self, orig: BaseException) -> bool:
        return getattr(orig, "sqlstate", None) == "57014"  # query_canceled

    def _is_read_only_error(self, orig: BaseException) -> bool:
        return getattr(orig, "sqlstate", None) == "25006"  # read_only_sql_transaction

    def _server_version(self, conn: Connection) -> str:
        version = str(conn.exec_driver_sql("SHOW server_version").scalar())
        return f"PostgreSQL {version.split()[0]}"
