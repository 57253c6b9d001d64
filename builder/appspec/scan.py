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
from builder.imports import ImportBody, build_import, reads_row
from builder.transactions import SQLTransaction, build_transaction, reads_steps
from widgets.base import ROW_SCOPE

#: Filled by the server; the browser cannot forge them.
SERVER_NAMES = ("current_user", "now")
CURRENT_USER_PROPERTIES = ("id", "username", "email", "roles")
#: A page-level name for display bindings: ``<<page.params.id>>`` after ``navigate`` with params.
PAGE_NAME = "page"
PAGE_PROPERTIES = ("name", "title", "params")
#: Names no widget or query may take: they would shadow a global or a literal.
RESERVED_NAMES = (*SERVER_NAMES, PAGE_NAME, "true", "false", "null")

#: Names defined only in a property marked ROW_SCOPE (``rowStyles[].when`` in widgets/table.py):
#: ``row``, that row's data.
ROW_LOCALS = frozenset({"row"})

Ref = tuple[str | int, ...]


def query_kind(query: dict[str, Any]) -> str:
    return "sql" if "sql" in query or "transaction" in query else "document"


def query_body(query: dict[str, Any]) -> str | dict[str, Any] | SQLTransaction | ImportBody:
    """The SQL text, the steps of a transaction, an import (SQL run per row of a file), or for
    a document query the collection, operation and options."""
    if "import" in query:
        return build_import(query["import"], str(query["sql"]))
    if "sql" in query:
        return str(query["sql"])
    if "transaction" in query:
        return build_transaction(query["transaction"])
    return {key: query[key] for key in DOCUMENT_KEYS if key in query}


def body_strings(query: dict[str, Any], path: DocPath) -> Iterator[tuple[DocPath, str]]:
    """Every string of a query's body that may hold bindings, with its document path."""
    if isinstance(query.get("sql"), str):
        yield (*path, "sql"), query["sql"]
        return
    if isinstance(query.get("transaction"), list):
        for i, step in enumerate(query["transaction"]):
            if isinstance(step, dict) and isinstance(step.get("sql"), str):
                yield (*path, "transaction", i, "sql"), step["sql"]
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


def row_scoped(schema: dict[str, Any]) -> list[str]:
    """Keys of a list property's items that are evaluated per row (``rowStyles[].when``)."""
    items = schema.get("items") if schema.get("type") == "array" else None
    properties = items.get("properties", {}) if isinstance(items, dict) else {}
    return [key for key, sub in properties.items() if sub.get(ROW_SCOPE)]


def source_offset(text: str, binding: bindings.Binding) -> int:
    """Offset in ``text`` where the binding's expression source starts."""
    found = text.find(binding.source, binding.start)
    return found if found >= 0 else binding.start


def read_by_query(ref: Ref) -> tuple[str, str] | str | None:
    """Classify what a query binding reads: (widget, property), a server name, or None."""
    root = ref[0]
    if root == PAGE_NAME:
        return None  # page parameters: see page_params_read
    if root in SERVER_NAMES:
        return ".".join(str(p) for p in ref[:2])
    if len(ref) >= 2 and isinstance(root, str) and isinstance(ref[1], str):
        return (root, ref[1])
    return None


def _sent_bindings(query: dict[str, Any]) -> Iterator[tuple[str, list[Ref]]]:
    """(source, references) of each binding of a *valid* query whose values the browser sends.

    Left out: a transaction step's binding that reads ``steps`` (the data source evaluates it
    between steps, ``builder/transactions.py``) and an import's ``<<row.KEY>>`` (evaluated per
    row of the file).
    """
    for _path, text in body_strings(query, ()):
        for found in bindings.find_bindings(text):
            source = found.source.strip()
            if reads_steps(source) or ("import" in query and reads_row(source)):
                continue
            yield source, bindings.references(source)


def analyze_query(query: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """(expression sources, (widget, property) refs, server refs) of a *valid* query."""
    sources: list[str] = []
    refs: list[tuple[str, str]] = []
    server: list[str] = []
    for source, found in _sent_bindings(query):
        if source not in sources:
            sources.append(source)
        for ref in found:
            read = read_by_query(ref)
            if isinstance(read, tuple) and read not in refs:
                refs.append(read)
            elif isinstance(read, str) and read not in server:
                server.append(read)
    return sources, refs, server


def page_params_read(query: dict[str, Any]) -> list[str]:
    """Names of the page parameters a *valid* query reads (``<<page.params.id>>``), in order.

    The browser sends them as ``state.page = {name, params}``; the server checks each against
    the type the named page declares before binding it (``builder/page_params.py``).
    """
    names: list[str] = []
    for _source, found in _sent_bindings(query):
        for ref in found:
            if len(ref) >= 3 and ref[0] == PAGE_NAME and ref[1] == "params" \
                    and isinstance(ref[2], str) and ref[2] not in names:
                names.append(ref[2])
    return names
