"""Streaming the whole result of a named SQL query, for exports (CSV downloads).

``open_stream`` runs the query (wrapped with the table's filter and sort, never a LIMIT other
than the export cap) in one read transaction and hands back a :class:`RowStream`: the column
names, known before the first row so errors are answered before the download starts, and the
rows in batches read from the driver's server-side cursor (``yield_per``: psycopg's named
cursor, PyMySQL's SSCursor; sqlite3 steps the statement as rows are fetched). Memory stays flat
whatever the row count. Only statements that return rows (SELECT, WITH ... SELECT, VALUES) are
exported: an export never writes.

MongoDB (and any other kind) is refused with :class:`ExportNotSupported` for now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from builder.queries import compile_sql, is_select
from datasources.base import (
    DataSource,
    Limits,
    PageRequest,
    QueryError,
    QueryInputError,
    QueryRequest,
)
from datasources.sql_base import SQLSource

#: Rows fetched from the driver per round trip (and written per chunk of CSV).
BATCH_ROWS = 1000


class ExportNotSupported(QueryError):
    status = 400
    code = "export_not_supported"


@dataclass
class RowStream:
    """The columns of a running export and its rows, batch by batch; ``close`` ends it."""

    columns: list[str]
    _batches: Iterator[Sequence[Sequence[Any]]]
    _close: Callable[[BaseException | None], None]
    #: Rows handed out so far; ``truncated`` once the cap cut the result.
    rows: int = 0
    truncated: bool = False
    max_rows: int = 0
    _closed: bool = field(default=False, repr=False)

    def batches(self) -> Iterator[Sequence[Sequence[Any]]]:
        """Batches of row tuples, at most ``max_rows`` rows in all."""
        for batch in self._batches:
            room = self.max_rows - self.rows
            if len(batch) > room:
                self.truncated = True
                batch = batch[:room]
            self.rows += len(batch)
            if batch:
                yield batch
            if self.truncated:
                return

    def close(self, error: BaseException | None = None) -> None:
        """Commit (or roll back after ``error``) and give the connection back; idempotent."""
        if not self._closed:
            self._closed = True
            self._close(error)


def open_stream(source: DataSource, request: QueryRequest, *, max_rows: int,
                timeout_s: float) -> RowStream:
    """Start exporting ``request`` (its ``page`` gives only the sort and filter)."""
    if not isinstance(source, SQLSource):
        raise ExportNotSupported(f"exporting from a {source.title} data source is not "
                                 "supported yet")
    return _sql_stream(source, request, max_rows=max_rows, timeout_s=timeout_s)


def _sql_stream(source: SQLSource, request: QueryRequest, *, max_rows: int,
                timeout_s: float) -> RowStream:
    if not isinstance(request.body, str):
        raise QueryInputError(f"a {source.title} query is SQL text")
    compiled = compile_sql(request.body, request.values, dialect=source.dialect_name)
    if not is_select(compiled.text):
        raise QueryInputError("only a query that returns rows (SELECT) can be exported")
    page = request.page or PageRequest()
    stack = ExitStack()
    # The transaction, limits and error mapping of every SQL run (a protected method of the
    # same package), kept open while the rows stream. The cap + 1 also bounds the server
    # (MySQL's sql_select_limit), like a normal run; the data source's own time ceiling holds.
    timeout = source._timeout(Limits(timeout_s=timeout_s, max_rows=max_rows))
    conn = stack.enter_context(source._transaction(timeout, max_rows + 1))

    def close(error: BaseException | None) -> None:
        if error is None:
            stack.close()
        else:
            stack.__exit__(type(error), error, error.__traceback__)

    try:
        query = source._view(conn, compiled, page)
        result = conn.execute(query.statement().execution_options(yield_per=BATCH_ROWS),
                              query.params)
        columns = list(result.keys())
    except BaseException as exc:
        source._forget_probe(compiled)
        _close_raising(close, exc)
        raise
    return RowStream(columns=columns, _batches=iter(result.partitions()), _close=close,
                     max_rows=max_rows)


def _close_raising(close: Callable[[BaseException | None], None], exc: BaseException) -> None:
    """Roll back after ``exc``; the transaction maps driver errors to a ``QueryError``."""
    try:
        close(exc)
    except QueryError as mapped:
        raise mapped from exc
