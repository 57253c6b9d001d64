"""Named SQL queries: ``<<expr>>`` bindings -> driver parameters, and the paging wrapper.

``compile_sql`` turns each binding into a bound parameter (``:p0``, ``:p1``...) of a SQLAlchemy
``text()`` clause; no value ever becomes part of the SQL text. ``wrap_page`` wraps a row-returning
statement as ``SELECT * FROM (<sql>) AS q WHERE ... ORDER BY ... LIMIT :n OFFSET :k`` where the
column names are checked against the columns the query returns and quoted by the dialect.

Decisions:

* One statement per query. A trailing ``;`` is dropped; anything after a ``;`` is refused, because
  drivers disagree on multi-statement strings (psycopg refuses them with parameters, PyMySQL only
  runs them with a connection flag, sqlite3 raises) and one statement keeps ``expectRows`` and
  the row cap meaningful.
* A list value expands to one parameter per element; write it as ``IN (<<ids>>)``. An empty list
  becomes a single NULL, so ``IN (<<ids>>)`` matches no row (and ``NOT IN`` matches none either,
  as SQL's NULL rules go: guard such a query with ``<<ids>>`` in the app if it matters).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import TextClause

from builder.bindings import BindingError, find_bindings
from builder.sqlscan import (
    BindingInLiteral,
    Token,
    first_keyword,
    flavor_for,
    significant,
    tokenize,
)
from datasources.base import FILTER_OPS, FilterClause, PageRequest, QueryInputError
from datasources.base import MAX_PAGE_SIZE as MAX_PAGE_SIZE  # re-exported

ROW_KEYWORDS = ("SELECT", "VALUES", "TABLE")
_WRITE_WORDS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})
_SCALARS = (str, int, float, bool, Decimal, datetime, date, time, bytes, type(None))
_LIKE_ESCAPE = "!"


@dataclass(frozen=True)
class CompiledSQL:
    """SQL ready for ``sqlalchemy.text()`` (every literal ``:`` escaped) and its parameters."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)
    expanding: frozenset[str] = frozenset()

    def statement(self) -> TextClause:
        clause = text(self.text)
        if self.expanding:
            clause = clause.bindparams(
                *(bindparam(name, expanding=True) for name in sorted(self.expanding)))
        return clause

    @property
    def sql(self) -> str:
        """The SQL as a person would read it (placeholders shown as ``:p0``), for logs."""
        return self.text.replace("\\:", ":")


@dataclass(frozen=True)
class PagedSQL:
    rows: CompiledSQL  # fetches size + 1 rows: the extra one tells whether there is a next page
    count: CompiledSQL | None
    size: int
    offset: int
    #: Read from the other end (exactly the page's rows, last first): see ``wrap_page``.
    reversed: bool = False


def escape_colons(sql: str) -> str:
    """Make every ``:`` literal for ``text()`` (``'10:30'``, ``::int``, ``:name`` in strings)."""
    return sql.replace(":", "\\:")


def _bindings(template: str) -> dict[int, tuple[int, str]]:
    try:
        return {b.start: (b.end, b.source) for b in find_bindings(template)}
    except BindingError as exc:
        raise QueryInputError(f"the query has a broken binding: {exc}") from None


@functools.lru_cache(maxsize=1024)
def _scan(template: str, dialect: str | None) -> tuple[dict[int, tuple[int, str]],
                                                       tuple[Token, ...]]:
    """Bindings and tokens of a query text (cached: a published query runs again and again)."""
    found = _bindings(template)
    return found, tuple(_tokens(template, found, dialect))


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
    found, tokens = _scan(template, dialect)
    sig = significant(tokens)
    if not sig:
        raise QueryInputError("the query is empty")
    drop: set[int] = set()  # indexes into ``tokens`` left out of the output
    semis = [t for t in sig if t.kind == "punct" and template[t.start] == ";"]
    if semis:
        if semis[0] is not sig[-1] or len(semis) > 1:
            raise QueryInputError("a query runs one SQL statement: remove the ';' and what "
                                  "follows it, or list the statements as steps of a "
                                  "'transaction:' (they then run in one transaction)")
        drop.add(tokens.index(semis[0]))
    out: list[str] = []
    params: dict[str, Any] = {}
    expanding: set[str] = set()
    for i, tok in enumerate(tokens):
        if tok.kind != "binding":
            out.append(escape_colons(template[tok.start:tok.end]))
            continue
        source = found[tok.start][1]
        if source not in values:
            raise QueryInputError(f"no value was given for <<{source}>>")
        value = values[source]
        _check_value(source, value)
        name = f"p{len(params)}"
        placeholder = f":{name}"
        if isinstance(value, list | tuple):
            parens = _wrapping_parens(template, tokens, i)
            if value:
                expanding.add(name)
                params[name] = list(value)
                if parens:  # an expanding parameter renders its own parentheses
                    _blank(out, parens[0])
                    drop.add(parens[1])
            else:
                params[name] = None
                if not parens:
                    placeholder = f"({placeholder})"
        else:
            params[name] = value
        before = template[tok.start - 1] if tok.start else " "
        after = template[tok.end] if tok.end < len(template) else " "
        if _is_name_char(before) or before in ":\\":
            placeholder = " " + placeholder
        if _is_name_char(after):
            placeholder += " "
        out.append(placeholder)
    out = [piece for i, piece in enumerate(out) if i not in drop]
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


