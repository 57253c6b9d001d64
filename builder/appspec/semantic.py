"""Checks JSON Schema cannot express: names, bindings, action targets, the grid, cycles.

Runs on documents that may also have schema errors, so every access is defensive: anything of the
wrong shape is skipped here (the schema already reported it).
"""

from __future__ import annotations

import re
from typing import Any

from builder import bindings
from builder.appspec.action_checks import ActionChecks
from builder.appspec.cycles import find_cycles
from builder.appspec.import_checks import check_import, claims_row_ref
from builder.appspec.loader import SourceMap
from builder.appspec.page_checks import check_display_page_ref, check_query_page_ref
from builder.appspec.problems import DocPath, Problem, article, did_you_mean, format_path
from builder.appspec.scan import (
    CURRENT_USER_PROPERTIES,
    PAGE_NAME,
    PAGE_PROPERTIES,
    RESERVED_NAMES,
    ROW_LOCALS,
    SERVER_NAMES,
    Ref,
    body_strings,
    row_scoped,
    source_offset,
)
from builder.appspec.schema import (
    BINDING,
    DOCUMENT_KEYS,
    GRID_COLUMNS,
    QUERY_PROPERTIES,
    accepts_string,
    property_schema,
)
from builder.appspec.transaction_checks import check_transaction, claims_step_ref
from builder.registry import Registry
from widgets.base import BINDABLE, WidgetType

_ACTIONS_REF = "#/$defs/actions"
_VISIBLE = {"type": "boolean", BINDABLE: True}
_COLUMN_NOTE = re.compile(r" at column \d+")
_WHOLE_BINDING = re.compile(BINDING)


def check_semantics(doc: Any, smap: SourceMap, *, widgets: Registry[WidgetType],
                    datasource_names: set[str] | None, filename: str) -> list[Problem]:
    checker = _Checker(doc if isinstance(doc, dict) else {}, smap, widgets, filename)
    checker.collect()
    checker.check_widgets()
    checker.check_queries(datasource_names)
    checker.check_cycles()
    return checker.problems


