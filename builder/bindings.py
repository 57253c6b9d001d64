"""The ``<<...>>`` binding language: find, parse, evaluate, list references, render.

The server evaluates query parameters with this module; the browser evaluates display
bindings with ``static/bindings.js``. Both must pass ``tests/bindings_cases.json``, so
every rule here mirrors JavaScript semantics (see docs/bindings.md). Values are read
only from dicts/Mappings (string keys) and lists/tuples (integer indexes): never
through attributes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from builder._binding_parser import (
    FILTERS,
    WHITESPACE,
    ArrayLit,
    BindingError,
    BindingEvalError,
    BindingSyntaxError,
    Compare,
    Conditional,
    Expr,
    Filter,
    Literal,
    Logical,
    Member,
    Not,
    Path,
    parse_expression,
)
from builder._binding_values import FILTER_FUNCS, compare, equal, get_key, to_text, truthy

__all__ = [
    "FILTER_NAMES", "Binding", "BindingError", "BindingEvalError", "BindingSyntaxError", "Expr",
    "evaluate", "find_bindings", "is_single_binding", "parse", "references", "render",
    "to_text",
]  # fmt: skip


FILTER_NAMES: tuple[str, ...] = tuple(FILTERS)  # the fixed list, e.g. for editor completion


@dataclass(frozen=True)
class Binding:
    """One ``<<...>>`` inside a text."""

    start: int  # index of '<<' in the text
    end: int  # index just after '>>'
    source: str  # the expression text, stripped of surrounding whitespace


def find_bindings(text: str) -> list[Binding]:
    """All bindings of ``text``; a '>>' inside a quoted string does not end one."""
    found: list[Binding] = []
    pos = 0
    while (start := text.find("<<", pos)) >= 0:
        i, quote = start + 2, ""
        while i < len(text):
            ch = text[i]
            if quote:
                if ch == "\\":
                    i += 1
                elif ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif ch == ">" and text.startswith(">", i + 1):
                break
            i += 1
        else:
            raise BindingSyntaxError(
                f"unterminated '<<' at column {start + 1}; missing '>>'", start + 1
            )
        found.append(Binding(start, i + 2, text[start + 2 : i].strip(WHITESPACE)))
        pos = i + 2
    return found


def _single(text: str, bindings: list[Binding]) -> bool:
    return (
        len(bindings) == 1
        and not text[: bindings[0].start].strip(WHITESPACE)
        and not text[bindings[0].end :].strip(WHITESPACE)
    )


def is_single_binding(text: str) -> bool:
    """The whole text (ignoring surrounding whitespace) is exactly one binding."""
    try:
        return _single(text, find_bindings(text))
    except BindingSyntaxError:
        return False


@functools.lru_cache(maxsize=4096)
def parse(source: str) -> Expr:
    """Parse one expression (the text between '<<' and '>>'); raises BindingSyntaxError."""
    return parse_expression(source)


def evaluate(source: str | Expr, scope: Mapping[str, Any]) -> Any:
    """Value of an expression; names are looked up in ``scope`` (missing -> None)."""
    return _eval(parse(source) if isinstance(source, str) else source, scope)


def references(source: str | Expr) -> list[tuple[str | int, ...]]:
    """Static paths the expression reads, deduplicated, in first-seen order."""
    found: dict[tuple[Any, ...], None] = {}
    _collect(parse(source) if isinstance(source, str) else source, found)
    return list(found)


def render(text: str, scope: Mapping[str, Any]) -> Any:
    """A lone binding gives its typed value; otherwise interpolate into a string."""
    bindings = find_bindings(text)
    if not bindings:
        return text
    if _single(text, bindings):
        return evaluate(bindings[0].source, scope)
    parts, pos = [], 0
    for b in bindings:
        parts += [text[pos : b.start], to_text(evaluate(b.source, scope))]
        pos = b.end
    parts.append(text[pos:])
    return "".join(parts)


# --- references -------------------------------------------------------------------------


def _collect(node: Expr, found: dict[tuple[Any, ...], None]) -> None:
    match node:
        case Path(root, keys):
            found.setdefault((root, *keys))
        case Member(obj, key):
            _collect(obj, found)
            if not isinstance(key, Literal):
                _collect(key, found)
        case Not(operand):
            _collect(operand, found)
        case Compare(_, left, right) | Logical(_, left, right):
            _collect(left, found)
            _collect(right, found)
        case Conditional(test, then, otherwise):
            for part in (test, then, otherwise):
                _collect(part, found)
        case Filter(operand, _, args):
            for part in (operand, *args):
                _collect(part, found)
        case ArrayLit(items):
            for part in items:
                _collect(part, found)


# --- evaluator --------------------------------------------------------------------------


def _eval(node: Expr, scope: Mapping[str, Any]) -> Any:
    if type(node) is Path:  # the common case, kept fast
        value = scope.get(node.root)
        for key in node.keys:
            if value is None:
                return None
            value = get_key(value, key)
        return value
    return _EVALUATORS[type(node)](node, scope)


def _eval_logical(node: Logical, scope: Mapping[str, Any]) -> Any:
    left = _eval(node.left, scope)
    if node.op == "&&":
        return _eval(node.right, scope) if truthy(left) else left
    if node.op == "||":
        return left if truthy(left) else _eval(node.right, scope)
    return _eval(node.right, scope) if left is None else left


def _eval_compare(node: Compare, scope: Mapping[str, Any]) -> bool:
    left, right = _eval(node.left, scope), _eval(node.right, scope)
    if node.op in ("==", "!="):
        return equal(left, right) == (node.op == "==")
    return compare(node.op, left, right)


_EVALUATORS: dict[type, Callable[[Any, Mapping[str, Any]], Any]] = {
    Literal: lambda n, s: n.value,
    ArrayLit: lambda n, s: [_eval(item, s) for item in n.items],
    Member: lambda n, s: get_key(_eval(n.obj, s), _eval(n.key, s)),
    Not: lambda n, s: not truthy(_eval(n.operand, s)),
    Compare: _eval_compare,
    Logical: _eval_logical,
    Conditional: lambda n, s: _eval(n.then if truthy(_eval(n.test, s)) else n.otherwise, s),
    Filter: lambda n, s: FILTER_FUNCS[n.name](_eval(n.operand, s), *(_eval(a, s) for a in n.args)),
}
