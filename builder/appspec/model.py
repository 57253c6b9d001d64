"""The loaded app as frozen dataclasses, built from a validated (and migrated) document."""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, TypeVar, cast

from builder import bindings
from builder.appspec.scan import analyze_query, page_params_read, query_body, query_kind
from builder.imports import ImportBody
from builder.transactions import SQLTransaction

WIDGET_KEYS = ("name", "type", "at")
_T = TypeVar("_T")


@dataclass(frozen=True)
class WidgetSpec:
    name: str
    type: str
    at: tuple[int, int, int, int]
    #: Every key but name/type/at, as written (bindings stay ``<<...>>`` strings).
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParamSpec:
    """A declared page parameter (``pages[].params.<name>``)."""

    name: str
    type: str
    required: bool = False


@dataclass(frozen=True)
class PageSpec:
    name: str
    title: str
    widgets: list[WidgetSpec]
    #: Declared parameters by name (``<<page.params.id>>``); empty when the page takes none.
    params: dict[str, ParamSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class QuerySpec:
    name: str
    datasource: str
    kind: Literal["sql", "document"]
    #: SQL text, a document query, the steps of a ``transaction:`` (run in one transaction),
    #: or an ``import:`` (SQL run once per row of an uploaded file, in one transaction).
    body: str | dict[str, Any] | SQLTransaction | ImportBody
    run_on_load: bool
    expect_rows: int | None
    timeout_s: float | None
    max_rows: int | None
    #: Expression sources in the body (stripped), in order, without repeats: the keys of
    #: ``QueryRequest.values``.
    bindings: list[str]
    #: (widget, state property) pairs the bindings read: what the browser must send.
    refs: list[tuple[str, str]]
    #: Server-side names read, e.g. ``current_user.email``, ``now``.
    server_refs: list[str]
    #: Page parameters read (``<<page.params.id>>`` -> ``id``), sent as ``state.page``.
    page_params: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AppSpec:
    format: int
    slug: str
    title: str
    pages: list[PageSpec]
    queries: dict[str, QuerySpec]
    raw: dict[str, Any]

    def all_widgets(self) -> list[WidgetSpec]:
        return [w for page in self.pages for w in page.widgets]

    def page(self, name: str) -> PageSpec | None:
        return next((page for page in self.pages if page.name == name), None)

    def widget(self, name: str) -> WidgetSpec:
        try:
            return self._widgets_by_name[name]
        except KeyError:
            raise KeyError(f"app {self.slug!r} has no widget named {name!r}") from None

    @cached_property
    def _widgets_by_name(self) -> dict[str, WidgetSpec]:
        found: dict[str, WidgetSpec] = {}
        for widget in self.all_widgets():
            found.setdefault(widget.name, widget)  # the first one, as a scan would find
        return found

    def derived(self, key: Hashable, compute: Callable[[AppSpec], _T]) -> _T:
        """``compute(self)``, worked out once per spec (specs are immutable and cached between
        requests); ``key`` names what is computed."""
        try:
            return cast(_T, self._derived[key])
        except KeyError:
            value = self._derived[key] = compute(self)
            return value

    @cached_property
    def _derived(self) -> dict[Hashable, Any]:
        return {}

    def public_json(self) -> dict[str, Any]:
        """What the browser may see: layout and bindings, never a query's body or data source.

        A fresh structure each call (specs are cached and shared between requests).
        """
        paged = {source.removesuffix(".data") for source in self._table_data_sources()}
        return {
            "slug": self.slug,
            "title": self.title,
            "pages": [
                {"name": page.name, "title": page.title,
                 "params": {p.name: {"type": p.type, "required": p.required}
                            for p in page.params.values()},
                 "widgets": [{"name": w.name, "type": w.type, "at": list(w.at),
                              "props": copy.deepcopy(w.props)} for w in page.widgets]}
                for page in self.pages
            ],
            "queries": {
                name: {"runOnLoad": q.run_on_load, "expectRows": q.expect_rows,
                       "refs": [list(ref) for ref in q.refs], "paged": name in paged,
                       **({"pageParams": list(q.page_params)} if q.page_params else {}),
                       **({"import": q.body.spec.public_json()}
                          if isinstance(q.body, ImportBody) else {})}
                for name, q in self.queries.items()
            },
        }

    def _table_data_sources(self) -> list[str]:
        """Sources of table ``data`` props that are exactly one binding (``getOrders.data``)."""
        out = []
        for widget in self.all_widgets():
            data = widget.props.get("data")
            if widget.type == "table" and isinstance(data, str) \
                    and bindings.is_single_binding(data):
                out.extend(b.source.strip() for b in bindings.find_bindings(data))
        return [source for source in out if source.endswith(".data")
                and source.removesuffix(".data") in self.queries
                and not isinstance(self.queries[source.removesuffix(".data")].body,
                                   ImportBody)]  # an import's report is not paged


def build_app(doc: dict[str, Any]) -> AppSpec:
    """Dataclasses of a document that has passed validation."""
    pages = [
        PageSpec(
            name=page["name"],
            title=page.get("title", page["name"]),
            widgets=[WidgetSpec(name=w["name"], type=w["type"], at=tuple(w["at"]),
                                props={k: v for k, v in w.items() if k not in WIDGET_KEYS})
                     for w in page.get("widgets", [])],
            params={name: ParamSpec(name=name, type=p["type"], required=bool(p.get("required")))
                    for name, p in page.get("params", {}).items()},
        )
        for page in doc["pages"]
    ]
    queries = {name: build_query(name, q) for name, q in doc.get("queries", {}).items()}
    return AppSpec(format=doc["format"], slug=doc["app"], title=doc.get("title", doc["app"]),
                   pages=pages, queries=queries, raw=doc)


def build_query(name: str, query: dict[str, Any]) -> QuerySpec:
    sources, refs, server = analyze_query(query)
    timeout = query.get("timeout")
    return QuerySpec(
        name=name,
        datasource=query["datasource"],
        kind="sql" if query_kind(query) == "sql" else "document",
        body=query_body(query),
        run_on_load=bool(query.get("runOnLoad", False)),
        expect_rows=query.get("expectRows"),
        timeout_s=float(timeout) if timeout is not None else None,
        max_rows=query.get("maxRows"),
        bindings=sources,
        refs=refs,
        server_refs=server,
        page_params=page_params_read(query),
    )