class _Checker(ActionChecks):
    def __init__(self, doc: dict[str, Any], smap: SourceMap, widgets: Registry[WidgetType],
                 filename: str) -> None:
        self.doc = doc
        self.smap = smap
        self.registry = widgets
        self.filename = filename
        self.problems: list[Problem] = []
        self.widgets: dict[str, tuple[DocPath, WidgetType | None]] = {}
        self.all_widgets: list[tuple[DocPath, dict[str, Any], WidgetType | None]] = []
        self.pages: dict[str, DocPath] = {}
        queries = doc.get("queries")
        self.queries: dict[str, Any] = queries if isinstance(queries, dict) else {}
        #: "widget.property" -> the "widget.property" nodes its bindings read, in order.
        self.edges: dict[str, list[str]] = {}
        self.node_at: dict[str, tuple[DocPath, int]] = {}

    def add(self, path: DocPath, message: str, *, offset: int | None = None,
            key: bool = False) -> None:
        if offset is not None:
            line, col = self.smap.locate(path, offset)
        else:
            line, col = self.smap.key_at(path) if key else self.smap.at(path)
        self.problems.append(Problem(self.filename, line, col, format_path(path), message))

    def where(self, path: DocPath) -> str:
        return f"{format_path(path)}, line {self.smap.at(path)[0]}"

    # --- names -------------------------------------------------------------------------------

    def collect(self) -> None:
        pages = self.doc.get("pages")
        for i, page in enumerate(pages if isinstance(pages, list) else []):
            if not isinstance(page, dict):
                continue
            name = page.get("name")
            if isinstance(name, str):
                if name in self.pages:
                    self.add(("pages", i, "name"), f"duplicate page name '{name}' (also "
                                                   f"{self.where(self.pages[name])})")
                self.pages.setdefault(name, ("pages", i, "name"))
            items = page.get("widgets")
            for j, widget in enumerate(items if isinstance(items, list) else []):
                if isinstance(widget, dict):
                    self.collect_widget(("pages", i, "widgets", j), widget)
        for name in self.queries:
            path = ("queries", name)
            if name in self.widgets:
                self.add(path, f"query '{name}' has the same name as the widget at "
                               f"{self.where(self.widgets[name][0])}", key=True)
            elif name in RESERVED_NAMES:
                self.add(path, f"'{name}' is reserved: choose another query name", key=True)

    def collect_widget(self, path: DocPath, widget: dict[str, Any]) -> None:
        kind = widget.get("type")
        wtype = self.registry.get(kind) if isinstance(kind, str) and kind in self.registry \
            else None
        self.all_widgets.append((path, widget, wtype))
        name = widget.get("name")
        if not isinstance(name, str):
            return
        if name in self.widgets:
            self.add((*path, "name"), f"duplicate widget name '{name}' (also "
                                      f"{self.where(self.widgets[name][0])})")
            return
        if name in RESERVED_NAMES:
            self.add((*path, "name"), f"'{name}' is reserved: choose another widget name")
        self.widgets[name] = (path, wtype)

    # --- widgets -----------------------------------------------------------------------------

    def check_widgets(self) -> None:
        for path, widget, wtype in self.all_widgets:
            self.check_grid(path, widget.get("at"))
            if wtype is None:
                continue
            name = widget.get("name")
            for key, value in widget.items():
                if key in ("name", "type", "at"):
                    continue
                schema = _VISIBLE if key == "visible" else wtype.properties.get(key)
                if schema is None:
                    continue  # unknown property: reported by the schema
                node = f"{name}.{key}" if isinstance(name, str) else None
                self.check_property((*path, key), key, value, schema, wtype, node)

    def check_property(self, path: DocPath, key: str, value: Any, schema: dict[str, Any],
                       wtype: WidgetType, node: str | None) -> None:
        if schema.get("$ref") == _ACTIONS_REF:
            self.check_actions(path, value)
        elif isinstance(value, list) and row_scoped(schema):
            self.check_row_bindings(path, value, row_scoped(schema), node)
        elif not isinstance(value, str):
            return
        elif schema.get(BINDABLE):
            found = self.check_display(path, value, node)
            if found and "anyOf" in property_schema(schema) and _WHOLE_BINDING.match(value) and \
                    not bindings.is_single_binding(value):
                self.add(path, f"'{key}' takes a single <<binding>> (no text around it), "
                               f"or a literal value")
        elif "<<" in value and accepts_string(schema) and \
                self.parse_bindings(path, value, report=False):
            self.add(path, f"'{key}' of {article(wtype.type)} is not bindable: the <<...>> "
                           "would be shown as written")

    def check_row_bindings(self, path: DocPath, items: list[Any], keys: list[str],
                           node: str | None) -> None:
        """Per-row bindings (``rowStyles[].when``): one binding each, ``row`` in scope."""
        for i, item in enumerate(items):
            for key in keys:
                text = item.get(key) if isinstance(item, dict) else None
                if not isinstance(text, str):
                    continue
                found = self.check_display((*path, i, key), text, node, local=ROW_LOCALS)
                if found and not bindings.is_single_binding(text):
                    self.add((*path, i, key), f"'{key}' takes a single <<binding>> (no text "
                                              "around it)")

    def check_grid(self, path: DocPath, at: Any) -> None:
        if not (isinstance(at, list) and len(at) == 4
                and all(isinstance(v, int) and not isinstance(v, bool) for v in at)):
            return
        x, _y, w, _h = at
        if 0 <= x < GRID_COLUMNS and 1 <= w <= GRID_COLUMNS and x + w > GRID_COLUMNS:
            self.add((*path, "at"), f"the widget does not fit the {GRID_COLUMNS}-column grid: "
                                    f"x + w = {x} + {w} = {x + w} > {GRID_COLUMNS}")

    # --- bindings ----------------------------------------------------------------------------

    def parse_bindings(self, path: DocPath, text: str, *, report: bool = True
                       ) -> list[tuple[str, int, list[Ref]]]:
        """(source, offset of the source in text, references) of each binding that parses."""
        try:
            found = bindings.find_bindings(text)
        except bindings.BindingSyntaxError as exc:
            if report:
                self.add(path, f"binding syntax error: {_COLUMN_NOTE.sub('', str(exc))}",
                         offset=exc.column - 1)
            return []
        out = []
        for binding in found:
            offset = source_offset(text, binding)
            try:
                refs = bindings.references(bindings.parse(binding.source))
            except bindings.BindingSyntaxError as exc:
                if report:
                    self.add(path, f"binding syntax error in <<{binding.source}>>: "
                                   f"{_COLUMN_NOTE.sub('', str(exc))}",
                             offset=offset + exc.column - 1)
                continue
            out.append((binding.source, offset, refs))
        return out

    def check_display(self, path: DocPath, text: str, node: str | None = None, *,
                      local: frozenset[str] = frozenset()) -> bool:
        """Check a browser-evaluated text; record cycle edges for ``node``; any bindings?

        ``local``: names defined only here (``row`` in a table's ``rowStyles``)."""
        found = self.parse_bindings(path, text)
        for source, offset, refs in found:
            if node is not None:
                self.node_at.setdefault(node, (path, offset))
                self.edges.setdefault(node, [])
            for ref in refs:
                if ref[0] in local:
                    continue
                if self.check_ref(path, source, offset, ref) and node is not None \
                        and ref[0] in self.widgets and len(ref) > 1:
                    self.edges[node].append(f"{ref[0]}.{ref[1]}")
        return bool(found)

    def check_ref(self, path: DocPath, source: str, offset: int, ref: Ref) -> bool:
        """Is ``ref`` a name (and property) a display binding may read? Reports if not."""
        root, prop = ref[0], (ref[1] if len(ref) > 1 else None)
        if root in self.widgets and root in self.queries:
            return True  # reported as a duplicate name; which one is meant is unknowable
        if root in self.widgets:
            wtype = self.widgets[root][1]
            if prop is None or wtype is None:
                return True
            known = wtype.referenceable() | {"visible"}
            return prop in known or self.bad_prop(
                path, source, offset, ref, f"unknown property '{prop}' of {root} "
                f"({article(wtype.type)}){did_you_mean(prop, known)}")
        if root in self.queries:
            return prop is None or prop in QUERY_PROPERTIES or self.bad_prop(
                path, source, offset, ref, f"unknown query property '{prop}' of {root}"
                f"{did_you_mean(prop, QUERY_PROPERTIES)} (a query has "
                f"{', '.join(QUERY_PROPERTIES)})")
        if root == PAGE_NAME:
            if prop is not None and prop not in PAGE_PROPERTIES:
                return self.bad_prop(path, source, offset, ref, f"page has no property '{prop}'"
                                     f"{did_you_mean(prop, PAGE_PROPERTIES)} (it has "
                                     f"{', '.join(PAGE_PROPERTIES)})")
            check_display_page_ref(self, path, offset, ref)
            return True
        if root in SERVER_NAMES:
            return root != "current_user" or prop is None or prop in CURRENT_USER_PROPERTIES \
                or self.bad_prop(path, source, offset, ref, f"current_user has no '{prop}'"
                                 f"{did_you_mean(prop, CURRENT_USER_PROPERTIES)} (it has "
                                 f"{', '.join(CURRENT_USER_PROPERTIES)})")
        names = [*self.widgets, *self.queries, *SERVER_NAMES, PAGE_NAME]
        hint = did_you_mean(root, names) or " (bindings read widgets, queries, page, " \
                                            "current_user and now)"
        if root in ROW_LOCALS:
            hint = " (row is known only in a table's rowStyles `when`)"
        self.add(path, f"unknown widget or query '{root}' in <<{source}>>{hint}",
                 offset=offset + _name_offset(source, ref, 0))
        return False

    def bad_prop(self, path: DocPath, source: str, offset: int, ref: Ref, message: str) -> bool:
        self.add(path, message, offset=offset + _name_offset(source, ref, 1))
        return False

    def reads_alone(self, path: DocPath, source: str, offset: int, ref: Ref, refs: list[Ref],
                    why: str = "") -> bool:
        """A binding that reads ``ref[0]`` (``steps``, ``row``) reads nothing else; reports if not.

        ``why``: the reason, before "use two bindings"."""
        others = sorted({str(r[0]) for r in refs if r[0] != ref[0]})
        if others:
            self.add(path, f"a binding that reads {ref[0]} cannot also read {', '.join(others)}: "
                           f"{why}use two bindings", offset=offset + _name_offset(source, ref, 0))
        return not others

    def check_query_ref(self, path: DocPath, source: str, offset: int, ref: Ref) -> None:
        """Queries run on the server: they may read widget state and server names only."""
        if not self.check_ref(path, source, offset, ref) or \
                (ref[0] in self.widgets and ref[0] in self.queries):
            return
        root, prop = ref[0], (ref[1] if len(ref) > 1 else None)
        dotted = ".".join(str(p) for p in ref[:2])
        allowed = "queries run on the server and read only widget state, page.params, " \
            "current_user and now"
        if root == PAGE_NAME:
            check_query_page_ref(self, path, source, offset, ref)
            return
        if root in self.queries:
            self.bad_prop(path, source, offset, ref[:1], f"a query cannot read {dotted}: "
                                                         f"{allowed}")
            return
        wtype = self.widgets[root][1] if root in self.widgets else None
        if wtype is None:
            return
        state = ", ".join(wtype.state) or "none"
        if prop is None:
            example = next(iter(wtype.state), "value")
            self.bad_prop(path, source, offset, ref[:1], f"a query must read a state property of "
                                                         f"{root}, e.g. <<{root}.{example}>>")
        elif prop not in wtype.state:
            self.bad_prop(path, source, offset, ref, f"a query cannot read {dotted}: only widget "
                                                     f"state is sent to the server ("
                                                     f"{article(wtype.type)} has: {state})")

    # --- queries and cycles ------------------------------------------------------------------

    def check_queries(self, datasource_names: set[str] | None) -> None:
        for name, query in self.queries.items():
            if not isinstance(query, dict):
                continue
            path = ("queries", name)
            source = query.get("datasource")
            if datasource_names is not None and isinstance(source, str) \
                    and source not in datasource_names:
                known = ", ".join(sorted(datasource_names)) or "none registered"
                self.add((*path, "datasource"), f"unknown data source '{source}'"
                         f"{did_you_mean(source, datasource_names)} (data sources: {known})")
            check_transaction(self, path, query)
            check_import(self, path, query)
            for text_path, text in body_strings(query, path):
                for source_text, offset, refs in self.parse_bindings(text_path, text):
                    for ref in refs:
                        if not claims_step_ref(self, query, text_path, source_text, offset, ref,
                                               refs) and not claims_row_ref(
                                self, query, text_path, source_text, offset, ref, refs):
                            self.check_query_ref(text_path, source_text, offset, ref)
            self.check_document_keys(path, query)

    def check_document_keys(self, path: DocPath, query: dict[str, Any]) -> None:
        """A binding may give a value in a document query, never a key (no operator injection)."""
        stack: list[tuple[DocPath, Any]] = [((*path, k), query[k]) for k in DOCUMENT_KEYS
                                            if k in query]
        while stack:
            where, value = stack.pop()
            if isinstance(value, dict):
                for key, item in value.items():
                    if "<<" in key:
                        self.add((*where, key), "a document query takes values from "
                                                "<<bindings>>, never keys", key=True)
                    stack.append(((*where, key), item))
            elif isinstance(value, list):
                stack.extend(((*where, i), item) for i, item in enumerate(value))

    def check_cycles(self) -> None:
        for cycle in find_cycles(self.edges):
            path, offset = self.node_at[cycle[0]]
            self.add(path, "binding cycle: " + " → ".join(cycle), offset=offset)





def _name_offset(source: str, ref: Ref, part: int) -> int:
    """Where ``ref[part]`` is written inside ``source`` (0 when it cannot be found)."""
    root = re.search(rf"(?<![\w.$]){re.escape(str(ref[0]))}(?![\w$])", source)
    if root is None:
        return 0
    if part == 0 or len(ref) <= part:
        return root.start()
    after = re.compile(rf"\s*(?:\.\s*|\[\s*['\"]?){re.escape(str(ref[part]))}")
    match = after.match(source, root.end())
    return match.end() - len(str(ref[part])) if match else root.start()
