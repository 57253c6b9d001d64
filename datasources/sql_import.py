"""Running an import query on a SQL data source: the SQL once per row, in one transaction.

The rows arrive already converted and checked (``builder/imports.py``). They are inserted on
one connection inside the one transaction ``SQLSource._transaction`` opens (with the data
source's time limit and read-only mode; SQLite takes the write lock up front, as for
``transaction:`` queries), so the first failure — a constraint the database enforces (a
duplicate key), the time limit — rolls back every row: nothing is half-imported. A database
refusal names the file line of the row that caused it (:class:`ImportRowFailed`).

Each row's ``<<row.KEY>>`` values, like every other binding, are bound as driver parameters.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from time import perf_counter
from typing import Any

from sqlalchemy import exc as sa_exc

from builder.bindings import BindingError, evaluate
from builder.imports import ROW, ImportBody
from builder.queries import compile_sql
from datasources.base import (
    DataSource,
    DataSourceQueryFailed,
    DataSourceTimeout,
    QueryError,
    QueryInputError,
    QueryRequest,
)
from datasources.sql_base import SQLSource


class ImportNotSupported(QueryError):
    status = 400
    code = "import_not_supported"


class ImportRowFailed(QueryError):
    """The database refused one row; everything was rolled back (422, with a problem)."""

    status = 422
    code = "row_failed"

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason} — nothing was imported")
        self.line = line
        self.reason = reason


def _for_sqlite(value: Any) -> Any:
    """sqlite3 binds neither Decimal nor (from Python 3.12 on, without a warning) datetime:
    text, as SQLite's NUMERIC affinity and ``CURRENT_TIMESTAMP`` have them."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


def run_import(source: DataSource, request: QueryRequest,
               rows: list[tuple[int, dict[str, Any]]]) -> int:
    """Insert ``rows`` (``(file line, {key: value})``); the number of rows changed."""
    body = request.body
    if not isinstance(body, ImportBody):
        raise QueryInputError("this query does not import files")
    if not isinstance(source, SQLSource):
        raise ImportNotSupported(f"importing into a {source.title} data source is not "
                                 "supported; use a SQL data source")
    started = perf_counter()
    timeout = source._timeout(request.limits)
    changed = 0
    adapt = _for_sqlite if source.dialect_name == "sqlite" else None
    # The transaction, limits and error mapping of every SQL run (protected methods of the
    # same package), as datasources/sql_transaction.py uses them.
    with source._transaction(timeout) as conn:
        source._begin_steps(conn, writes=True)
        for line, row in rows:
            if perf_counter() - started > timeout:
                raise DataSourceTimeout(
                    f"line {line}: the import ran longer than the {timeout:g} s time limit of "
                    f"data source {source.name!r}; nothing was imported")
            values = dict(request.values)
            for expr in body.row_bindings:
                try:
                    value = evaluate(expr, {ROW: row})
                    values[expr] = adapt(value) if adapt else value
                except BindingError as exc:
                    raise QueryInputError(f"line {line}: cannot evaluate <<{expr}>>: "
                                          f"{exc}") from None
            compiled = compile_sql(body.sql, values, dialect=source.dialect_name)
            try:
                res = conn.execute(compiled.statement(), compiled.params)
            except sa_exc.StatementError as exc:
                error = source._query_error(exc, timeout)
                if isinstance(error, DataSourceQueryFailed) and error.code == "query_failed":
                    raise ImportRowFailed(line, error.message) from exc
                error.message = f"line {line}: {error.message}"
                error.args = (error.message,)
                raise error from exc
            if res.returns_rows:
                res.close()
            changed += max(res.rowcount, 0)
    return changed
