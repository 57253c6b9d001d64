"""Running a ``transaction:`` query on a SQL data source (see ``builder/transactions.py``).

All steps run in order on one connection inside the one transaction ``SQLSource._transaction``
opens (with the data source's time limit, row cap and read-only mode); the first failure — a step's
``expectRows`` not met, a database error, the time limit — raises, and the context manager rolls
everything back, so nothing is half-written.

Engines differ in two places, overridden in ``datasources/sql.py``:

* ``_begin_steps``: SQLite takes the write lock up front (``BEGIN IMMEDIATE``), so concurrent
  transactions queue on the busy timeout instead of failing with "database is locked";
* ``_before_insert`` / ``_read_last_id``: the id an INSERT generated. SQLite and MySQL/MariaDB
  report it with the statement (``lastrowid``); PostgreSQL is asked ``lastval()`` after its
  sequence state was cleared (``DISCARD SEQUENCES``), inside a savepoint, so a step that used no
  sequence gives null instead of an older id.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from time import perf_counter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection
from sqlalchemy import exc as sa_exc

from builder.bindings import BindingError, evaluate
from builder.queries import CompiledSQL, compile_sql, first_word, is_select
from builder.transactions import INSERT_WORDS, STEPS, SQLStep, SQLTransaction
from datasources.base import (
    DataSourceQueryFailed,
    DataSourceTimeout,
    QueryError,
    QueryInputError,
    QueryRequest,
    QueryResult,
    RowCountMismatch,
)
from datasources.sql_driver import Outcome
from datasources.sql_support import json_rows, json_value, plural

if TYPE_CHECKING:
    from collections.abc import Sequence
    from contextlib import AbstractContextManager

    from datasources.base import Limits

#: Values a later step may bind as they came from the driver; anything else goes through JSON.
_BINDABLE = (str, int, float, bool, Decimal, datetime, date, time, bytes, type(None))


def _label(index: int, step: SQLStep) -> str:
    return f"step {index + 1}" + (f" ({step.name})" if step.name else "")


def _relabel(error: QueryError, label: str) -> QueryError:
    """The same error with the failing step named first (status and code unchanged)."""
    if isinstance(error, DataSourceQueryFailed | DataSourceTimeout | QueryInputError):
        error.message = f"{label}: {error.message}"
        error.args = (error.message,)
    return error


def _mismatch(step: SQLStep, label: str, actual: int, write: bool) -> RowCountMismatch:
    if step.message:
        return RowCountMismatch(step.message)
    expected = step.expect_rows or 0
    what = "change" if write else "be returned"
    return RowCountMismatch(f"{label}: expected {plural(expected)} to {what} but {actual} "
                            f"{'did' if write else 'were'} — nothing was saved")


def _scope_row(columns: list[str], row: Any) -> dict[str, Any]:
    """A row as later steps read it (``<<steps.x.row.id>>``)."""
    return {c: v if isinstance(v, _BINDABLE) else json_value(v)
            for c, v in zip(columns, row, strict=False)}


class TransactionSteps:
    """Mixin of ``SQLSource``: the ``transaction:`` body of a query."""

    name: str
    dialect_name: str

    if TYPE_CHECKING:
        def _transaction(self, timeout: float,
                         row_limit: int | None = None) -> AbstractContextManager[Connection]: ...
        def _timeout(self, limits: Limits) -> float: ...
        def _fetch(self, conn: Connection, compiled: CompiledSQL, max_rows: int, selecting: bool
                   ) -> tuple[Outcome, list[str], Sequence[Any], int | None]: ...
        def _query_error(self, exc: sa_exc.StatementError, timeout: float) -> QueryError: ...

    # --- engine hooks -----------------------------------------------------------------------

    def _begin_steps(self, conn: Connection, writes: bool) -> None:
        """Start the transaction explicitly where the driver would not (SQLite)."""

    def _before_insert(self, conn: Connection) -> None:
        """Called before an INSERT step whose ``lastId`` a later step reads."""

    def _read_last_id(self, conn: Connection, res: Outcome) -> Any:
        """The id the INSERT just run generated, or None."""
        value = res.lastrowid
        return value or None  # MySQL reports 0 when no AUTO_INCREMENT value was generated

    # --- the run ----------------------------------------------------------------------------

    def _run_transaction(self, tx: SQLTransaction, request: QueryRequest) -> QueryResult:
        started = perf_counter()
        timeout = self._timeout(request.limits)
        max_rows = request.limits.max_rows
        done: dict[str, dict[str, Any]] = {}
        changed: int | None = None
        shown: tuple[list[str], Sequence[Any]] = ([], [])
        with self._transaction(timeout, row_limit=max_rows + 1) as conn:
            self._begin_steps(conn, tx.writes)
            for index, step in enumerate(tx.steps):
                label = _label(index, step)
                if index and perf_counter() - started > timeout:
                    raise DataSourceTimeout(
                        f"{label}: the transaction ran longer than the {timeout:g} s time limit "
                        f"of data source {self.name!r}; nothing was saved")
                try:
                    outcome = self._run_step(conn, step, label, request.values, done, max_rows,
                                             step.name in tx.last_id_wanted)
                except sa_exc.StatementError as exc:
                    raise _relabel(self._query_error(exc, timeout), label) from exc
                except QueryInputError as exc:  # a value a step cannot bind
                    raise _relabel(exc, label) from None
                rowcount, columns, raw = outcome
                if rowcount is not None:
                    changed = (changed or 0) + rowcount
                if columns:
                    shown = (columns, raw)
        columns, raw = shown
        return QueryResult(rows=json_rows(columns, raw[:max_rows]), columns=columns,
                           rowcount=changed, truncated=len(raw) > max_rows,
                           duration_ms=(perf_counter() - started) * 1000)

    def _run_step(self, conn: Connection, step: SQLStep, label: str, values: dict[str, Any],
                  done: dict[str, dict[str, Any]], max_rows: int,
                  want_last_id: bool) -> tuple[int | None, list[str], Sequence[Any]]:
        """Run one step; (rows changed or None, columns, rows) and record it in ``done``."""
        own: dict[str, Any] = dict(values)
        for source in step.step_bindings:
            try:
                own[source] = evaluate(source, {STEPS: done})
            except BindingError as exc:
                raise QueryInputError(f"cannot evaluate <<{source}>>: {exc}") from None
        compiled = compile_sql(step.sql, own, dialect=self.dialect_name)
        selecting = is_select(compiled.text)
        inserting = want_last_id and first_word(step.sql) in INSERT_WORDS
        if inserting:
            self._before_insert(conn)
        res, columns, raw, rowcount = self._fetch(conn, compiled, max_rows, selecting)
        if step.expect_rows is not None:
            seen = rowcount if rowcount is not None else len(raw)
            if seen != step.expect_rows:
                raise _mismatch(step, label, seen, write=not selecting)
        if step.name:
            last_id = self._read_last_id(conn, res) if inserting and (rowcount or raw) else None
            rows = [_scope_row(columns, r) for r in raw[:max_rows]]
            done[step.name] = {"lastId": last_id, "rowcount": rowcount if rowcount is not None
                               else len(raw), "rows": rows, "row": rows[0] if rows else None}
        return rowcount, columns, raw
