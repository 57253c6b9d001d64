"""The shared part of the SQL data sources: transactions, limits, runs and error mapping.

Every statement runs in its own transaction on a pooled connection, with the time limit applied by
the database itself, the read-only flag applied by the session, and values bound as driver
parameters (see ``builder/queries.py``). Errors become the ``QueryError`` family of
``datasources/base.py`` with messages a person can act on and without credentials. The engines
themselves are in ``datasources/sql.py``; a table's pages in ``datasources/sql_pages.py``, the
``transaction:`` steps in ``datasources/sql_transaction.py``.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from time import perf_counter
from typing import Any, ClassVar

from sqlalchemy import Connection, Engine, Transaction, event, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.reflection import ObjectKind

from builder.queries import (
    CompiledSQL,
    compile_sql,
    is_select,
)
from builder.transactions import SQLTransaction
from datasources import sql_driver
from datasources.base import (
    ColumnInfo,
    ConnectionFailure,
    ConnectionInfo,
    DataSource,
    DataSourceQueryFailed,
    DataSourceTimeout,
    DataSourceUnavailable,
    Limits,
    QueryError,
    QueryInputError,
    QueryRequest,
    QueryResult,
    RowCountMismatch,
    TableInfo,
)
from datasources.sql_driver import Outcome
from datasources.sql_pages import TablePages
from datasources.sql_support import (
    driver_message,
    json_result,
    network_failure_kind,
    plural,
    scrub,
)
from datasources.sql_transaction import TransactionSteps

Cleanup = Callable[[], None]

#: ``test_connection`` gives up connecting after this many seconds (whatever the data source's
#: own connect timeout), so an admin gets an answer within 5 s.
PROBE_CONNECT_TIMEOUT_S = 4


def _mismatch(expected: int, actual: int, write: bool) -> RowCountMismatch:
    if not write:
        return RowCountMismatch(f"expected the query to return {plural(expected)} but it "
                                f"returned {actual}")
    if actual < expected:
        return RowCountMismatch(
            f"expected {plural(expected)} to change but {actual} did — the record may have been "
            "changed by someone else or deleted; refresh and try again (nothing was saved)")
    return RowCountMismatch(f"expected {plural(expected)} to change but {actual} would have — "
                            "nothing was saved; check the query's WHERE clause")


class SQLSource(TablePages, TransactionSteps, DataSource):
    """Shared behaviour; subclasses supply the URL, session setup and error classification."""

    driver: ClassVar[str]  # the DB-API module that must import for the kind to be offered
    schemes: ClassVar[tuple[str, ...]]
    dialect_name: ClassVar[str]

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        super().__init__(name, config)
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    # --- configuration --------------------------------------------------------------------------

    @classmethod
    def available(cls) -> bool:
        """Whether the driver is installed (the registry offers the kind only then).

        Found, not imported: a server that never connects to MariaDB or PostgreSQL does not
        carry those drivers in every worker's memory (~16 MB each).
        """
        try:
            return importlib.util.find_spec(cls.driver) is not None
        except (ImportError, ValueError):
            return False

    @classmethod
    def from_url(cls, url: str) -> dict[str, Any]:
        """The configuration fields of a connection URL (raises ``ValueError``)."""
        raise NotImplementedError

    @classmethod
    def _check_scheme(cls, url: str) -> URL:
        try:
            parsed = make_url(url)
        except sa_exc.ArgumentError:
            raise ValueError(f"not a valid {cls.title} connection URL") from None
        if parsed.get_backend_name() not in cls.schemes:
            raise ValueError(f"a {cls.title} URL starts with "
                             f"{' or '.join(s + '://' for s in cls.schemes)}")
        return parsed

    def settings(self) -> dict[str, Any]:
        """The configuration with ``url`` expanded into fields (explicit fields win)."""
        base = self.from_url(self.config["url"]) if self.config.get("url") else {}
        return {**base, **{k: v for k, v in self.config.items() if k != "url" and v is not None}}

    def _safe_settings(self) -> dict[str, Any]:
        """``settings()`` for error messages: never raises."""
        try:
            return self.settings()
        except Exception:
            return {k: v for k, v in self.config.items() if k != "url"}

    def _where(self) -> str:
        cfg = self._safe_settings()
        port = f":{cfg['port']}" if cfg.get("port") else ""
        return f"{cfg.get('host', '')}{port}/{cfg.get('database', '')}"

    def _connect_timeout(self, probe: bool) -> int:
        configured = int(self._safe_settings().get("connect_timeout_s") or 10)
        return min(configured, PROBE_CONNECT_TIMEOUT_S) if probe else configured

    # --- engine and sessions --------------------------------------------------------------------

    def _create_engine(self, probe: bool = False) -> Engine:
        """The engine; ``probe``: no pool and short timeouts (``test_connection``)."""
        raise NotImplementedError

    def _guarded(self, engine: Engine) -> Engine:
        """Ask the egress guard before every new connection (the host may resolve anew)."""

        @event.listens_for(engine, "do_connect")
        def _check(*_args: Any) -> None:
            self.check_egress()

        return engine

    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = self._guarded(self._create_engine())
            return self._engine

    def close(self) -> None:
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()

    def _reset_pool(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()

    def _prepare(self, conn: Connection, timeout: float, row_limit: int | None) -> Cleanup | None:
        """Apply the time limit, the row limit (where the server has one) and read-only."""
        raise NotImplementedError

    def _is_timeout(self, orig: BaseException) -> bool:
        raise NotImplementedError

    def _is_read_only_error(self, orig: BaseException) -> bool:
        raise NotImplementedError

    def _failure_kind(self, exc: BaseException, message: str) -> tuple[str, str | None]:
        """Why connecting failed: (kind, advice or None for the kind's default)."""
        return network_failure_kind(message) or "other", None

    def _unavailable(self, exc: BaseException, lost: bool = False) -> DataSourceUnavailable:
        cfg = self._safe_settings()
        raw = driver_message(exc)
        reason = scrub(raw, [cfg.get("password")])
        verb = "lost the connection to" if lost else "cannot connect to"
        kind, advice = self._failure_kind(getattr(exc, "orig", None) or exc, raw)
        return ConnectionFailure(kind, f"{verb} data source {self.name!r} ({self._where()}): "
                                       f"{reason}", advice)

    def _query_error(self, exc: sa_exc.StatementError, timeout: float) -> QueryError:
        orig = exc.orig if exc.orig is not None else exc
        if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
            self._reset_pool()
            return self._unavailable(exc, lost=True)
        if self._is_timeout(orig):
            return DataSourceTimeout(f"the query ran longer than the {timeout:g} s time limit of "
                                     f"data source {self.name!r} and was cancelled")
        message = scrub(driver_message(exc), [self._safe_settings().get("password")])
        if self._is_read_only_error(orig):
            return DataSourceQueryFailed(f"data source {self.name!r} is read-only: {message}",
                                         status=403, code="read_only")
        return DataSourceQueryFailed(f"{self.title} error: {message}")

    @contextmanager
    def _transaction(self, timeout: float, row_limit: int | None = None) -> Iterator[Connection]:
        try:
            conn, trans, cleanup = self._begin(timeout, row_limit)
        except sa_exc.StatementError as exc:
            raise self._query_error(exc, timeout) from exc
        try:
            with conn:
                try:
                    yield conn
                    trans.commit()
                except BaseException:
                    with suppress(Exception):
                        trans.rollback()
                    raise
                finally:
                    if cleanup is not None:
                        with suppress(Exception):
                            cleanup()
        except sa_exc.StatementError as exc:
            raise self._query_error(exc, timeout) from exc

    def _begin(self, timeout: float,
               row_limit: int | None) -> tuple[Connection, Transaction, Cleanup | None]:
        """A pooled connection, its transaction begun and the run's settings applied.

        The pool does not ping a connection when it hands it out (``pool_pre_ping`` cost a round
        trip and ~100 µs of CPU on every run, docs/performance.md). A connection that the server
        closed meanwhile (a restart, an idle timeout) fails at ``_prepare``, the run's first
        statement: SQLAlchemy then invalidates it (and every connection pooled before it), and it
        is replaced once. Nothing of the run has happened yet, so trying again is safe.
        """
        for attempt in (1, 2):
            try:
                conn = self.engine().connect()
            except QueryError:
                raise
            except Exception as exc:  # driver, network or configuration: all "cannot connect"
                self._reset_pool()
                raise self._unavailable(exc) from None
            try:
                trans = conn.begin()
                return conn, trans, self._prepare(conn, timeout, row_limit)
            except sa_exc.DBAPIError as exc:
                conn.close()
                if attempt == 1 and exc.connection_invalidated:
                    continue
                raise
            except BaseException:
                conn.close()
                raise
        raise AssertionError("unreachable")

    # --- the DataSource API ---------------------------------------------------------------------

    def run(self, request: QueryRequest) -> QueryResult:
        started = perf_counter()
        if isinstance(request.body, SQLTransaction):  # datasources/sql_transaction.py
            return self._run_transaction(request.body, request)
        if not isinstance(request.body, str):
            raise QueryInputError(f"a {self.title} query is SQL text")
        compiled = compile_sql(request.body, request.values, dialect=self.dialect_name)
        selecting = is_select(compiled.text)
        timeout = self._timeout(request.limits)
        if request.page is not None and selecting:
            with self._transaction(timeout) as conn:
                result = self._run_page(conn, compiled, request.page, request.rows_as_arrays)
        else:
            max_rows = request.limits.max_rows
            with self._transaction(timeout, row_limit=max_rows + 1) as conn:
                result = self._run_plain(conn, compiled, max_rows, selecting, request.expect_rows,
                                         request.rows_as_arrays)
        result.duration_ms = (perf_counter() - started) * 1000
        return result

    def _stream(self, compiled: CompiledSQL) -> Any:
        return compiled.statement()

    def _fetch(self, conn: Connection, compiled: CompiledSQL, max_rows: int,
               selecting: bool) -> tuple[Outcome, list[str], Sequence[Any], int | None]:
        """Run one statement: (outcome, columns, at most ``max_rows + 1`` rows, rows changed).

        The rows changed are None for a SELECT, and for a statement returning no rows when the
        driver does not say. Also the steps of ``transaction:`` queries. Writes run on the
        driver's cursor (datasources/sql_driver.py); a SELECT through SQLAlchemy, which can
        stream it (``_stream``).
        """
        if not selecting:
            done = sql_driver.execute(conn, compiled, max_rows + 1)
            if not done.returns_rows:
                return done, [], [], done.rowcount if done.rowcount >= 0 else None
            # INSERT/UPDATE/DELETE ... RETURNING
            rowcount = done.rowcount if done.rowcount >= 0 else len(done.rows)
            return done, done.columns, done.rows, rowcount
        res = conn.execute(self._stream(compiled), compiled.params)
        if not res.returns_rows:
            return res, [], [], res.rowcount if res.rowcount >= 0 else None
        columns = list(res.keys())
        raw = res.fetchmany(max_rows + 1)
        res.close()
        return res, columns, raw, None

    def _run_plain(self, conn: Connection, compiled: CompiledSQL, max_rows: int,
                   selecting: bool, expect_rows: int | None, arrays: bool = False) -> QueryResult:
        res, columns, raw, rowcount = self._fetch(conn, compiled, max_rows, selecting)
        if not res.returns_rows:
            if expect_rows is not None and rowcount != expect_rows:
                raise _mismatch(expect_rows, rowcount or 0, write=True)
            return QueryResult(rows=[], columns=[], rowcount=rowcount)
        truncated = len(raw) > max_rows
        if expect_rows is not None:
            seen = rowcount if rowcount is not None else len(raw)
            if seen != expect_rows:
                raise _mismatch(expect_rows, seen, write=not selecting)
        return QueryResult(rows=json_result(columns, raw[:max_rows], arrays), columns=columns,
                           rowcount=rowcount, truncated=truncated)

    def network_targets(self) -> list[tuple[str, int | None]]:
        cfg = self._safe_settings()
        host = cfg.get("host")
        if not host:
            return []
        port = int(cfg["port"]) if cfg.get("port") else getattr(self, "default_port", None)
        return [(str(host), port)]

    def test_connection(self) -> ConnectionInfo:
        """Connect once on a fresh connection (not the pool) with short timeouts."""
        engine = self._guarded(self._create_engine(probe=True))
        try:
            started = perf_counter()
            try:
                conn = engine.connect()
            except QueryError:
                raise
            except Exception as exc:  # driver, network or configuration
                raise self._unavailable(exc) from None
            connect_ms = (perf_counter() - started) * 1000
            with conn:
                try:
                    started = perf_counter()
                    conn.execute(text("SELECT 1")).scalar()
                    latency = (perf_counter() - started) * 1000
                    version = self._server_version(conn)
                except sa_exc.StatementError as exc:
                    raise self._query_error(exc, PROBE_CONNECT_TIMEOUT_S) from exc
        finally:
            engine.dispose()
        return ConnectionInfo(server_version=version, latency_ms=latency, connect_ms=connect_ms)

    def _server_version(self, conn: Connection) -> str:
        raise NotImplementedError

    def introspect(self) -> list[TableInfo]:
        """Tables and views of the default schema, with their columns and types."""
        with self._transaction(self._timeout(Limits(timeout_s=30))) as conn:
            found = inspect(conn).get_multi_columns(kind=ObjectKind.ANY)
            tables = []
            for (_schema, table), cols in found.items():
                tables.append(TableInfo(name=table, columns=[
                    ColumnInfo(name=c["name"], type=_type_name(c["type"], conn),
                               nullable=bool(c.get("nullable", True))) for c in cols]))
        return sorted(tables, key=lambda t: t.name)


def _type_name(type_: Any, conn: Connection) -> str:
    try:
        return str(type_.compile(dialect=conn.dialect))
    except Exception:  # a type the dialect cannot render (NullType): its class name will do
        return type(type_).__name__
