"""Bulk import: a query's ``import:`` spec, and checking every cell of an uploaded file.

A query with ``import: {file, columns, maxRows}`` and an INSERT ``sql`` runs once per row of a
file uploaded through a ``fileinput`` widget; ``<<row.KEY>>`` reads that row's cell of the
column with that ``key``. Before anything is written every row is converted and checked here
(type, required, min/max, enum, pattern) and *all* problems are collected as
``{line, column, value, reason, code}``; only a file without problems reaches the database, where
the rows are inserted in one transaction (``datasources/sql_import.py``).

Like ``steps`` in a transaction, ``row`` bindings are evaluated by the server, per row, and bound
as driver parameters; the browser never sends them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from builder import bindings
from builder.import_files import FileRefused, Sheet

#: The name import SQL reads the current row by: ``<<row.customer_name>>``.
ROW = "row"
COLUMN_TYPES = ("string", "integer", "decimal", "date", "datetime", "boolean")
COLUMN_KEYS = ("name", "key", "type", "required", "min", "max", "enum", "labels", "default",
               "pattern", "description")
DEFAULT_MAX_ROWS = 10_000
MAX_ROWS_LIMIT = 100_000
#: A refusal reports at most this many problems (and says how many there were).
MAX_PROBLEMS = 1000

_INT = re.compile(r"^[+-]?\d+(\.0*)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S",
                     "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")
_TRUE = {"true", "1", "yes", "y", "是", "对"}
_FALSE = {"false", "0", "no", "n", "否", "错"}


@dataclass(frozen=True)
class ImportColumn:
    name: str
    key: str
    type: str = "string"
    required: bool = False
    min: float | None = None
    max: float | None = None
    enum: tuple[Any, ...] | None = None
    labels: dict[str, Any] = field(default_factory=dict)
    default: Any = None
    pattern: str | None = None


@dataclass(frozen=True)
class ImportSpec:
    """What a query's ``import:`` says: the file widget, the columns, the row limit."""

    file: str
    columns: tuple[ImportColumn, ...]
    max_rows: int = DEFAULT_MAX_ROWS

    def public_json(self) -> dict[str, Any]:
        """What the browser needs: the widget holding the file."""
        return {"file": self.file}


@dataclass(frozen=True)
class ImportBody:
    """The body a data source receives for an import query (the SQL run once per row)."""

    sql: str
    spec: ImportSpec
    #: Binding sources of ``sql`` that read ``row``: evaluated per row by the data source.
    row_bindings: tuple[str, ...] = ()


@dataclass
class Checked:
    """The converted rows ``(line, {key: value})`` and every problem found."""

    rows: list[tuple[int, dict[str, Any]]]
    problems: list[dict[str, Any]]
    problem_count: int = 0


def reads_row(source: str) -> bool:
    """Whether the binding expression ``source`` reads ``row``."""
    try:
        return any(ref and ref[0] == ROW for ref in bindings.references(source))
    except bindings.BindingError:
        return False


def build_import(spec: dict[str, Any], sql: str) -> ImportBody:
    """The body of a *validated* import query."""
    columns = tuple(
        ImportColumn(name=str(c["name"]), key=str(c["key"]), type=c.get("type", "string"),
                     required=bool(c.get("required", False)), min=c.get("min"),
                     max=c.get("max"), enum=tuple(c["enum"]) if "enum" in c else None,
                     labels=dict(c.get("labels") or {}), default=c.get("default"),
                     pattern=c.get("pattern"))
        for c in spec["columns"])
    sources: list[str] = []
    for found in bindings.find_bindings(sql):
        source = found.source.strip()
        if reads_row(source) and source not in sources:
            sources.append(source)
    return ImportBody(sql=sql, spec=ImportSpec(file=str(spec["file"]), columns=columns,
                                               max_rows=int(spec.get("maxRows",
                                                                     DEFAULT_MAX_ROWS))),
                      row_bindings=tuple(sources))


def map_header(spec: ImportSpec, header: list[str]) -> dict[int, ImportColumn]:
    """File column index -> column; unknown, duplicate or missing required headers refuse."""
    by_name = {c.name: c for c in spec.columns}
    by_key = {c.key.lower(): c for c in spec.columns}
    mapped: dict[int, ImportColumn] = {}
    seen: dict[str, int] = {}
    expected = "、".join(c.name for c in spec.columns)
    for index, title in enumerate(header):
        if not title:
            continue
        column = by_name.get(title) or by_key.get(title.lower())
        if column is None:
            raise FileRefused(f"line 1: unknown column {title!r}; the columns are: {expected}")
        if column.key in seen:
            raise FileRefused(f"line 1: column {column.name!r} appears twice (columns "
                              f"{seen[column.key] + 1} and {index + 1})")
        seen[column.key] = index
        mapped[index] = column
    missing = [c.name for c in spec.columns if c.required and c.key not in seen]
    if missing:
        raise FileRefused(f"line 1: the file lacks the required column(s) "
                          f"{', '.join(missing)}; the columns are: {expected}")
    return mapped


