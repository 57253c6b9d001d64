"""The JSON Schema (draft 2020-12) of the app format, generated from the widget registry.

Widgets are discriminated by ``type`` with one ``if``/``then`` per type inside ``allOf`` (not a
``oneOf``), so a mistake in one widget yields that type's error rather than one per widget type.
Bindable properties accept their literal schema or a ``<<binding>>``. The generated file
``app.schema.json`` is committed so editors can autocomplete app files; a test keeps it current.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from builder.appspec.import_schema import import_schema
from builder.appspec.migrations import CURRENT_FORMAT
from builder.registry import Registry
from widgets.base import BINDABLE, Schema, WidgetType

SCHEMA_PATH = Path(__file__).with_name("app.schema.json")

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
SLUG = r"^[a-z0-9][a-z0-9-]*$"
PAGE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
BINDING = r"^\s*<<[\s\S]*>>\s*$"
GRID_COLUMNS = 12

#: What a binding may read from a query, in the browser.
QUERY_PROPERTIES = ("data", "error", "errorCode", "isLoading", "rowcount", "total", "columns",
                    "truncated", "durationMs")
#: Keys every query may have, whatever its body.
QUERY_COMMON_KEYS = ("datasource", "description", "runOnLoad", "expectRows", "timeout", "maxRows")
#: A document query (MongoDB): a collection, exactly one operation, and options for ``find``.
DOCUMENT_OPERATIONS = ("find", "findOne", "aggregate", "count", "distinct", "insertOne",
                       "insertMany", "updateOne", "updateMany", "deleteOne", "deleteMany")
DOCUMENT_OPTIONS = ("projection", "sort", "limit", "skip")
DOCUMENT_KEYS = ("collection", *DOCUMENT_OPERATIONS, *DOCUMENT_OPTIONS)
#: The verbs of an action; each action object has exactly one of them.
ACTION_KEYS = ("run", "refresh", "toast", "copy", "set", "reset", "navigate", "open", "export")
#: Types a page parameter may declare (``pages[].params.<name>.type``).
PARAM_TYPES = ("string", "integer", "number", "boolean", "date")


def _ref(name: str, description: str | None = None) -> Schema:
    schema: Schema = {"$ref": f"#/$defs/{name}"}
    if description:
        schema["description"] = description
    return schema


def accepts_string(schema: Schema) -> bool:
    kind = schema.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def property_schema(schema: Schema) -> Schema:
    """A widget property's schema; a bindable non-string property also accepts a binding."""
    schema = copy.deepcopy(schema)
    if not schema.get(BINDABLE) or accepts_string(schema):
        return schema
    meta = {k: schema.pop(k) for k in ("description", "default", "title", BINDABLE) if k in schema}
    return {**meta, "anyOf": [schema, _ref("binding")]}


def widget_schema(widget: WidgetType) -> Schema:
    """The ``then`` branch for one widget type: every key it may have, nothing else."""
    properties: dict[str, Schema] = {
        "name": _ref("name"),
        "type": {"const": widget.type},
        "at": _ref("at"),
        "visible": _ref("visible"),
    }
    for key, schema in widget.properties.items():
        properties[key] = property_schema(schema)
    result: Schema = {
        "type": "object",
        "title": widget.title,
        "description": widget.description,
        "properties": properties,
        "additionalProperties": False,
    }
    if widget.required:
        result["required"] = list(widget.required)
    return result


def _widget(types: dict[str, WidgetType]) -> Schema:
    return {
        "type": "object",
        "description": "A widget on the page's 12-column grid. Its other keys depend on its type.",
        "required": ["name", "type", "at"],
        "properties": {
            "name": _ref("name", "Unique in the app; bindings read it as <<name.value>>"),
            "type": {"enum": sorted(types), "description": "The widget type"},
            "at": _ref("at"),
            "visible": _ref("visible"),
        },
        "allOf": [
            {"if": {"type": "object", "properties": {"type": {"const": name}},
                    "required": ["type"]},
             "then": _ref(f"widget.{name}")}
            for name in sorted(types)
        ],
    }


