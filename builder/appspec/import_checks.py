"""The ``import:`` of a query (bulk import of an uploaded file): its schema and its checks.

JSON Schema gives the shape (``import_schema.py``); what it cannot express is checked here:

* ``import.file`` names a ``fileinput`` widget;
* column keys and names are unique, ``min``/``max`` only on text and numbers, ``min <= max``,
  ``pattern`` compiles and only on text, ``labels``/``enum``/``default`` fit together;
* the query has an INSERT-like ``sql`` and no ``runOnLoad``/``expectRows``;
* ``<<row.KEY>>`` names a column key, and a binding that reads ``row`` reads nothing else;
  ``row`` means nothing in a query without ``import``.

The other bindings of the SQL are checked like any query binding by ``semantic.py``, which asks
:func:`claims_row_ref` first.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from builder.appspec.problems import DocPath, did_you_mean
from builder.appspec.scan import Ref
from builder.imports import ROW

if TYPE_CHECKING:
    from builder.appspec.semantic import _Checker

def check_import(checker: _Checker, path: DocPath, query: dict[str, Any]) -> None:
    spec = query.get("import")
    if not isinstance(spec, dict):
        return
    at = (*path, "import")
    file = spec.get("file")
    if isinstance(file, str):
        entry = checker.widgets.get(file)
        if entry is None:
            checker.add((*at, "file"), f"unknown widget '{file}'"
                        f"{did_you_mean(file, checker.widgets)}: import.file names a fileinput")
        elif entry[1] is not None and entry[1].type != "fileinput":
            checker.add((*at, "file"), f"'{file}' is {entry[1].type}, not a fileinput")
    for key in ("runOnLoad", "expectRows"):
        if key in query:
            checker.add((*path, key), f"an import query cannot have {key}: it runs when a "
                                      "file is uploaded, once per row", key=True)
    columns = spec.get("columns")
    if isinstance(columns, list):
        _check_columns(checker, (*at, "columns"), columns)


def _check_columns(checker: _Checker, path: DocPath, columns: list[Any]) -> None:
    keys: dict[str, int] = {}
    names: dict[str, int] = {}
    for i, column in enumerate(columns):
        if not isinstance(column, dict):
            continue
        for field, seen in (("key", keys), ("name", names)):
            value = column.get(field)
            if isinstance(value, str):
                if value in seen:
                    checker.add((*path, i, field), f"duplicate column {field} '{value}' "
                                                   f"(also column {seen[value] + 1})")
                seen.setdefault(value, i)
        kind = column.get("type", "string")
        for bound in ("min", "max"):
            if bound in column and kind not in ("string", "integer", "decimal"):
                checker.add((*path, i, bound), f"{bound} applies to string, integer and "
                                               f"decimal columns, not {kind}", key=True)
        low, high = column.get("min"), column.get("max")
        if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
            checker.add((*path, i, "max"), f"max ({high}) is smaller than min ({low})")
        pattern = column.get("pattern")
        if isinstance(pattern, str):
            if kind != "string":
                checker.add((*path, i, "pattern"), "pattern applies to string columns",
                            key=True)
            try:
                re.compile(pattern)
            except re.error as exc:
                checker.add((*path, i, "pattern"), f"not a valid regular expression: {exc}")
        labels, enum = column.get("labels"), column.get("enum")
        if isinstance(labels, dict) and isinstance(enum, list):
            stray = [str(v) for v in labels.values() if v not in enum]
            if stray:
                checker.add((*path, i, "labels"), f"labels give {', '.join(stray)}, which "
                                                  "enum does not allow")


def claims_row_ref(checker: _Checker, query: dict[str, Any], path: DocPath, source: str,
                   offset: int, ref: Ref, refs: list[Ref]) -> bool:
    """Check ``ref`` if it reads ``row`` in a query's SQL (True: handled here)."""
    from builder.appspec.semantic import _name_offset

    if ref[0] != ROW or ROW in checker.widgets:
        return False
    spec = query.get("import")
    if not isinstance(spec, dict):
        checker.add(path, f"<<{source}>>: row is known only in the sql of an import query "
                          "(import: {file, columns}), where it is the row being imported",
                    offset=offset + _name_offset(source, ref, 0))
        return True
    if not checker.reads_alone(path, source, offset, ref, refs):
        return True
    columns = spec.get("columns") if isinstance(spec.get("columns"), list) else []
    keys = [c["key"] for c in columns if isinstance(c, dict) and isinstance(c.get("key"), str)]
    key = ref[1] if len(ref) > 1 else None
    if not isinstance(key, str):
        checker.add(path, "read a column of the row by its key: <<row.KEY>>",
                    offset=offset + _name_offset(source, ref, 0))
    elif key not in keys:
        checker.add(path, f"unknown column key '{key}'{did_you_mean(key, keys)} (the "
                          f"columns: {', '.join(keys) or 'none'})",
                    offset=offset + _name_offset(source, ref, 1))
    return True
