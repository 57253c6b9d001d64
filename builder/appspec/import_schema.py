"""JSON Schema of a query's ``import:`` (see ``builder/imports.py`` and ``import_checks.py``)."""

from __future__ import annotations

from typing import Any

from builder.imports import COLUMN_TYPES, DEFAULT_MAX_ROWS, MAX_ROWS_LIMIT

Schema = dict[str, Any]
_SCALAR = {"type": ["string", "number", "boolean", "null"]}


def import_schema() -> Schema:
    """``import:``: the file widget, the columns of the file, the row limit."""
    column = {
        "type": "object",
        "required": ["name", "key"],
        "additionalProperties": False,
        "description": "A column of the file",
        "properties": {
            "name": {"type": "string", "minLength": 1,
                     "description": "Its header in the file (the key is accepted too)"},
            "key": {"$ref": "#/$defs/name", "description": "The SQL reads it as <<row.KEY>>"},
            "type": {"enum": list(COLUMN_TYPES), "default": "string",
                     "description": "What a cell must hold; it is converted before binding"},
            "required": {"type": "boolean", "default": False,
                         "description": "An empty cell is a problem (and the header must be "
                                        "there)"},
            "min": {"type": "number", "description": "Smallest number, or shortest text"},
            "max": {"type": "number", "description": "Largest number, or longest text"},
            "enum": {"type": "array", "minItems": 1, "items": _SCALAR,
                     "description": "The values allowed (after labels are applied)"},
            "labels": {"type": "object", "additionalProperties": _SCALAR,
                       "description": "What people write -> the stored value, e.g. "
                                      "{待付款: pending_payment}"},
            "default": {**_SCALAR, "description": "Value of an empty cell or a missing column"},
            "pattern": {"type": "string", "description": "Regular expression a text must "
                                                        "match entirely"},
            "description": {"type": "string"},
        },
    }
    return {
        "type": "object",
        "required": ["file", "columns"],
        "additionalProperties": False,
        "description": "Import an uploaded CSV/.xlsx file: every row is checked, then the sql "
                       "runs once per row (<<row.KEY>>) in one transaction — or nothing is "
                       "written",
        "properties": {
            "file": {"$ref": "#/$defs/name", "description": "The fileinput widget"},
            "columns": {"type": "array", "minItems": 1, "items": column},
            "maxRows": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS_LIMIT,
                        "default": DEFAULT_MAX_ROWS,
                        "description": "A file with more rows is refused"},
        },
    }