def _actions() -> dict[str, Schema]:
    actions_ref = _ref("actions")
    text = {"type": "string", "description": "Text; may contain <<bindings>>"}
    variants: dict[str, tuple[str, Schema, dict[str, Schema], list[str]]] = {
        "run": ("Run a query; then the onSuccess or onError actions",
                _ref("name", "Query name"),
                {"onSuccess": {**actions_ref, "description": "Runs when the query succeeds"},
                 "onError": {**actions_ref, "description": "Runs when the query fails"}}, []),
        "refresh": ("Run a query again (a table keeps its page and sort)",
                    _ref("name", "Query name"), {}, []),
        "toast": ("Show a short message", text,
                  {"kind": {"enum": ["info", "success", "error"], "default": "info"}}, []),
        "copy": ("Copy text to the clipboard", text, {}, []),
        "set": ("Set a widget's state", {
            "type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$",
            "errorMessage": "set takes 'widget.property', e.g. 'shippingCompany.value'",
            "description": "'widget.property', e.g. shippingCompany.value"},
            {"to": {"description": "The new value: a literal or a <<binding>>"}}, ["to"]),
        "reset": ("Reset widgets to their initial values", {
            "anyOf": [_ref("name"), {"type": "array", "items": _ref("name"), "minItems": 1}],
            "description": "A widget name or a list of them"}, {}, []),
        "navigate": ("Go to another page of the app", _ref("pageName", "Page name"),
                     {"params": {"type": "object", "description": "Values the page reads as "
                                 "<<page.params.name>>; may be <<bindings>>",
                                 "additionalProperties": {
                                     "type": ["string", "number", "boolean", "null"]}}}, []),
        "open": ("Open a URL in a new tab", {"type": "string", "description": "URL; may contain "
                                             "<<bindings>>"}, {}, []),
        "export": ("Download the whole result of a query as a file (with the table's sort and "
                   "filter)", _ref("name", "Query name"),
                   {"format": {"enum": ["csv"], "default": "csv"},
                    "filename": {**text, "description": "Name of the downloaded file; may "
                                                        "contain <<bindings>>"},
                    "onSuccess": {**actions_ref, "description": "Runs after the download"},
                    "onError": {**actions_ref, "description": "Runs when the export fails"}},
                   []),
    }
    defs: dict[str, Schema] = {
        "actions": {"type": "array", "items": _ref("action"),
                    "description": "Actions run one after the other; a button stays disabled "
                                   "while they run"},
        "action": {
            "type": "object",
            "description": "One action: exactly one of " + ", ".join(ACTION_KEYS),
            "properties": {key: {"description": v[0]} for key, v in variants.items()},
            "anyOf": [{"required": [key]} for key in ACTION_KEYS],
            "allOf": [{"if": {"type": "object", "required": [key]},
                       "then": _ref(f"action.{key}")}
                      for key in ACTION_KEYS],
        },
    }
    for key, (description, value, extra, required) in variants.items():
        defs[f"action.{key}"] = {
            "type": "object",
            "description": description,
            "properties": {key: {**value, "description": value.get("description", description)},
                           **extra},
            "required": [key, *required],
            "additionalProperties": False,
        }
    return defs


