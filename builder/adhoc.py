"""Queries the editor runs before they are published: ad hoc (one query object) and preview
(a named query of a draft app).

Only developers and admins reach these (the blueprint checks), and they may write any SQL
anyway, so the draft text comes from the request. Everything else is as strict as a published
run: values are bound as driver parameters, server-side names are filled by the server, the data
source's allowlist, statement timeout, row cap and read-only mode apply, and every run is audited
with its query text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from builder import bindings
from builder.appspec.model import QuerySpec, build_query
from builder.appspec.schema import build_schema
from builder.config import Settings
from builder.query_runner import evaluate_values
from builder.registry import Registry
from datasources.base import Limits, QueryInputError, QueryRequest
from widgets.base import WidgetType

#: Rows an ad-hoc run shows at most (the editor previews; it does not export).
ADHOC_MAX_ROWS = 200

_validators: dict[int, Draft202012Validator] = {}


def _query_validator(widgets: Registry[WidgetType]) -> Draft202012Validator:
    key = id(widgets)
    if key not in _validators:
        defs = build_schema(widgets)["$defs"]
        _validators[key] = Draft202012Validator({"$defs": defs, "$ref": "#/$defs/query"})
    return _validators[key]


def check_query(query: Any, widgets: Registry[WidgetType]) -> dict[str, Any]:
    """The query object as an app file would hold it; QueryInputError when it is not one."""
    if not isinstance(query, dict):
        raise QueryInputError('"query" must be an object like {"datasource": ..., "sql": ...}')
    if not isinstance(query.get("datasource"), str) or not query["datasource"]:
        raise QueryInputError("pick a data source for the query")
    if "sql" in query and (not isinstance(query["sql"], str) or not query["sql"].strip()):
        raise QueryInputError("the query's SQL is empty")
    error = best_match(_query_validator(widgets).iter_errors(query))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path)
        raise QueryInputError(f"the query is not valid{f' at {where}' if where else ''}: "
                              f"{error.message}")
    for text in _strings(query):
        try:
            for found in bindings.find_bindings(text):
                bindings.parse(found.source)
        except bindings.BindingError as exc:
            raise QueryInputError(f"binding syntax error: {exc}") from None
    return query


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def adhoc_request(query_doc: Any, state: Any, *, widgets: Registry[WidgetType],
                  settings: Settings, user: dict[str, Any]) -> tuple[QuerySpec, QueryRequest]:
    """Check the query object, evaluate its bindings against ``state`` (the editor's values of
    widget properties) and give the request to hand to its data source."""
    query = build_query("adhoc", check_query(query_doc, widgets))
    if not isinstance(state, dict) or not all(isinstance(v, dict) for v in state.values()):
        raise QueryInputError('"state" must map widget names to objects of property values')
    scope: dict[str, Any] = {}
    for widget, prop in query.refs:
        values = state.get(widget)
        if values is None or prop not in values:
            raise QueryInputError(f"<<{widget}.{prop}>> has no value in the editor: add the "
                                  f"widget '{widget}' or set a test value for it")
        scope.setdefault(widget, {})[prop] = values[prop]
    # Filled here whatever the request says, as for a published run.
    scope["current_user"] = user
    scope["now"] = datetime.now(UTC).isoformat(timespec="seconds")
    limits = Limits(timeout_s=query.timeout_s or settings.query_timeout_s,
                    max_rows=min(query.max_rows or settings.max_rows, ADHOC_MAX_ROWS))
    return query, QueryRequest(body=query.body, values=evaluate_values(query, scope),
                               limits=limits, expect_rows=query.expect_rows)