def check_sheet(spec: ImportSpec, sheet: Sheet) -> Checked:
    """Convert and check every cell; the rows are usable only when there are no problems."""
    mapped = map_header(spec, sheet.header)
    absent = [c for c in spec.columns if c not in mapped.values()]
    out = Checked(rows=[], problems=[])
    for line, cells in sheet.rows:
        values: dict[str, Any] = {}
        for index, column in mapped.items():
            raw = cells[index] if index < len(cells) else None
            try:
                values[column.key] = convert(column, raw)
            except CellProblem as problem:
                out.problem_count += 1
                if len(out.problems) < MAX_PROBLEMS:
                    out.problems.append({"line": line, "column": column.name,
                                         "value": _shown(raw), "reason": problem.reason,
                                         "code": problem.code})
        for column in absent:
            values[column.key] = column.default
        out.rows.append((line, values))
    return out


class CellProblem(Exception):
    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def _shown(raw: Any) -> Any:
    if raw is None or isinstance(raw, bool | int | float | str):
        return raw
    return raw.isoformat(sep=" ") if isinstance(raw, datetime) else str(raw)


def _as_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # Excel stores 13800138000 as a float
    if isinstance(raw, datetime):
        return raw.isoformat(sep=" ")
    return str(raw).strip()


def convert(column: ImportColumn, raw: Any) -> Any:
    """The stored value of one cell, or :class:`CellProblem`."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if column.required:
            raise CellProblem("required: the cell is empty", "required")
        return column.default
    if column.labels:
        text = _as_text(raw)
        if text in column.labels:
            raw = column.labels[text]
        elif column.enum is None and text not in {str(v) for v in column.labels.values()}:
            allowed = "、".join(column.labels)
            raise CellProblem(f"not one of {allowed}", "enum")
    value = _TYPES[column.type](raw)
    if column.enum is not None and value not in column.enum:
        allowed = "、".join(str(v) for v in (column.labels or column.enum))
        raise CellProblem(f"not one of {allowed}", "enum")
    _check_range(column, value)
    if column.pattern is not None and isinstance(value, str) \
            and re.fullmatch(column.pattern, value) is None:
        raise CellProblem(f"does not match the pattern {column.pattern}", "pattern")
    return value


def _check_range(column: ImportColumn, value: Any) -> None:
    if isinstance(value, str):
        size, unit = len(value), " characters"
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        size, unit = value, ""
    else:
        return
    if column.min is not None and size < column.min:
        what = "too short: at least" if unit else "too small: at least"
        raise CellProblem(f"{what} {_num(column.min)}{unit}", "min")
    if column.max is not None and size > column.max:
        what = "too long: at most" if unit else "too large: at most"
        raise CellProblem(f"{what} {_num(column.max)}{unit}", "max")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _string(raw: Any) -> str:
    return _as_text(raw)


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise CellProblem("not a whole number", "type")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = _as_text(raw)
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if _INT.match(text):
        return int(text.split(".")[0])
    raise CellProblem("not a whole number", "type")


def _decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise CellProblem("not a number", "type")
    if isinstance(raw, int | float):
        return Decimal(str(raw))
    text = _as_text(raw).lstrip("¥￥$").strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellProblem("not a number", "type") from None
    if not value.is_finite():
        raise CellProblem("not a number", "type")
    return value


def _datetime(raw: Any) -> datetime:
    if isinstance(raw, datetime):
        return raw.replace(microsecond=0)
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day)
    text = _as_text(raw)
    for fmt in (*_DATETIME_FORMATS, *_DATE_FORMATS):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise CellProblem("not a date and time (e.g. 2024-05-31 14:30)", "type")


def _date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = _as_text(raw)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellProblem("not a date (e.g. 2024-05-31)", "type")


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _as_text(raw).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellProblem("not yes/no (true, false, 1, 0, 是, 否)", "type")


_TYPES = {"string": _string, "integer": _integer, "decimal": _decimal, "date": _date,
          "datetime": _datetime, "boolean": _boolean}
