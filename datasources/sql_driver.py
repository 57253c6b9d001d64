"""Statements run on the driver's cursor, inside the SQLAlchemy transaction: a table's page and
count, the writes (INSERT/UPDATE/DELETE, also as ``transaction:`` steps) and the per-run session
settings of MariaDB and PostgreSQL (time limit, row cap, read-only mode).

Every page of a table runs one or two statements (the rows, and the count), and an Update button
one write. Through
``Connection.execute`` each cost ~45 µs of Python (execution context, result metadata, a ``Row``
per row) on top of what the driver does, on a request budget of about 1 ms
(docs/performance.md). Here the statement text is compiled by SQLAlchemy once per dialect (its
placeholders turned into the driver's), its values still go to the driver as bound parameters,
and the cursor belongs to the connection and transaction the caller opened (the per-run time
limit and read-only mode apply). A driver error becomes the ``DBAPIError`` SQLAlchemy would
raise, with a lost connection invalidated, so ``SQLSource._transaction`` reports it the same way.

Statements with a list value (``IN (<<ids>>)``) go through ``Connection.execute``, which
expands them; so does everything on an engine with cursor-execute listeners (SQLAlchemy's
``before_cursor_execute`` events), which expect to see every statement.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect

from builder.queries import CompiledSQL


@functools.lru_cache(maxsize=1024)
def _driver_form(sql: str, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The statement as the driver takes it, and its parameter names in positional order
    (None for a driver that takes them by name)."""
    compiled = CompiledSQL(sql).statement().compile(dialect=dialect)
    return compiled.string, tuple(compiled.positiontup) if compiled.positiontup else None


class Outcome(Protocol):
    """What callers read of a statement's result: SQLAlchemy's ``CursorResult`` or ours."""

    @property
    def returns_rows(self) -> bool: ...
    @property
    def lastrowid(self) -> Any: ...


@dataclass
class DriverResult:
    """What one statement gave: the attributes of SQLAlchemy's ``CursorResult`` callers read."""

    returns_rows: bool
    columns: list[str]
    rows: list[Any]
    rowcount: int  # -1 when the driver does not say
    lastrowid: Any = None  # psycopg has none: PostgreSQL reads lastval()


def _last_id(result: Any) -> Any:
    """The driver's ``lastrowid``, or None where it has none (psycopg)."""
    try:
        return result.lastrowid
    except Exception:  # noqa: BLE001 - AttributeError from the cursor, or SQLAlchemy's wrapper
        return None


def _through_sqlalchemy(conn: Connection, compiled: CompiledSQL) -> bool:
    return bool(compiled.expanding or conn.dispatch.before_cursor_execute
                or conn.dispatch.after_cursor_execute)


def execute(conn: Connection, compiled: CompiledSQL, max_rows: int | None = None) -> DriverResult:
    """Run one statement; with ``max_rows``, keep at most that many of the rows it returns."""
    if _through_sqlalchemy(conn, compiled):
        res = conn.execute(compiled.statement(), compiled.params)
        if not res.returns_rows:
            return DriverResult(False, [], [], res.rowcount, _last_id(res))
        rows = list(res.fetchall() if max_rows is None else res.fetchmany(max_rows))
        result = DriverResult(True, list(res.keys()), rows, res.rowcount, _last_id(res))
        res.close()
        return result
    sql, order = _driver_form(compiled.text, conn.dialect)
    params: Any = [compiled.params[name] for name in order] if order else compiled.params
    fairy = conn.connection  # the pooled connection of the caller's transaction
    cursor = fairy.cursor()
    try:
        cursor.execute(sql, params)
        if cursor.description is None:
            return DriverResult(False, [], [], cursor.rowcount, _last_id(cursor))
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall() if max_rows is None else cursor.fetchmany(max_rows)
        return DriverResult(True, columns, rows if isinstance(rows, list) else list(rows),
                            cursor.rowcount, _last_id(cursor))  # PyMySQL: a tuple
    except conn.dialect.loaded_dbapi.Error as exc:
        lost = conn.dialect.is_disconnect(exc, fairy.dbapi_connection, cursor)
        if lost:
            conn.invalidate(exc)
        raise sa_exc.DBAPIError.instance(sql, params, exc, conn.dialect.loaded_dbapi.Error,
                                         connection_invalidated=lost,
                                         dialect=conn.dialect) from exc
    finally:
        cursor.close()


def fetch_all(conn: Connection, compiled: CompiledSQL) -> tuple[list[str], list[Any]]:
    """Run a row-returning statement: (column names, a list of every row)."""
    result = execute(conn, compiled)
    return result.columns, result.rows


def fetch_scalar(conn: Connection, compiled: CompiledSQL) -> Any:
    """Run a statement returning one value (a count)."""
    _columns, rows = fetch_all(conn, compiled)
    return rows[0][0]
