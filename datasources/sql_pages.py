"""A table's page of a SQL query: the paging wrapper's statements, and the probed columns.

Mixin of ``SQLSource`` (datasources/sql_base.py): ``_run_page`` runs a page (and its count) of a
row-returning query inside the run's transaction, on the driver's cursor
(datasources/sql_driver.py); ``_probe`` learns the query's columns, which sort, filter and the
row key must name, and keeps them for a minute per query text.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from sqlalchemy import Connection

from builder.queries import (
    CompiledSQL,
    lifts_order,
    orders_itself,
    probe_columns,
    wrap_page,
    wrap_view,
)
from datasources.base import PageRequest, QueryResult
from datasources.sql_driver import fetch_all, fetch_scalar
from datasources.sql_support import json_result

#: How long a query's probed columns are trusted, and how many queries a source remembers.
PROBE_TTL_S = 60.0
PROBE_CACHE_SIZE = 256


class TablePages:
    """Mixin of ``SQLSource``: pages of a table, and the probed columns they check names with."""

    #: query text -> (when, columns, NOT NULL columns): see ``_probe``.
    _probes: dict[str, tuple[float, list[str], frozenset[str]]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._probes = {}

    def _run_page(self, conn: Connection, compiled: CompiledSQL, page: PageRequest,
                  arrays: bool = False) -> QueryResult:
        columns: list[str] = []
        not_null: frozenset[str] = frozenset()
        if page.sort or page.filter or page.key or (
                lifts_order(conn.dialect) and orders_itself(compiled.text)):
            columns, not_null = self._probe(conn, compiled)
        try:
            paged = wrap_page(compiled, page, columns, conn.dialect, not_null=not_null)
            total = None
            if paged.count is not None:
                total = fetch_scalar(conn, paged.count)
                paged = wrap_page(compiled, page, columns, conn.dialect, not_null=not_null,
                                  total=total)
            columns, raw = fetch_all(conn, paged.rows)  # at most size + 1 rows
        except Exception:
            self._forget_probe(compiled)
            raise
        if paged.reversed:
            assert total is not None
            raw.reverse()
            has_more = paged.offset + len(raw) < total
        else:
            has_more = len(raw) > paged.size
        return QueryResult(rows=json_result(columns, raw[:paged.size], arrays), columns=columns,
                           total=total, has_more=has_more)

    def _probe(self, conn: Connection, compiled: CompiledSQL) -> tuple[list[str], frozenset[str]]:
        """The query's column names and which are NOT NULL, kept for a minute per query text.

        Checking sort and filter names needs the columns, and the flagship table always sends a
        sort: without the cache every page would run this LIMIT 0 statement first.
        """
        now = monotonic()
        cached = self._probes.get(compiled.text)
        if cached is not None and now - cached[0] < PROBE_TTL_S:
            return cached[1], cached[2]
        probe = probe_columns(compiled)
        res = conn.execute(probe.statement(), probe.params)
        columns = list(res.keys())
        not_null = self._not_null_columns(conn, res, columns)
        if len(self._probes) >= PROBE_CACHE_SIZE:
            self._probes.clear()
        self._probes[compiled.text] = (now, columns, not_null)
        return columns, not_null

    def _forget_probe(self, compiled: CompiledSQL) -> None:
        """After a failed run: the schema may have changed, so probe again next time."""
        self._probes.pop(compiled.text, None)

    def _view(self, conn: Connection, compiled: CompiledSQL, page: PageRequest) -> CompiledSQL:
        """``compiled`` with the page's filter and sort but no page limit (exports)."""
        if not page.sort and not page.filter:
            return compiled
        columns, not_null = self._probe(conn, compiled)
        return wrap_view(compiled, page, columns, conn.dialect, not_null=not_null)

    def _not_null_columns(self, conn: Connection, probe: Any,
                          columns: list[str]) -> frozenset[str]:
        """Columns that cannot hold NULL; only PostgreSQL's ORDER BY needs to know."""
        return frozenset()