def _query() -> Schema:
    obj = {"type": "object"}
    binding_or = {"anyOf": [{"type": "integer", "minimum": 0}, _ref("binding")]}
    update = {"type": "object", "required": ["filter", "update"], "additionalProperties": False,
              "properties": {
                  "filter": {**obj, "description": "Which documents (a filter document)"},
                  "update": {"type": ["object", "array"],
                             "description": "Update operators ({$set: {...}}) or a pipeline"},
                  "upsert": {"type": "boolean", "default": False,
                             "description": "Insert a document when none matches"}}}
    document_ops: dict[str, Schema] = {
        "find": {**obj, "description": "Filter document: rows = matching documents (a table "
                                       "pages, sorts and filters them on the server)"},
        "findOne": {**obj, "description": "Filter document: the first match"},
        "aggregate": {"type": "array", "items": obj,
                      "description": "Aggregation pipeline: rows = its output"},
        "count": {**obj, "description": "Filter document: rows = [{count}], rowcount = matches"},
        "distinct": {"type": "object", "required": ["key"], "additionalProperties": False,
                     "description": "rows = [{value}], one per distinct value of key",
                     "properties": {"key": {"type": "string", "description": "A field path"},
                                    "filter": obj}},
        "insertOne": {**obj, "description": "The document to insert"},
        "insertMany": {"type": "array", "items": obj, "description": "The documents to insert"},
        "updateOne": {**update, "description": "Update the first match; expectRows counts "
                                               "matched documents"},
        "updateMany": {**update, "description": "Update every match; expectRows counts matched "
                                                "documents"},
        "deleteOne": {**obj, "description": "Filter document: delete the first match"},
        "deleteMany": {**obj, "description": "Filter document: delete every match"},
    }
    return {
        "type": "object",
        "description": "A named query. Its <<bindings>> become driver parameters, never text.",
        "required": ["datasource"],
        "additionalProperties": False,
        "dependentRequired": {"import": ["sql"]},
        "properties": {
            "datasource": {"type": "string", "minLength": 1,
                           "description": "Name of a data source registered by an admin "
                                          "(credentials never go in app files)"},
            "description": {"type": "string"},
            "sql": {"type": "string", "minLength": 1,
                    "description": "SQL; each <<expr>> becomes a bound parameter"},
            "transaction": _transaction(),
            "import": import_schema(),
            "collection": {"type": "string", "minLength": 1,
                           "description": "Collection of a document query (MongoDB)"},
            **document_ops,
            "projection": obj, "sort": obj,
            "limit": binding_or, "skip": binding_or,
            "runOnLoad": {"type": "boolean", "default": False,
                          "description": "Run when the page opens"},
            "expectRows": {"type": "integer", "minimum": 0,
                           "description": "Roll back and fail unless exactly this many rows "
                                          "change"},
            "timeout": {"type": "number", "exclusiveMinimum": 0,
                        "description": "Seconds before the statement is cancelled"},
            "maxRows": {"type": "integer", "minimum": 1,
                        "description": "At most this many rows are returned (truncated: true)"},
        },
        "oneOf": [
            {"title": "SQL query", "required": ["sql"],
             "not": {"anyOf": [{"required": [k]} for k in ("transaction", *DOCUMENT_KEYS)]}},
            {"title": "SQL transaction", "required": ["transaction"],
             "not": {"anyOf": [{"required": [k]} for k in ("sql", "expectRows",
                                                            *DOCUMENT_KEYS)]}},
            {"title": "Document query", "required": ["collection"],
             "not": {"anyOf": [{"required": ["sql"]}, {"required": ["transaction"]}]},
             "oneOf": [{"required": [op]} for op in DOCUMENT_OPERATIONS]},
        ],
    }


def _transaction() -> Schema:
    """``transaction:``: SQL statements run in order in one transaction (all or nothing)."""
    step = {
        "type": "object",
        "description": "One SQL statement of the transaction",
        "required": ["sql"],
        "additionalProperties": False,
        "properties": {
            "name": _ref("name", "Later steps read <<steps.NAME.lastId>>, .rowcount, .row "
                                 "and .rows"),
            "sql": {"type": "string", "minLength": 1,
                    "description": "One SQL statement; each <<expr>> becomes a bound parameter"},
            "expectRows": {"type": "integer", "minimum": 0,
                           "description": "Roll back the whole transaction and fail unless "
                                          "exactly this many rows change (or are returned)"},
            "message": {"type": "string", "minLength": 1,
                        "description": "Shown to the user when expectRows fails, e.g. "
                                       "'not enough stock'"},
        },
    }
    return {"type": "array", "minItems": 1, "items": step,
            "description": "SQL statements run in order in one transaction: any failure "
                           "(expectRows, a database error, the time limit) rolls back all"}


