"""CSV for exports: which columns and headers, cell text, CSV-injection guard, file names.

* UTF-8 with a byte-order mark, so Excel opens Chinese text correctly; CRLF line ends (RFC 4180).
* Exporting the query of a table whose ``columns`` are listed gives those columns (hidden ones
  left out), in the table's order, headed by their labels; otherwise every column of the query,
  headed by its name. Values are the stored ones (a column's ``labels`` are not applied).
* A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  ``'``, so a spreadsheet shows it as text instead of running it as a formula. Numbers are
  written as numbers (a negative number keeps its ``-``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from builder import bindings
from builder.appspec.model import AppSpec
from datasources.sql_support import json_value

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def guard(text: str) -> str:
    """Text a spreadsheet will not read as a formula (CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str:
    """One value as CSV cell text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(json_value(value))
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, str):
        return guard(value)
    shown = json_value(value)
    if isinstance(shown, dict | list):
        shown = json.dumps(shown, ensure_ascii=False)
    return guard(str(shown))


def table_columns(spec: AppSpec, query_name: str) -> list[tuple[str, str]] | None:
    """(key, label) of the visible columns of the first table showing ``<<query.data>>``."""
    for widget in spec.all_widgets():
        data = widget.props.get("data")
        if widget.type != "table" or not isinstance(data, str) \
                or not bindings.is_single_binding(data):
            continue
        if bindings.find_bindings(data)[0].source.strip() != f"{query_name}.data":
            continue
        columns = widget.props.get("columns")
        if not isinstance(columns, list) or not columns:
            return None
        return [(str(c["key"]), str(c.get("label") or c["key"])) for c in columns
                if isinstance(c, dict) and "key" in c and not c.get("hidden")]
    return None


def layout(result_columns: Sequence[str],
           wanted: list[tuple[str, str]] | None) -> tuple[list[int | None], list[str]]:
    """Index into each result row of every CSV column (None: not in the result), and headers."""
    if wanted is None:
        return list(range(len(result_columns))), list(result_columns)
    where = {name: i for i, name in enumerate(result_columns)}
    return [where.get(key) for key, _ in wanted], [label for _, label in wanted]


def csv_chunks(header: Sequence[str], indexes: Sequence[int | None],
               batches: Iterable[Sequence[Sequence[Any]]]) -> Iterator[bytes]:
    """The CSV file as UTF-8 chunks: the BOM and header first, then one chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    buffer.write(BOM)
    writer.writerow([guard(h) for h in header])
    yield take()
    for batch in batches:
        writer.writerows([cell(row[i]) if i is not None else "" for i in indexes]
                         for row in batch)
        yield take()


def safe_filename(requested: Any, query_name: str) -> str:
    """A download name ending in .csv, without path separators or control characters."""
    name = _UNSAFE_NAME.sub("_", requested).strip(" .") if isinstance(requested, str) else ""
    name = name[:150] or query_name
    return name if name.lower().endswith(".csv") else f"{name}.csv"
