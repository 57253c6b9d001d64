"""Page parameters a query reads (``<<page.params.id>>``), checked before they are bound.

The browser sends them in the run body as ``state.page = {"name": "detail", "params": {"id":
42}}``: the page it shows and that page's parameters (it converts the URL's text to the
declared types). Here the page must exist and declare each parameter the query reads, each
value must have the declared type (the text ``"42"`` is not an integer) and a required one
must be given. Parameters the query does not read are never looked at.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from builder.appspec.model import AppSpec, ParamSpec, QuerySpec
from datasources.base import QueryInputError

_ARTICLES = {"integer": "an integer", "number": "a number", "string": "text",
             "boolean": "true or false", "date": "a date (YYYY-MM-DD)"}


def page_scope(spec: AppSpec, query: QuerySpec, state: dict[str, Any]) -> dict[str, Any]:
    """``{"name": ..., "params": {...}}`` holding the checked parameters the query reads."""
    wanted = ", ".join(f"<<page.params.{n}>>" for n in query.page_params)
    sent = state.get("page")
    if not isinstance(sent, dict) or not isinstance(sent.get("name"), str):
        raise QueryInputError(f"this query reads {wanted}: send state.page = "
                              '{"name": <page>, "params": {...}}')
    page = spec.page(sent["name"])
    if page is None:
        raise QueryInputError(f"app {spec.slug!r} has no page named {sent['name']!r}")
    params = sent.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise QueryInputError('"state.page.params" must be an object')
    checked: dict[str, Any] = {}
    for name in query.page_params:
        declared = page.params.get(name)
        if declared is None:
            raise QueryInputError(f"page {page.name!r} has no parameter {name!r}, which this "
                                  "query reads: open the query from a page that declares it")
        checked[name] = check_param(page.name, declared, params.get(name))
    return {"name": page.name, "params": checked}


def check_param(page: str, declared: ParamSpec, value: Any) -> Any:
    """The value if it has the declared type; a readable 400 (QueryInputError) if not."""
    if value is None or (isinstance(value, str) and value == "" and declared.type != "string"):
        if declared.required:
            raise QueryInputError(f"page parameter {declared.name!r} of page {page!r} is "
                                  "required")
        return None
    if not _has_type(declared.type, value):
        raise QueryInputError(f"page parameter {declared.name!r} must be "
                              f"{_ARTICLES[declared.type]}, not {_describe(value)}")
    return int(value) if declared.type == "integer" else value


def _has_type(kind: str, value: Any) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float)
    if kind == "date":
        return isinstance(value, str) and _is_iso_date(value)
    return isinstance(value, str)


def _is_iso_date(text: str) -> bool:
    if len(text) != 10:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _describe(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f"the text {shown!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"a {type(value).__name__}"
