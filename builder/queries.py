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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Dialect

from builder.bindings import BindingError, find_bindings
from builder.sql_binding import CompiledSQL as CompiledSQL  # re-exported
from builder.sql_binding import compile_sql as compile_sql  # re-exported
from builder.sql_binding import escape_colons
from builder.sqlscan import (
    GENERIC,
    MYSQL,
    BindingInLiteral,
    Flavor,
    Token,
    first_keyword,
    tokenize,
)
from datasources.base import FILTER_OPS, FilterClause, PageRequest, QueryInputError, SortKey
from datasources.base import MAX_PAGE_SIZE as MAX_PAGE_SIZE  # re-exported

ROW_KEYWORDS = ("SELECT", "VALUES", "TABLE")
_WRITE_WORDS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})
_SCALARS = (str, int, float, bool, Decimal, datetime, date, time, bytes, type(None))
_LIKE_ESCAPE = "!"


@dataclass(frozen=True)
class PagedSQL:
    rows: CompiledSQL  # fetches size + 1 rows: the extra one tells whether there is a next page
    count: CompiledSQL | None
    size: int
    offset: int
    #: Read from the other end (exactly the page's rows, last first): see ``wrap_page``.
    reversed: bool = False


def _loose_tokens(sql: str, flavor: Flavor = GENERIC) -> list[Token]:
    """Tokens for telling what kind of statement ``sql`` is: a broken binding, or one inside a
    literal, is not refused here (``compile_sql`` refuses it when the query runs)."""
    try:
        spans = {b.start: b.end for b in find_bindings(sql)}
    except BindingError:
        spans = {}
    try:
        return tokenize(sql, spans, flavor)
    except BindingInLiteral:
        return tokenize(sql, flavor=flavor)


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
    breaker = page.key if page.key in columns else (columns[0] if columns else None)
    if keys and breaker is not None and breaker not in {k.column for k in keys}:
        keys.append(type(keys[0])(breaker))  # tie-breaker: stable pages on duplicate values
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


def _order_by_tail(sql: str, flavor: Flavor = GENERIC) -> list[tuple[str, str]] | None:
    """The (kind, text) tokens after the statement's own ORDER BY (the last one outside brackets:
    not a subquery's or a window function's), spaces and comments left out; None without one."""
    depth, previous, tail = 0, "", None
    for token in _loose_tokens(sql, flavor):
        if token.kind in ("ws", "comment"):
            continue
        text = sql[token.start:token.end]
        if token.kind == "punct":
            depth += text.count("(") - text.count(")")
        word = text.upper() if token.kind == "word" and depth == 0 else ""
        if word == "BY" and previous == "ORDER":
            tail = []
        elif tail is not None:
            tail.append((token.kind, text))
        previous = word
    return tail


@functools.lru_cache(maxsize=1024)
def orders_itself(sql: str) -> bool:
    """Whether the statement has an ORDER BY of its own."""
    return _order_by_tail(sql) is not None


#: Words that may end a statement after its ORDER BY: such a query's order is not lifted.
_AFTER_ORDER = frozenset({"LIMIT", "OFFSET", "FETCH", "FOR", "LOCK", "INTO", "UNION", "EXCEPT",
                          "INTERSECT", "COLLATE", "NULLS", "USING"})


def _column_named(name: str, columns: Sequence[str]) -> str | None:
    if name in columns:
        return name
    folded = [c for c in columns if c.lower() == name.lower()]
    return folded[0] if len(folded) == 1 else None


@functools.lru_cache(maxsize=1024)
def own_order(sql: str, columns: tuple[str, ...]) -> tuple[SortKey, ...] | None:
    """The statement's own ORDER BY as sort keys, when it is nothing but result columns (by
    name or position), each ASC or DESC, and nothing follows it; else None.

    MySQL and MariaDB drop an ORDER BY inside a derived table, so the paging wrapper's
    ``SELECT * FROM (<sql>) AS q`` loses it there; lifted to the wrapper, it holds. Read with
    MySQL's lexical rules (there ``"name"`` is a string, not a column).
    """
    items = _order_by_tail(sql, MYSQL)
    if not items:
        return None
    keys: list[SortKey] = []
    for item in _split_commas(items):
        found = _sort_key(item, columns)
        if found is None:
            return None
        keys.append(found)
    return tuple(keys)


def _split_commas(items: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    parts: list[list[tuple[str, str]]] = [[]]
    for kind, text in items:
        if kind == "punct" and text == ",":
            parts.append([])
        else:
            parts[-1].append((kind, text))
    return parts


def _sort_key(item: list[tuple[str, str]], columns: Sequence[str]) -> SortKey | None:
    """``name [ASC|DESC]`` or ``position [ASC|DESC]`` -> its key; anything else None."""
    if not item or len(item) > 2:
        return None
    descending = False
    if len(item) == 2:
        kind, word = item[1]
        if kind != "word" or word.upper() not in ("ASC", "DESC"):
            return None
        descending = word.upper() == "DESC"
    kind, text = item[0]
    if kind == "word" and text.isdigit():
        position = int(text)
        return SortKey(columns[position - 1], descending) if 0 < position <= len(columns) \
            else None
    if kind == "ident":  # `name` or "name", a doubled quote standing for itself
        name = text[1:-1].replace(text[0] * 2, text[0])
    elif kind == "word" and text.upper() not in _AFTER_ORDER:
        name = text
    else:
        return None
    column = _column_named(name, columns)
    return SortKey(column, descending) if column is not None else None


def lifts_order(dialect: Dialect) -> bool:
    """Whether the query's own ORDER BY must be repeated around it (see ``own_order``)."""
    return dialect.name in ("mysql", "mariadb")


def _keyed(compiled: CompiledSQL, page: PageRequest, columns: Sequence[str],
           dialect: Dialect) -> PageRequest:
    """``page`` sorted when it has no sort of its own: by the query's own ORDER BY where the
    engine would drop it (``own_order``), else by the page's ``key`` when the query returns that
    column and does not order its own rows (that order is kept)."""
    if page.sort:
        return page
    if lifts_order(dialect):
        lifted = own_order(compiled.text, tuple(columns))
        if lifted:
            return replace(page, sort=lifted)
    if page.key is None or page.key not in columns or orders_itself(compiled.text):
        return page
    return replace(page, sort=(SortKey(page.key),))


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
    if not page.sort and lifts_order(dialect):
        page = replace(page, sort=own_order(compiled.text, tuple(columns)) or ())
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
    page = _keyed(compiled, page, columns, dialect)
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
