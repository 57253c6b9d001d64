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

from builder import bindings
from builder.appspec.problems import DocPath, did_you_mean
from builder.appspec.scan import PAGE_NAME, Ref, iter_strings, source_offset

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


def check_display_params(checker: _Checker) -> None:
    """Display bindings of a page that declares parameters read only those."""
    pages = checker.doc.get("pages")
    for i, page in enumerate(pages if isinstance(pages, list) else []):
        if not isinstance(page, dict) or not isinstance(page.get("params"), dict):
            continue
        declared = page["params"]
        widgets = page.get("widgets")
        for j, widget in enumerate(widgets if isinstance(widgets, list) else []):
            if not isinstance(widget, dict):
                continue
            for key, value in widget.items():
                if key not in ("name", "type", "at"):
                    for where, text in iter_strings(value, ("pages", i, "widgets", j, key)):
                        _check_text(checker, where, text, page.get("name"), declared)


def _check_text(checker: _Checker, path: DocPath, text: str, page: Any,
                declared: dict[str, Any]) -> None:
    if "<<" not in text:
        return
    try:
        found = bindings.find_bindings(text)
    except bindings.BindingSyntaxError:
        return  # reported by semantic.py
    for binding in found:
        try:
            refs = bindings.references(bindings.parse(binding.source))
        except bindings.BindingSyntaxError:
            continue
        for ref in refs:
            if len(ref) >= 3 and ref[0] == PAGE_NAME and ref[1] == "params" \
                    and isinstance(ref[2], str) and ref[2] not in declared:
                checker.add(path, f"page '{page}' has no parameter '{ref[2]}'"
                                  f"{did_you_mean(ref[2], declared)} (its parameters: "
                                  f"{', '.join(declared) or 'none'})",
                            offset=source_offset(text, binding))
