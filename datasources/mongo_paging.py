"""Server-side paging, sorting and filtering of ``find`` and ``aggregate`` for a table.

The table sends field names and plain values (``PageRequest``). A field name becomes a key of
the filter or sort document, so it is checked first: a dotted path whose parts are not empty
and do not start with ``$`` (no operator can come in as a field), and, when the query has an
inclusion projection, one of the projected fields. Values only ever sit inside an operator the
engine chose (``$in``, ``$lt``, an escaped ``$regex``), so they cannot become operators.

A table filter is typed text: ``"42"`` also matches the number 42, an ISO date the date, 24 hex
digits the ObjectId, ``true``/``false`` the boolean (MongoDB compares values of one type only).
``contains``/``starts`` are case-insensitive, like the SQL sources. Pages are sorted by the
table's keys, then the query's own sort, then ``_id``, so pages are stable; null and missing
values sort lowest, as on the SQL sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from datasources.base import FILTER_OPS, FilterClause, PageRequest, QueryInputError, SortKey

_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}"
                   r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
_COMPARE = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


def check_field(name: str, allowed: Sequence[str] | None, what: str) -> str:
    """``name`` as a safe field path; ``allowed`` (projected fields) limits the first part."""
    parts = name.split(".")
    if not name or len(name) > 256 or any(not p or p.startswith("$") or "\x00" in p
                                           for p in parts):
        raise QueryInputError(f"cannot {what} by {name!r}: not a field name (a field path is "
                              "names separated by '.', none starting with '$')")
    if allowed is not None and parts[0] not in allowed:
        raise QueryInputError(f"cannot {what} by {name!r}: it is not a field of this query's "
                              f"result; the fields are: {', '.join(allowed) or '(none)'}")
    return name


def projected_fields(projection: Any) -> list[str] | None:
    """The fields an inclusion projection returns (``None``: any field may be returned)."""
    if not isinstance(projection, dict) or not projection:
        return None
    included = [k for k, v in projection.items() if k != "_id" and v not in (0, False)]
    if not included:  # an exclusion projection: every other field stays
        return None
    keep_id = projection.get("_id", 1) not in (0, False)
    return (["_id"] if keep_id else []) + [k.split(".")[0] for k in included]


def candidates(value: Any) -> list[Any]:
    """The value and what else typed text can mean in a document (see the module doc)."""
    out = [value]
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text):
            number = float(text)
            out.append(int(number) if number.is_integer() and "." not in text
                       and "e" not in text.lower() else number)
        if _DATE.match(text):
            try:
                parsed = datetime.fromisoformat(text.replace(" ", "T"))
            except ValueError:
                pass
            else:
                if parsed.tzinfo is not None:
                    parsed = parsed.astimezone(UTC).replace(tzinfo=None)
                out.append(parsed)
        if _OBJECT_ID.match(text):
            out.append(ObjectId(text))
        if text in ("true", "false"):
            out.append(text == "true")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out.append(str(value))
    return out


def filter_clause(flt: FilterClause) -> dict[str, Any]:
    field, op, value = flt.column, flt.op, flt.value
    if op not in FILTER_OPS:
        raise QueryInputError(f"unknown filter operator {op!r}; use one of "
                              f"{', '.join(FILTER_OPS)}")
    if op == "null" or (op == "=" and value is None):
        return {field: None}
    if op == "notnull" or (op == "!=" and value is None):
        return {field: {"$ne": None}}
    if value is None:
        raise QueryInputError(f"the {op!r} filter on {field!r} needs a value")
    if op == "in":
        items = value if isinstance(value, list | tuple) else [value]
        return {field: {"$in": [c for item in items for c in candidates(item)]}}
    if op in ("contains", "starts"):
        pattern = re.escape(str(value))
        return {field: {"$regex": f"^{pattern}" if op == "starts" else pattern,
                        "$options": "i"}}
    options = candidates(value)
    if op == "=":
        return {field: options[0] if len(options) == 1 else {"$in": options}}
    if op == "!=":
        return {field: {"$nin": options}}
    operator = _COMPARE[op]
    if len(options) == 1:
        return {field: {operator: options[0]}}
    return {"$or": [{field: {operator: c}} for c in options]}


def page_filters(page: PageRequest, allowed: Sequence[str] | None) -> list[dict[str, Any]]:
    return [filter_clause(FilterClause(check_field(f.column, allowed, "filter"), f.op, f.value))
            for f in page.filter]


def page_sort(keys: Iterable[SortKey], query_sort: Any,
              allowed: Sequence[str] | None) -> dict[str, Any]:
    """The table's sort keys, then the query's own sort, then ``_id`` (stable pages)."""
    sort: dict[str, Any] = {}
    for key in keys:
        sort.setdefault(check_field(key.column, allowed, "sort"), -1 if key.descending else 1)
    if isinstance(query_sort, dict):
        for field, direction in query_sort.items():
            sort.setdefault(field, direction)
    sort.setdefault("_id", 1)
    return sort