def _blank(out: list[str], index: int) -> None:
    out[index] = " "


def _loose_tokens(sql: str) -> list[Token]:
    """Tokens for telling what kind of statement ``sql`` is: a broken binding, or one inside a
    literal, is not refused here (``compile_sql`` refuses it when the query runs)."""
    try:
        spans = {b.start: b.end for b in find_bindings(sql)}
    except BindingError:
        spans = {}
    try:
        return tokenize(sql, spans)
    except BindingInLiteral:
        return tokenize(sql)


@functools.lru_cache(maxsize=1024)
def first_word(sql: str) -> str:
    """The statement's first keyword, upper-cased (``INSERT``, ``UPDATE``...), or ``""``."""
    return first_keyword(sql, _loose_tokens(sql))


@functools.lru_cache(maxsize=1024)
def is_select(sql: str) -> bool:
    """Whether the statement returns rows that can be paged (SELECT, WITH ... SELECT, VALUES)."""
    tokens = _loose_tokens(sql)
    if first_keyword(sql, tokens) not in ROW_KEYWORDS:
        return False
    words = [sql[t.start:t.end].upper() for t in tokens if t.kind == "word"]
    # PostgreSQL's WITH x AS (UPDATE ... RETURNING *) SELECT ... cannot be wrapped or streamed.
    return not (words[0] == "WITH" and _WRITE_WORDS.intersection(words))


# --- paging ------------------------------------------------------------------------------------


def _quote(dialect: Dialect, column: str) -> str:
    return escape_colons(dialect.identifier_preparer.quote_identifier(column))


def _check_column(column: str, columns: Sequence[str], what: str) -> None:
    if column not in columns:
        valid = ", ".join(columns) or "(none)"
        raise QueryInputError(f"cannot {what} by {column!r}: it is not a column of this "
                              f"query's result; the columns are: {valid}")


def _like_pattern(value: Any, prefix_only: bool) -> str:
    raw = value if isinstance(value, str) else str(value)
    escaped = re.sub(r"([!%_])", rf"{_LIKE_ESCAPE}\1", raw)
    return f"{escaped}%" if prefix_only else f"%{escaped}%"


class _Filters:
    """Builds the WHERE clause of the wrapper; every value becomes a parameter ``f<n>``."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.params: dict[str, Any] = {}
        self.expanding: set[str] = set()

    def bind(self, value: Any) -> str:
        name = f"f{len(self.params)}"
        if self.dialect.name == "postgresql" and isinstance(value, int | float | Decimal) \
                and not isinstance(value, bool):
            # Sent as text of unknown type, PostgreSQL casts it to the column's type: a number
            # typed into a table filter then also works on a text column.
            value = str(value)
        self.params[name] = value
        return f":{name}"

    def clause(self, flt: FilterClause, col: str) -> str:
        op, value = flt.op, flt.value
        if op not in FILTER_OPS:
            raise QueryInputError(f"unknown filter operator {op!r}; use one of "
                                  f"{', '.join(FILTER_OPS)}")
        if op == "null" or (op == "=" and value is None):
            return f"{col} IS NULL"
        if op == "notnull" or (op == "!=" and value is None):
            return f"{col} IS NOT NULL"
        if value is None:
            raise QueryInputError(f"the {op!r} filter on {flt.column!r} needs a value")
        if op == "in":
            items = list(value) if isinstance(value, list | tuple) else [value]
            if not items:
                return "1 = 0"
            name = f"f{len(self.params)}"
            self.params[name] = items
            self.expanding.add(name)
            return f"{col} IN :{name}"
        if op in ("contains", "starts"):
            pattern = self.bind(_like_pattern(value, op == "starts"))
            if self.dialect.name == "postgresql":
                return f"CAST({col} AS TEXT) ILIKE {pattern} ESCAPE '{_LIKE_ESCAPE}'"
            return f"{col} LIKE {pattern} ESCAPE '{_LIKE_ESCAPE}'"
        if op == "!=":
            # "not equal" in a table filter keeps the empty (NULL) cells, as a person expects.
            return f"({col} <> {self.bind(value)} OR {col} IS NULL)"
        return f"{col} {op} {self.bind(value)}"


def _order_by(page: PageRequest, columns: Sequence[str], dialect: Dialect, *,
              not_null: frozenset[str] = frozenset(), reverse: bool = False) -> str:
    """NULL sorts as the smallest value on every engine (MySQL's and SQLite's rule).

    PostgreSQL sorts NULL as the largest, so its keys say NULLS FIRST/LAST, except on columns
    known to be NOT NULL (``not_null``): there the clause changes nothing but would stop
    PostgreSQL from reading the order from an index. ``reverse`` flips every key (deep pages are
    read from the other end, see ``wrap_page``).
    """
    keys = list(page.sort)
    if keys and columns and columns[0] not in {k.column for k in keys}:
        keys.append(type(keys[0])(columns[0]))  # tie-breaker: stable pages on duplicate values
    parts = []
    for key in keys:
        _check_column(key.column, columns, "sort")
        col = f"q.{_quote(dialect, key.column)}"
        descending = key.descending != reverse
        direction = "DESC" if descending else "ASC"
        nulls = ""
        if dialect.name == "postgresql" and key.column not in not_null:
            nulls = " NULLS LAST" if descending else " NULLS FIRST"
        parts.append(f"{col} {direction}{nulls}")
    return f"\nORDER BY {', '.join(parts)}" if parts else ""


def probe_columns(compiled: CompiledSQL) -> CompiledSQL:
    """A statement returning no rows but the query's columns (to check sort/filter names)."""
    sql = f"SELECT * FROM (\n{compiled.text}\n) AS q LIMIT 0"
    return CompiledSQL(sql, dict(compiled.params), compiled.expanding)


