"""Run a named query of a published app with the widget state a browser sent.

Everything the browser sends is checked here: only the (widget, property) pairs the query reads are
taken from ``state``, each is validated against the widget type's state schema, required fields must
be filled, server-side names (``current_user``, ``now``) are filled by the server whatever the
request says, and only then are the query's bindings evaluated into driver parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jsonschema import Draft202012Validator

from builder.appspec.model import AppSpec, QuerySpec
from builder.bindings import BindingError, evaluate
from builder.config import Settings
from builder.page_params import page_scope
from builder.registry import Registry
from datasources.base import (
    FILTER_OPS,
    MAX_PAGE_SIZE,
    FilterClause,
    Limits,
    PageRequest,
    QueryError,
    QueryInputError,
    QueryRequest,
    SortKey,
)
from widgets.base import WidgetType

SCALARS = (str, int, float, bool, type(None))


class NotFound(QueryError):
    status = 404
    code = "not_found"


@dataclass(frozen=True)
class RunInput:
    state: dict[str, Any]
    page: PageRequest | None
    rows_as_arrays: bool = False


def parse_run_body(body: Any) -> RunInput:
    """Check the shape of ``{"state": {...}, "page": {...}, "rowFormat": "arrays"}``."""
    if not isinstance(body, dict):
        raise QueryInputError("the request body must be a JSON object")
    state = body.get("state", {})
    if not isinstance(state, dict) or not all(isinstance(v, dict) for v in state.values()):
        raise QueryInputError('"state" must map widget names to objects of property values')
    page = body.get("page")
    row_format = body.get("rowFormat", "objects")
    if row_format not in ("objects", "arrays"):
        raise QueryInputError('"rowFormat" must be "objects" or "arrays"')
    return RunInput(state=state, page=None if page is None else _parse_page(page),
                    rows_as_arrays=row_format == "arrays")


def _parse_page(page: Any) -> PageRequest:
    if not isinstance(page, dict):
        raise QueryInputError('"page" must be an object')
    size, number = page.get("size", 20), page.get("number", 1)
    if not _is_int(size) or not 1 <= size <= MAX_PAGE_SIZE:
        raise QueryInputError(f'"page.size" must be a whole number from 1 to {MAX_PAGE_SIZE}')
    if not _is_int(number) or number < 1:
        raise QueryInputError('"page.number" must be a whole number from 1')
    hint = page.get("totalHint")
    if hint is not None and (not _is_int(hint) or hint < 0):
        raise QueryInputError('"page.totalHint" must be a whole number from 0')
    key = page.get("key")
    if key is not None and not isinstance(key, str):
        raise QueryInputError('"page.key" must be a column name')
    return PageRequest(
        size=size,
        number=number,
        sort=tuple(_parse_sort(s) for s in _as_list(page.get("sort"), "page.sort")),
        filter=tuple(_parse_filter(f) for f in _as_list(page.get("filter"), "page.filter")),
        want_total=page.get("total", True) is not False,
        total_hint=hint,
        key=key or None,
    )


def _parse_sort(item: Any) -> SortKey:
    if not isinstance(item, dict) or not isinstance(item.get("column"), str):
        raise QueryInputError('each "page.sort" entry needs a "column" name')
    direction = item.get("dir", "asc")
    if direction not in ("asc", "desc"):
        raise QueryInputError('"page.sort[].dir" must be "asc" or "desc"')
    return SortKey(column=item["column"], descending=direction == "desc")


def _parse_filter(item: Any) -> FilterClause:
    if not isinstance(item, dict) or not isinstance(item.get("column"), str):
        raise QueryInputError('each "page.filter" entry needs a "column" name')
    op = item.get("op", "=")
    if op not in FILTER_OPS:
        raise QueryInputError(f"unknown filter operator {op!r}; use one of {', '.join(FILTER_OPS)}")
    value = item.get("value")
    if not (isinstance(value, SCALARS) or (op == "in" and isinstance(value, list)
                                           and all(isinstance(v, SCALARS) for v in value))):
        raise QueryInputError(f"the filter value for {item['column']!r} must be a plain value")
    return FilterClause(column=item["column"], op=op, value=value)


def _as_list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise QueryInputError(f'"{name}" must be a list')
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_VALIDATORS: dict[tuple[str, str], Draft202012Validator] = {}


def _check_state_value(widget_type: WidgetType, ref: str, prop: str, value: Any) -> None:
    schema = widget_type.state.get(prop)
    if schema is None:
        raise QueryInputError(f"{ref} is not a value a {widget_type.type} widget sends")
    key = (widget_type.type, prop)
    validator = _VALIDATORS.get(key) or _VALIDATORS.setdefault(key, Draft202012Validator(schema))
    error = next(iter(validator.iter_errors(value)), None)
    if error is not None:
        raise QueryInputError(f"{ref} has the wrong type: {error.message}")


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def build_scope(
    spec: AppSpec,
    query: QuerySpec,
    state: dict[str, Any],
    widgets: Registry[WidgetType],
    user: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The names the query's bindings may read, from checked state plus server-side names."""
    scope: dict[str, Any] = {}
    for widget_name, prop in query.refs:
        ref = f"{widget_name}.{prop}"
        widget = spec.widget(widget_name)
        sent = state.get(widget_name, {})
        if prop not in sent:
            raise QueryInputError(f"missing value for {ref}: send it in state.{widget_name}")
        value = sent[prop]
        _check_state_value(widgets.get(widget.type), ref, prop, value)
        if widget.props.get("required") is True and _is_empty(value):
            label = widget.props.get("label")
            shown = label if isinstance(label, str) and "<<" not in label else widget_name
            raise QueryInputError(f"{shown} is required")
        scope.setdefault(widget_name, {})[prop] = value
    if query.page_params:
        scope["page"] = page_scope(spec, query, state)
    scope["current_user"] = user or {"id": None, "username": None, "email": None, "roles": []}
    scope["now"] = datetime.now(UTC).isoformat(timespec="seconds")
    return scope


def evaluate_values(query: QuerySpec, scope: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for source in query.bindings:
        try:
            value = evaluate(source, scope)
        except BindingError as exc:
            raise QueryInputError(f"cannot evaluate <<{source}>>: {exc}") from None
        if query.kind == "sql" and not _is_sql_value(value):
            raise QueryInputError(
                f"<<{source}>> is {type(value).__name__}: SQL parameters must be text, numbers, "
                "booleans, null or a list of those"
            )
        values[source] = value
    return values


def _is_sql_value(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(isinstance(v, SCALARS) for v in value)
    return isinstance(value, SCALARS)


def prepare_request(spec: AppSpec, query_name: str, run: RunInput, *,
                    widgets: Registry[WidgetType], settings: Settings,
                    user: dict[str, Any] | None = None) -> tuple[QuerySpec, QueryRequest]:
    query = spec.queries.get(query_name)
    if query is None:
        raise NotFound(f"app {spec.slug!r} has no query named {query_name!r}")
    scope = build_scope(spec, query, run.state, widgets, user)
    limits = Limits(
        timeout_s=query.timeout_s or settings.query_timeout_s,
        max_rows=query.max_rows or settings.max_rows,
    )
    request = QueryRequest(
        body=query.body,
        values=evaluate_values(query, scope),
        page=run.page,
        limits=limits,
        expect_rows=query.expect_rows,
        rows_as_arrays=run.rows_as_arrays,
    )
    return query, request
