"""Where bindings live in an app document, and what a query's bindings read.

Shared by the validator (which reports what is wrong) and the model (which records, for a valid
document, the expressions and widget state each query needs).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from builder import bindings
from builder.appspec.problems import DocPath
from builder.appspec.schema import DOCUMENT_KEYS

#: Filled by the server; the browser cannot forge them.
SERVER_NAMES = ("current_user", "now")
CURRENT_USER_PROPERTIES = ("id", "email", "roles")
#: A page-level name for display bindings: ``<<page.params.id>>`` after ``navigate`` with params.
PAGE_NAME = "page"
PAGE_PROPERTIES = ("name", "title", "params")
#: Names no widget or query may take: they would shadow a global or a literal.
RESERVED_NAMES = (*SERVER_NAMES, PAGE_NAME, "true", "false", "null")

Ref = tuple[str | int, ...]


def query_kind(query: dict[str, Any]) -> str:
    return "sql" if "sql" in query else "document"


def query_body(query: dict[str, Any]) -> str | dict[str, Any]:
    """The SQL text, or for a document query the collection, operation and options."""
    if "sql" in query:
        return str(query["sql"])
    return {key: query[key] for key in DOCUMENT_KEYS if key in query}


def body_strings(query: dict[str, Any], path: DocPath) -> Iterator[tuple[DocPath, str]]:
    """Every string of a query's body that may hold bindings, with its document path."""
    if isinstance(query.get("sql"), str):
        yield (*path, "sql"), query["sql"]
        return
    for key in DOCUMENT_KEYS:
        if key in query and key != "collection":
            yield from iter_strings(query[key], (*path, key))


def iter_strings(value: Any, path: DocPath) -> Iterator[tuple[DocPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_strings(item, (*path, index))


def source_offset(text: str, binding: bindings.Binding) -> int:
    """Offset in ``text`` where the binding's expression source starts."""
    found = text.find(binding.source, binding.start)
    return found if found >= 0 else binding.start


def read_by_query(ref: Ref) -> tuple[str, str] | str | None:
    """Classify what a query binding reads: (widget, property), a server name, or None."""
    root = ref[0]
    if root in SERVER_NAMES:
        return ".".join(str(p) for p in ref[:2])
    if len(ref) >= 2 and isinstance(root, str) and isinstance(ref[1], str):
        return (root, ref[1])
    return None


def analyze_query(query: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """(expression sources, (widget, property) refs, server refs) of a *valid* query."""
    sources: list[str] = []
    refs: list[tuple[str, str]] = []
    server: list[str] = []
    for _path, text in body_strings(query, ()):
        for found in bindings.find_bindings(text):
            source = found.source.strip()
            if source not in sources:
                sources.append(source)
            for ref in bindings.references(source):
                read = read_by_query(ref)
                if isinstance(read, tuple) and read not in refs:
                    refs.append(read)
                elif isinstance(read, str) and read not in server:
                    server.append(read)
    return sources, refs, server
