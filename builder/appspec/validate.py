"""Validation of an app document: JSON Schema errors made readable, then semantic checks.

jsonschema reports ``anyOf``/``oneOf`` failures as one opaque error with sub-errors; they are
rewritten here into the one message that matters (the literal's error for a bindable property,
``unknown action 'tost'`` for an action, what a query's body lacks). Unknown types, properties and
names get a did-you-mean.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from builder.appspec.loader import SourceMap
from builder.appspec.problems import DocPath, Problem, article, did_you_mean, format_path
from builder.appspec.schema import ACTION_KEYS, DOCUMENT_KEYS, DOCUMENT_OPERATIONS, build_schema
from builder.appspec.semantic import check_semantics
from builder.registry import Registry
from widgets.base import WidgetType

__all__ = ["Problem", "validate_document"]

_BINDING_REF = {"$ref": "#/$defs/binding"}
_AT_PARTS = ("x", "y", "w", "h")


def validate_document(doc: Any, positions: SourceMap, *, widgets: Registry[WidgetType],
                      datasource_names: set[str] | None = None,
                      filename: str = "<app>") -> list[Problem]:
    """Every problem of a (migrated) document, sorted by position."""
    explainer = _Explainer(doc, positions, filename)
    problems: list[Problem] = []
    for error in _validator(widgets).iter_errors(doc):
        problems.extend(explainer.explain(error))
    problems.extend(check_semantics(doc, positions, widgets=widgets,
                                    datasource_names=datasource_names, filename=filename))
    return sorted(set(problems), key=lambda p: (p.line, p.col, p.path, p.message))


def _validator(widgets: Registry[WidgetType]) -> Draft202012Validator:
    return _cached_validator(json.dumps(build_schema(widgets), sort_keys=True))


@functools.lru_cache(maxsize=8)
def _cached_validator(schema_text: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text))


def _kind(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
             dict: "mapping", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    """A value as it would be quoted in a message: 'text', 12, [1, 2]."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"'{text[1:-1]}'" if isinstance(value, str) and text.endswith('"') else text


