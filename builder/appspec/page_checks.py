"""Checks of page parameters that JSON Schema cannot express.

* ``navigate: detail, params: {id: ...}`` gives only parameters the target page declares, and
  every one it marks ``required``;
* a query may read ``<<page.params.NAME>>`` (nothing else of ``page``) when some page declares
  ``NAME``; the server checks the value against the declaring page's type before binding it;
* a display binding on a page that declares parameters reads only those.

Called by ``semantic.py``; like it, every access is defensive (the schema reports bad shapes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from builder.appspec.problems import DocPath, did_you_mean
from builder.appspec.scan import Ref

if TYPE_CHECKING:
    from builder.appspec.semantic import _Checker

_EXAMPLE = "params: {id: {type: integer, required: true}}"


def declared_params(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Page name -> {parameter name -> declaration} for the pages of ``doc``."""
    out: dict[str, dict[str, Any]] = {}
    pages = doc.get("pages")
    for page in pages if isinstance(pages, list) else []:
        if isinstance(page, dict) and isinstance(page.get("name"), str):
            params = page.get("params")
            out.setdefault(page["name"], params if isinstance(params, dict) else {})
    return out


def check_navigate_params(checker: _Checker, path: DocPath, action: dict[str, Any]) -> None:
    """The params of a ``navigate`` action against what its target page declares."""
    target = action.get("navigate")
    declared = declared_params(checker.doc).get(target) if isinstance(target, str) else None
    if declared is None:
        return  # unknown page: reported by semantic.py
    given = action.get("params")
    given = given if isinstance(given, dict) else {}
    for key in given:
        if key not in declared:
            known = ", ".join(declared) if declared else f"none: add {_EXAMPLE} to it"
            checker.add((*path, "params", key), f"navigate: page '{target}' has no parameter "
                        f"'{key}'{did_you_mean(str(key), declared)} (its parameters: {known})",
                        key=True)
    for name, decl in declared.items():
        if isinstance(decl, dict) and decl.get("required") is True and name not in given:
            checker.add((*path, "navigate"), f"navigate: page '{target}' requires the "
                        f"parameter '{name}': add params: {{{name}: ...}}")


def check_query_page_ref(checker: _Checker, path: DocPath, source: str, offset: int,
                         ref: Ref) -> None:
    """A query reads ``page.params.NAME`` only, NAME declared by some page."""
    everywhere = declared_params(checker.doc)
    names = sorted({n for params in everywhere.values() for n in params})
    if len(ref) < 3 or ref[1] != "params" or not isinstance(ref[2], str):
        dotted = ".".join(str(p) for p in ref[:2])
        checker.add(path, f"a query cannot read {dotted}: of the page, queries read only "
                          "declared parameters, e.g. <<page.params.id>>", offset=offset)
        return
    if ref[2] not in names:
        hint = did_you_mean(ref[2], names) or f" (declare it on the page: {_EXAMPLE})"
        checker.add(path, f"no page declares the parameter '{ref[2]}' that "
                          f"<<{source}>> reads{hint}", offset=offset)


def check_display_page_ref(checker: _Checker, path: DocPath, offset: int, ref: Ref) -> None:
    """A display binding on a page that declares parameters reads only those.

    ``path`` is where the binding is written: under ``pages[i]`` for a widget's property or
    action; anywhere else (a query) there is no page to check against.
    """
    if len(path) < 2 or path[0] != "pages" or len(ref) < 3 or ref[1] != "params" \
            or not isinstance(ref[2], str):
        return
    page = checker.doc["pages"][path[1]]
    declared = page.get("params")
    if not isinstance(declared, dict) or ref[2] in declared:
        return
    checker.add(path, f"page '{page.get('name')}' has no parameter '{ref[2]}'"
                      f"{did_you_mean(ref[2], declared)} (its parameters: "
                      f"{', '.join(declared) or 'none'})", offset=offset)
