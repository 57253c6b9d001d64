"""``<<expr>>`` bindings in a SQL query -> driver parameters of a SQLAlchemy ``text()`` clause.

No value ever becomes part of the SQL text; the decisions are in ``builder/queries.py``'s
docstring. The work that depends only on the query text (finding bindings, tokens, where a
binding needs spaces or sits in parentheses) is done once per text and cached as a ``_Plan``: a
published query runs again and again, and redoing it cost more than running a small query.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.sql.elements import TextClause

from builder.bindings import BindingError, find_bindings
from builder.sqlscan import BindingInLiteral, Token, flavor_for, significant, tokenize
from datasources.base import QueryInputError

_SCALARS = (str, int, float, bool, Decimal, datetime, date, time, bytes, type(None))


@dataclass(frozen=True)
class CompiledSQL:
    """SQL ready for ``sqlalchemy.text()`` (every literal ``:`` escaped) and its parameters."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)
    expanding: frozenset[str] = frozenset()

    def statement(self) -> TextClause:
        return text_clause(self.text, self.expanding)

    @property
    def sql(self) -> str:
        """The SQL as a person would read it (placeholders shown as ``:p0``), for logs."""
        return self.text.replace("\\:", ":")


@functools.lru_cache(maxsize=1024)
def text_clause(sql: str, expanding: frozenset[str] = frozenset()) -> TextClause:
    """One ``text()`` object per statement text: SQLAlchemy then finds its compiled form in its
    cache without rebuilding the clause and its cache key on every run (~25 µs a statement)."""
    clause = text(sql)
    if expanding:
        clause = clause.bindparams(*(bindparam(name, expanding=True) for name in sorted(expanding)))
    return clause


def escape_colons(sql: str) -> str:
    """Make every ``:`` literal for ``text()`` (``'10:30'``, ``::int``, ``:name`` in strings)."""
    return sql.replace(":", "\\:")


@dataclass(frozen=True)
class _Slot:
    """One binding of the query text and what its placeholder needs around it."""

    index: int  # its token's index
    source: str  # the expression, e.g. ``orders.selectedRow.id``
    space_before: bool
    space_after: bool
    parens: tuple[int, int] | None  # indexes of the ``(`` and ``)`` tokens right around it


@dataclass(frozen=True)
class _Plan:
    pieces: tuple[str, ...]  # each token's text, colons escaped ("" for a binding, a dropped ;)
    slots: tuple[_Slot, ...]


def _bindings(template: str) -> dict[int, tuple[int, str]]:
    try:
        return {b.start: (b.end, b.source) for b in find_bindings(template)}
    except BindingError as exc:
        raise QueryInputError(f"the query has a broken binding: {exc}") from None


@functools.lru_cache(maxsize=1024)
def _plan(template: str, dialect: str | None) -> _Plan:
    """What compiling ``template`` needs but the values (a refusal is raised, not cached)."""
    found = _bindings(template)
    tokens = _tokens(template, found, dialect)
    sig = significant(tokens)
    if not sig:
        raise QueryInputError("the query is empty")
    pieces = [escape_colons(template[t.start:t.end]) if t.kind != "binding" else ""
              for t in tokens]
    semis = [t for t in sig if t.kind == "punct" and template[t.start] == ";"]
    if semis:
        if semis[0] is not sig[-1] or len(semis) > 1:
            raise QueryInputError("a query runs one SQL statement: remove the ';' and what "
                                  "follows it, or list the statements as steps of a "
                                  "'transaction:' (they then run in one transaction)")
        pieces[tokens.index(semis[0])] = ""
    slots = []
    for i, tok in enumerate(tokens):
        if tok.kind != "binding":
            continue
        before = template[tok.start - 1] if tok.start else " "
        after = template[tok.end] if tok.end < len(template) else " "
        slots.append(_Slot(i, found[tok.start][1], _is_name_char(before) or before in ":\\",
                           _is_name_char(after), _wrapping_parens(template, tokens, i)))
    return _Plan(tuple(pieces), tuple(slots))


def _tokens(template: str, found: dict[int, tuple[int, str]], dialect: str | None) -> list[Token]:
    try:
        return tokenize(template, {s: e for s, (e, _) in found.items()}, flavor_for(dialect))
    except BindingInLiteral as exc:
        source = found[exc.start][1]
        if exc.where == "comment":
            raise QueryInputError(f"<<{source}>> is inside a SQL comment: move it out of the "
                                  "comment or delete it") from None
        quote = "quotes" if exc.where == "string" else "identifier quotes"
        raise QueryInputError(f"remove the {quote} around <<{source}>>: values are bound as "
                              "parameters, so they need no quotes") from None


def _check_value(source: str, value: Any) -> None:
    items = value if isinstance(value, list | tuple) else [value]
    if not all(isinstance(v, _SCALARS) for v in items):
        bad = next(v for v in items if not isinstance(v, _SCALARS))
        raise QueryInputError(
            f"<<{source}>> is {type(bad).__name__}: SQL parameters must be text, numbers, "
            "booleans, dates, null or a list of those")


def compile_sql(template: str, values: Mapping[str, Any], *,
                dialect: str | None = None) -> CompiledSQL:
    """Bind each ``<<expr>>`` of ``template`` to ``values[expr]`` as a driver parameter.

    ``dialect`` (``"mysql"``, ``"postgresql"``...) only picks the lexical rules used to find
    strings and comments (MySQL's backslash escapes and ``#`` comments).
    """
    plan = _plan(template, dialect)
    if not plan.slots:
        return CompiledSQL("".join(plan.pieces).rstrip())
    out = list(plan.pieces)
    params: dict[str, Any] = {}
    expanding: set[str] = set()
    for slot in plan.slots:
        if slot.source not in values:
            raise QueryInputError(f"no value was given for <<{slot.source}>>")
        value = values[slot.source]
        _check_value(slot.source, value)
        name = f"p{len(params)}"
        placeholder = f":{name}"
        if isinstance(value, list | tuple):
            if value:
                expanding.add(name)
                params[name] = list(value)
                if slot.parens:  # an expanding parameter renders its own parentheses
                    out[slot.parens[0]] = " "
                    out[slot.parens[1]] = ""
            else:
                params[name] = None
                if not slot.parens:
                    placeholder = f"({placeholder})"
        else:
            params[name] = value
        if slot.space_before:
            placeholder = " " + placeholder
        if slot.space_after:
            placeholder += " "
        out[slot.index] = placeholder
    return CompiledSQL("".join(out).rstrip(), params, frozenset(expanding))


def _is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_$"


def _wrapping_parens(sql: str, tokens: Sequence[Token], i: int) -> tuple[int, int] | None:
    """Indexes of the ``(`` and ``)`` tokens directly around token ``i``, if both are there."""
    def neighbour(step: int) -> int | None:
        j = i + step
        while 0 <= j < len(tokens) and tokens[j].kind in ("ws", "comment"):
            j += step
        return j if 0 <= j < len(tokens) else None

    left, right = neighbour(-1), neighbour(1)
    if left is None or right is None:
        return None
    lt, rt = tokens[left], tokens[right]
    if (lt.kind, sql[lt.start:lt.end], rt.kind, sql[rt.start:rt.end]) == ("punct", "(", "punct",
                                                                            ")"):
        return left, right
    return None
