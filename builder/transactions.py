"""Multi-statement SQL queries that run in one database transaction (``transaction:`` steps).

A query may list SQL statements instead of one ``sql``; they run in order in one transaction on
one connection, and any failure (``expectRows`` not met, a database error, the time limit) rolls
back all of them. A named step's outcome is readable by the later steps through bindings:
``<<steps.insertOrder.lastId>>``, ``.rowcount``, ``.row`` (its first row) and ``.rows``. Those
values never come from the browser: the data source evaluates such a binding between steps and,
like every other binding, binds the value as a driver parameter.

This module is the shared vocabulary: the frozen body handed to the SQL data sources
(:class:`SQLTransaction`), how it is built from a validated query, and which bindings read steps.
The run itself is ``datasources/sql_transaction.py``; validation is ``builder/appspec``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder import bindings
from builder.queries import is_select

#: The name bindings use for the earlier steps of the same transaction.
STEPS = "steps"
#: What a binding may read of an earlier step.
STEP_PROPERTIES = ("lastId", "rowcount", "row", "rows")
#: Keys of one step in an app file.
STEP_KEYS = ("name", "sql", "expectRows", "message")
#: Statements whose first keyword is one of these may produce ``lastId``.
INSERT_WORDS = frozenset({"INSERT", "REPLACE"})


@dataclass(frozen=True)
class SQLStep:
    sql: str
    name: str | None = None
    expect_rows: int | None = None
    #: Shown to the user (409) instead of the generic text when ``expect_rows`` is not met.
    message: str | None = None
    #: Binding sources of this step that read ``steps``: evaluated by the data source, between
    #: steps, never sent by the browser.
    step_bindings: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sql": self.sql}
        for key, value in (("name", self.name), ("expectRows", self.expect_rows),
                           ("message", self.message)):
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class SQLTransaction:
    """The body of a ``transaction:`` query, as the SQL data sources receive it."""

    steps: tuple[SQLStep, ...]
    #: Names of steps whose ``lastId`` a later step reads (PostgreSQL only asks for it then).
    last_id_wanted: frozenset[str] = frozenset()

    def as_json(self) -> dict[str, Any]:
        """The body as the app file has it (for the audit log of editor runs)."""
        return {"transaction": [step.as_json() for step in self.steps]}

    @property
    def writes(self) -> bool:
        """Whether a step is something other than a row-returning SELECT/VALUES/WITH."""
        return any(not is_select(step.sql) for step in self.steps)


def reads_steps(source: str) -> bool:
    """Whether the binding expression ``source`` reads ``steps``."""
    try:
        return any(ref and ref[0] == STEPS for ref in bindings.references(source))
    except bindings.BindingError:
        return False


def step_sources(sql: str) -> list[str]:
    """Binding sources of one step's SQL, in order, without repeats."""
    out: list[str] = []
    for found in bindings.find_bindings(sql):
        if found.source not in out:
            out.append(found.source)
    return out


def build_transaction(steps: list[dict[str, Any]]) -> SQLTransaction:
    """The body of a *validated* ``transaction:`` list."""
    built: list[SQLStep] = []
    wanted: set[str] = set()
    for step in steps:
        reading = tuple(s for s in step_sources(str(step["sql"])) if reads_steps(s))
        for source in reading:
            for ref in bindings.references(source):
                if len(ref) >= 3 and ref[0] == STEPS and ref[2] == "lastId":
                    wanted.add(str(ref[1]))
        built.append(SQLStep(sql=str(step["sql"]), name=step.get("name"),
                             expect_rows=step.get("expectRows"), message=step.get("message"),
                             step_bindings=reading))
    return SQLTransaction(steps=tuple(built), last_id_wanted=frozenset(wanted))