class _Explainer:
    def __init__(self, doc: Any, smap: SourceMap, filename: str) -> None:
        self.doc = doc
        self.smap = smap
        self.filename = filename

    def problem(self, path: DocPath, message: str, *, key: bool = False,
                where: DocPath | None = None) -> Problem:
        at = where if where is not None else path
        line, col = self.smap.key_at(at) if key else self.smap.at(at)
        return Problem(self.filename, line, col, format_path(path), message)

    def lookup(self, path: DocPath) -> Any:
        node = self.doc
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def owner(self, path: DocPath) -> str:
        """'for a button', 'in a query', ... for messages about keys of the object at ``path``."""
        instance = self.lookup(path)
        verbs = [k for k in ACTION_KEYS if isinstance(instance, dict) and k in instance]
        if len(verbs) == 1 and len(path) > 4:
            return f"in a '{verbs[0]}' action"
        if len(path) >= 4 and path[0] == "pages" and path[2] == "widgets":
            kind = self.lookup((*path[:4], "type"))
            widget = article(kind) if isinstance(kind, str) else "a widget"
            return f"for {widget}" if len(path) == 4 else f"in {widget}'s {format_path(path[4:])}"
        if len(path) == 2 and path[0] == "queries":
            return "in a query"
        if len(path) == 4 and path[0] == "queries" and path[2] == "transaction":
            return "in a transaction step"
        if len(path) == 2 and path[0] == "pages":
            return "in a page"
        if not path:
            return "at the top level"
        return f"in {format_path(path)}"

    def explain(self, error: ValidationError) -> list[Problem]:
        path = tuple(error.absolute_path)
        handler = getattr(self, f"on_{error.validator}", None)
        if len(path) in (5, 6) and path[0] == "pages" and path[2] == "widgets" \
                and path[4] == "at":
            return [self.grid_problem(error, path)]
        if handler is not None:
            result = handler(error, path)
            if result is not None:
                return result
        return [self.problem(path, error.message)]

    # --- one method per JSON Schema keyword --------------------------------------------------

    def on_additionalProperties(self, error: ValidationError, path: DocPath) -> list[Problem]:
        allowed = list(error.schema.get("properties", {}))
        instance = error.instance if isinstance(error.instance, dict) else {}
        extras = [k for k in instance if k not in allowed]
        verbs = [k for k in instance if k in ACTION_KEYS]
        if len(verbs) > 1 and sum(k in ACTION_KEYS for k in allowed) == 1:  # an action
            return [self.problem(path, "an action has exactly one of "
                                 f"{', '.join(ACTION_KEYS)}; this one has "
                                 f"{' and '.join(repr(v) for v in verbs)}: "
                                 "make them separate list items")]
        owner = self.owner(path)
        return [self.problem((*path, k), f"unknown property '{k}' {owner}"
                             f"{did_you_mean(k, allowed)}", key=True) for k in extras]

    def on_required(self, error: ValidationError, path: DocPath) -> list[Problem]:
        instance = error.instance if isinstance(error.instance, dict) else {}
        missing = [k for k in error.validator_value if k not in instance]
        owner = self.owner(path)
        return [self.problem((*path, k), f"missing required property '{k}' {owner}", where=path)
                for k in missing]

    def on_enum(self, error: ValidationError, path: DocPath) -> list[Problem]:
        options = [str(o) for o in error.validator_value]
        if len(path) == 5 and path[0] == "pages" and path[2] == "widgets" and path[4] == "type":
            hint = did_you_mean(error.instance, options) or f" (types: {', '.join(options)})"
            return [self.problem(path, f"unknown widget type {_short(error.instance)}{hint}")]
        return [self.problem(path, f"{_short(error.instance)} is not one of "
                                   f"{', '.join(options)}{did_you_mean(error.instance, options)}")]

    def on_const(self, error: ValidationError, path: DocPath) -> list[Problem]:
        return [self.problem(path, f"must be {_short(error.validator_value)}, "
                                   f"not {_short(error.instance)}")]

    def on_type(self, error: ValidationError, path: DocPath) -> list[Problem]:
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        expected = expected.replace("object", "mapping").replace("array", "list")
        message = f"expected {expected}, got {_kind(error.instance)} {_short(error.instance)}"
        if isinstance(error.instance, bool) and "string" in expected:
            message += " (YAML reads yes/no/on/off/true/false as booleans: quote it)"
        return [self.problem(path, message)]

    def on_pattern(self, error: ValidationError, path: DocPath) -> list[Problem]:
        hint = error.schema.get("errorMessage") or f"must match {error.validator_value}"
        if "propertyNames" in error.schema_path:
            return [self.problem((*path, error.instance), f"invalid name '{error.instance}': "
                                 f"{hint}", key=True)]
        return [self.problem(path, f"invalid value {_short(error.instance)}: {hint}")]

    def grid_problem(self, error: ValidationError, path: DocPath) -> Problem:
        at_path = path[:5]
        if len(path) == 6 and isinstance(path[5], int) and path[5] < len(_AT_PARTS):
            part, value, limit = _AT_PARTS[path[5]], error.instance, error.validator_value
            if error.validator == "minimum":
                return self.problem(path, f"at: {part} is {value} but must be at least {limit}")
            if error.validator == "maximum":
                return self.problem(path, f"at: {part} is {value} but must be at most {limit} "
                                          "(the grid has 12 columns)")
            return self.problem(path, f"at: {part} must be a whole number, got {_short(value)}")
        return self.problem(at_path, f"at must be [x, y, w, h]: four whole numbers, got "
                                     f"{_short(self.lookup(at_path))}")

    def on_anyOf(self, error: ValidationError, path: DocPath) -> list[Problem] | None:
        branches = error.validator_value
        if _BINDING_REF in branches:
            literal = [e for e in error.context or []
                       if branches[e.relative_schema_path[0]] != _BINDING_REF]
            if literal:
                inner = self.explain(best_match(literal))
                return [Problem(p.file, p.line, p.col, p.path, p.message + " (or a <<binding>>)")
                        for p in inner]
        if all(isinstance(b, dict) and list(b) == ["required"] for b in branches):
            return [self.unknown_action(path)]
        return None

    def on_oneOf(self, error: ValidationError, path: DocPath) -> list[Problem] | None:
        if len(path) == 2 and path[0] == "queries":
            message = _query_body_message(error.instance)
            return [self.problem(path, message, key=True)] if message else []
        return self.on_anyOf(error, path)

    def unknown_action(self, path: DocPath) -> Problem:
        instance = self.lookup(path)
        keys = list(instance) if isinstance(instance, dict) else []
        verbs = ", ".join(ACTION_KEYS)
        if not keys:
            return self.problem(path, f"empty action: use one of {verbs}")
        return self.problem((*path, keys[0]), f"unknown action '{keys[0]}'"
                            f"{did_you_mean(keys[0], ACTION_KEYS)} (actions: {verbs})", key=True)


def _query_body_message(query: Any) -> str | None:
    """Why a query's body is neither ``sql`` nor ``collection`` + one operation."""
    if not isinstance(query, dict):
        return None
    operations = [op for op in DOCUMENT_OPERATIONS if op in query]
    document = [k for k in DOCUMENT_KEYS if k in query]
    if "transaction" in query:
        return _transaction_body_message(query, document)
    if "sql" in query and document:
        return (f"a query has either sql or a document body, not both: remove "
                f"{', '.join(document)} or sql")
    if "sql" in query:
        return None
    if "collection" not in query:
        if operations:
            return f"a document query needs 'collection' besides '{operations[0]}'"
        return ("a query needs a body: 'sql: ...', 'transaction:' (a list of SQL steps), or "
                f"'collection:' with one operation ({', '.join(DOCUMENT_OPERATIONS)})")
    if not operations:
        return f"a document query needs one operation: {', '.join(DOCUMENT_OPERATIONS)}"
    if len(operations) > 1:
        return f"a document query has exactly one operation; this one has {', '.join(operations)}"
    return None


def _transaction_body_message(query: dict[str, Any], document: list[str]) -> str | None:
    """Why a ``transaction:`` query does not fit (it is SQL only, with expectRows per step)."""
    if "sql" in query:
        return ("a query has either sql (one statement) or transaction (a list of steps), not "
                "both: move the sql into a step of the transaction")
    if document:
        return (f"a transaction is SQL only: remove {', '.join(document)} (a document query "
                "runs one operation)")
    if "expectRows" in query:
        return ("expectRows of a transaction goes on the step it checks: "
                "transaction: [{sql: ..., expectRows: 1, message: ...}]")
    return None