def _past_middle(page: PageRequest, size: int, offset: int, total: int | None) -> bool:
    """Whether a sorted page lies past the middle of ``total`` rows: it is then cheaper to read
    from the other end than through a deep OFFSET (with the browser's ``total_hint``, that is
    worth counting first)."""
    return bool(page.sort) and total is not None and offset + size // 2 > total // 2


def _filtered(compiled: CompiledSQL, filters: Sequence[FilterClause], columns: Sequence[str],
              dialect: Dialect) -> CompiledSQL:
    """``FROM (<sql>) AS q WHERE <filters>``, every filter value a parameter."""
    built = _Filters(dialect)
    conditions = []
    for flt in filters:
        _check_column(flt.column, columns, "filter")
        conditions.append(built.clause(flt, f"q.{_quote(dialect, flt.column)}"))
    where = f"\nWHERE {' AND '.join(conditions)}" if conditions else ""
    return CompiledSQL(f"FROM (\n{compiled.text}\n) AS q{where}",
                       {**compiled.params, **built.params}, compiled.expanding | built.expanding)


def wrap_view(compiled: CompiledSQL, page: PageRequest, columns: Sequence[str],
              dialect: Dialect, *, not_null: frozenset[str] = frozenset()) -> CompiledSQL:
    """The table's view of a row-returning query without a page limit (exports): ``SELECT *
    FROM (<sql>) AS q WHERE <filters> ORDER BY <sort>`` from ``page``'s filter and sort, column
    names checked and quoted as in ``wrap_page``; ``compiled`` itself when there are neither."""
    if not page.sort and not page.filter:
        return compiled
    base = _filtered(compiled, page.filter, columns, dialect)
    order = _order_by(page, columns, dialect, not_null=not_null)
    return CompiledSQL(f"SELECT * {base.text}{order}", base.params, base.expanding)


def wrap_page(compiled: CompiledSQL, page: PageRequest, columns: Sequence[str],
              dialect: Dialect, *, not_null: frozenset[str] = frozenset(),
              total: int | None = None) -> PagedSQL:
    """The page query and the count query for a row-returning ``compiled`` statement.

    ``columns`` are the names the query returns; sort and filter columns must be among them.
    The page size is capped at ``MAX_PAGE_SIZE``. With the ``total`` known and a sort given, a
    page past the middle is read from the other end with every sort key flipped (``reversed``:
    the caller turns its rows around), so the last page costs what the first one does instead
    of an OFFSET over the whole table.
    """
    size, offset = page.window()
    filtered = _filtered(compiled, page.filter, columns, dialect)
    base, params, expanding = filtered.text, filtered.params, filtered.expanding
    reverse = _past_middle(page, size, offset, total)
    if reverse:
        assert total is not None
        limit, skip = max(0, min(size, total - offset)), max(0, total - offset - size)
    else:
        limit, skip = size + 1, offset
    order = _order_by(page, columns, dialect, not_null=not_null, reverse=reverse)
    rows_sql = f"SELECT * {base}{order}\nLIMIT :page_limit OFFSET :page_offset"
    rows = CompiledSQL(rows_sql, {**params, "page_limit": limit, "page_offset": skip},
                       expanding)
    count = (CompiledSQL(f"SELECT COUNT(*) {base}", params, expanding)
             if page.want_total or _past_middle(page, size, offset, page.total_hint) else None)
    return PagedSQL(rows=rows, count=count, size=size, offset=offset, reversed=reverse)