def build_schema(widgets: Registry[WidgetType]) -> dict[str, Any]:
    """The JSON Schema of a whole app file for the widget types in ``widgets``."""
    types = widgets.all()
    defs: dict[str, Schema] = {
        "name": {"type": "string", "pattern": IDENTIFIER,
                 "errorMessage": "a name is letters, digits and _, not starting with a digit",
                 "description": "An identifier: letters, digits and _"},
        "pageName": {"type": "string", "pattern": PAGE_NAME,
                     "errorMessage": "a page name is letters, digits, _ and -",
                     "description": "A page name (part of the URL)"},
        "binding": {"type": "string", "pattern": BINDING,
                    "description": "A <<binding>> evaluated at runtime, e.g. "
                                   "<<ordersTable.selectedRow.id>>"},
        "at": {
            "type": "array",
            "description": f"[x, y, w, h] on the {GRID_COLUMNS}-column grid (x + w <= "
                           f"{GRID_COLUMNS})",
            "prefixItems": [
                {"type": "integer", "minimum": 0, "maximum": GRID_COLUMNS - 1,
                 "description": "column, 0-11"},
                {"type": "integer", "minimum": 0, "description": "row"},
                {"type": "integer", "minimum": 1, "maximum": GRID_COLUMNS,
                 "description": "width in columns"},
                {"type": "integer", "minimum": 1, "description": "height in rows"},
            ],
            "minItems": 4,
            "items": False,
        },
        "visible": {"anyOf": [{"type": "boolean"}, _ref("binding")], "default": True,
                    BINDABLE: True, "description": "Show the widget (may be a <<binding>>)"},
        "page": {
            "type": "object",
            "required": ["name", "widgets"],
            "additionalProperties": False,
            "properties": {
                "name": _ref("pageName"),
                "title": {"type": "string", "description": "Shown in the page header"},
                "params": {
                    "type": "object",
                    "description": "Parameters the page takes from `navigate` and its URL "
                                   "(/apps/<app>/<page>?id=42); bindings read "
                                   "<<page.params.name>>",
                    "propertyNames": _ref("name"),
                    "additionalProperties": _ref("pageParam"),
                },
                "widgets": {"type": "array", "items": _ref("widget")},
            },
        },
        "pageParam": {
            "type": "object",
            "required": ["type"],
            "additionalProperties": False,
            "description": "A page parameter: its type, checked by the server before a query "
                           "binds it",
            "properties": {
                "type": {"enum": list(PARAM_TYPES),
                         "description": "string, integer, number, boolean or date (YYYY-MM-DD)"},
                "required": {"type": "boolean", "default": False,
                             "description": "navigate must give it; a query refuses to run "
                                            "without it"},
                "description": {"type": "string"},
            },
        },
        "widget": _widget(types),
        "query": _query(),
        **_actions(),
    }
    for name, widget in types.items():
        defs[f"widget.{name}"] = widget_schema(widget)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Toolcrib app",
        "description": "An app definition: pages of widgets and named queries. "
                       "See docs/app-format.md.",
        "type": "object",
        "required": ["format", "app", "pages"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": CURRENT_FORMAT,
                       "description": "Version of the app format; older files are migrated"},
            "app": {"type": "string", "pattern": SLUG,
                    "errorMessage": "an app slug is lowercase letters, digits and -",
                    "description": "The app's slug: its URL is /apps/<app>"},
            "title": {"type": "string", "description": "Shown in the header and the app list"},
            "description": {"type": "string"},
            "pages": {"type": "array", "minItems": 1, "items": _ref("page")},
            "queries": {
                "type": "object",
                "description": "Named queries; widgets read <<name.data>>",
                "propertyNames": _ref("name"),
                "additionalProperties": _ref("query"),
            },
        },
        "$defs": defs,
    }


def write_schema(path: str | Path | None = None,
                 widgets: Registry[WidgetType] | None = None) -> Path:
    """Write the schema as JSON (sorted keys, indent 2, trailing newline); returns the path."""
    if widgets is None:
        from widgets import build_registry

        widgets = build_registry()
    target = Path(path) if path is not None else SCHEMA_PATH
    text = json.dumps(build_schema(widgets), indent=2, sort_keys=True, ensure_ascii=False)
    target.write_text(text + "\n", encoding="utf-8")
    return target
