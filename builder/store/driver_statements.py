"""Core statements compiled once per dialect and run on the pooled driver connection.

Every API request runs two statements on the metadata database besides its own query: the read
of the policy counter (``builder/store/generation.py``) and the audit INSERT
(``builder/security/audit.py``). Through ``Connection.execute`` each cost 60–130 µs of Python
(execution context, result set-up, transaction bookkeeping), more than the driver's own work,
on a request budget of about 1 ms (docs/performance.md). Here the statement is compiled by
SQLAlchemy once for the engine's dialect, values still go to the driver as bound parameters
(converted by the columns' own type processors), and the connection comes from the engine's
pool, with its connect events (SQLite pragmas) and pre-ping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql import ClauseElement


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: Bind names in the driver's positional order, or None for a named paramstyle.
    order: tuple[str, ...] | None
    defaults: Mapping[str, Any]  # literal values in the statement (``WHERE id = 1``)
    processors: Mapping[str, Callable[[Any], Any]]


class DriverStatement:
    """One Core statement, run with ``run(engine, values)`` in its own short transaction."""

    def __init__(self, statement: ClauseElement, keys: tuple[str, ...] | None = None) -> None:
        """``keys``: for an INSERT, the columns it sets (the others keep their server defaults)."""
        self._statement = statement
        self._keys = list(keys) if keys is not None else None
        self._by_dialect: dict[tuple[str, str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def _compiled(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        found = self._by_dialect.get(key)
        if found is None:
            with self._lock:
                compiled = self._statement.compile(dialect=dialect, column_keys=self._keys)
                processors, defaults = {}, {}
                for bind, name in compiled.bind_names.items():
                    processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
                    if processor is not None:
                        processors[name] = processor
                    if not bind.required:
                        defaults[name] = bind.effective_value
                order = tuple(compiled.positiontup) if compiled.positiontup else None
                found = _Compiled(compiled.string, order, defaults, processors)
                self._by_dialect[key] = found
        return found

    def run(self, engine: Engine, values: Mapping[str, Any] | None = None) -> Any:
        """Run it and commit; the first row's first column (None for a statement without rows)."""
        compiled = self._compiled(engine.dialect)
        params = {**compiled.defaults, **(values or {})}
        for name, processor in compiled.processors.items():
            params[name] = processor(params[name])
        args: Any = [params[name] for name in compiled.order] if compiled.order else params
        connection = engine.raw_connection()  # back to the pool (rolled back) on close
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(compiled.sql, args)
                row = cursor.fetchone() if cursor.description else None
            finally:
                cursor.close()
            connection.commit()
        finally:
            connection.close()
        return row[0] if row else None
