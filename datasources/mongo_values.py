"""Values in MongoDB queries: typed ``<<binding>>`` substitution and relaxed extended JSON.

A document query is written by the app's author; the values of its bindings come from the page.
The two are treated differently:

* **The author's document** keeps its operators (``$gt``, ``$set``...). A one-key object of a
  known extended-JSON shape (``{$oid: ...}``, ``{$date: ...}``, ``{$numberDecimal: ...}``,
  ``{$numberLong/$numberInt/$numberDouble: ...}``) becomes the BSON value, also when its inside
  is a binding (``{$date: "<<now>>"}``).
* **A value from the page** (what a binding evaluates to) may be text, a number, a boolean,
  null, a list or an object whose keys are plain field names. The same known extended-JSON
  shapes are decoded (so a row's ``_id`` sent back as ``{"$oid": "..."}`` is an ObjectId again);
  any other ``$``-key, at any depth, is refused with a 400. Text is never parsed: the string
  ``'{"$ne": null}'`` stays that string.
* Where MongoDB reads a string as a field path (aggregation expressions, ``$expr``, projections),
  a page value containing text that starts with ``$`` is wrapped in ``{$literal: ...}`` so it
  stays a value. No binding may appear in JavaScript (``$where``, ``$function``,
  ``$accumulator``).

Results leave as relaxed extended JSON: ObjectId ``{"$oid"}``, dates ``{"$date": "...Z"}``,
Decimal128 ``{"$numberDecimal"}``, 64-bit integers as plain numbers.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from bson import Decimal128, Int64, ObjectId, json_util
from bson.json_util import RELAXED_JSON_OPTIONS

from builder.bindings import BindingError, find_bindings, to_text
from datasources.base import QueryInputError

#: Extended-JSON shapes read from the page and from the author's document (one key each).
EJSON_KEYS = ("$oid", "$date", "$numberDecimal", "$numberLong", "$numberInt", "$numberDouble")
#: Keys whose values are JavaScript: no binding may go inside them.
JAVASCRIPT_KEYS = ("$where", "$function", "$accumulator")

Context = Literal["data", "query", "expr"]

_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT32 = 2**31
_INT64 = 2**63


# --- values from the page ---------------------------------------------------------------------


def _where(label: str, path: str) -> str:
    return f"{label}{path}" if path else label


def decode_input(value: Any, label: str, path: str = "") -> Any:
    """A value that came from the page, as a BSON-ready value; refuses operator objects."""
    if isinstance(value, Mapping):
        keys = list(value)
        dollar = [k for k in keys if not isinstance(k, str) or k.startswith("$")]
        if dollar:
            if len(keys) == 1 and keys[0] in EJSON_KEYS:
                return decode_ejson(keys[0], value[keys[0]], _where(label, path))
            raise QueryInputError(
                f"{_where(label, path)} is an object with the key {str(dollar[0])!r}: values "
                "from the page cannot carry MongoDB operators (only the extended JSON values "
                + ", ".join("{" + f'"{k}": …' + "}" for k in EJSON_KEYS[:3]) + " are read)")
        for key in keys:
            if "\x00" in key:
                raise QueryInputError(f"{_where(label, path)} has a field name with a NUL "
                                      "character")
        return {k: decode_input(v, label, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [decode_input(v, label, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        raise QueryInputError(f"{_where(label, path)} is a whole number too large for MongoDB "
                              "(64-bit integers at most)")
    return value


def decode_ejson(key: str, inner: Any, where: str) -> Any:
    """``{key: inner}`` of a known extended-JSON shape -> the BSON value (400 when invalid)."""
    try:
        return _DECODERS[key](inner)
    except (ValueError, TypeError, ArithmeticError, InvalidOperation):
        shown = inner if isinstance(inner, str | int | float | bool | type(None)) else "…"
        raise QueryInputError(f"{where}: {{{key!r}: {shown!r}}} is not a valid "
                              f"{_EJSON_NAMES[key]}") from None


def _oid(inner: Any) -> ObjectId:
    if not isinstance(inner, str) or not _OBJECT_ID.match(inner):
        raise ValueError("not 24 hex digits")
    return ObjectId(inner)


def _date(inner: Any) -> datetime:
    if isinstance(inner, Mapping) and list(inner) == ["$numberLong"]:
        inner = _long_text(inner["$numberLong"])
    if isinstance(inner, int) and not isinstance(inner, bool):
        return _EPOCH + timedelta(milliseconds=inner)
    if not isinstance(inner, str):
        raise TypeError("not a date")
    parsed = datetime.fromisoformat(inner.strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _long_text(inner: Any) -> int:
    if not isinstance(inner, str) or not _INTEGER.match(inner.strip()):
        raise ValueError("not an integer")
    return int(inner)


def _long(inner: Any) -> Int64:
    number = _long_text(inner)
    if not -_INT64 <= number < _INT64:
        raise OverflowError("out of range")
    return Int64(number)


def _int(inner: Any) -> int:
    number = _long_text(inner)
    if not -_INT32 <= number < _INT32:
        raise OverflowError("out of range")
    return number


def _double(inner: Any) -> float:
    if not isinstance(inner, str):
        raise TypeError("not text")
    return float(inner)


def _decimal(inner: Any) -> Decimal128:
    if not isinstance(inner, str):
        raise TypeError("not text")
    return Decimal128(Decimal(inner.strip()))


_DECODERS = {"$oid": _oid, "$date": _date, "$numberDecimal": _decimal, "$numberLong": _long,
             "$numberInt": _int, "$numberDouble": _double}
_EJSON_NAMES = {"$oid": "ObjectId (24 hex digits)", "$date": "date (ISO 8601 or milliseconds)",
                "$numberDecimal": "decimal number", "$numberLong": "64-bit integer",
                "$numberInt": "32-bit integer", "$numberDouble": "number"}


def _has_dollar_text(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("$")
    if isinstance(value, dict):
        return any(_has_dollar_text(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_dollar_text(v) for v in value)
    return False


def _as_text(value: Any) -> str:
    """A decoded page value inside a longer string (``"SF-<<n>>"``)."""
    if isinstance(value, ObjectId | Decimal128):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return to_text(value)


# --- the author's document --------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _bindings_of(text: str) -> tuple[tuple[int, int, str], ...]:
    try:
        return tuple((b.start, b.end, b.source) for b in find_bindings(text))
    except BindingError as exc:
        raise QueryInputError(f"the query has a broken binding: {exc}") from None


class Renderer:
    """Fills a query document's bindings with the request's values (see the module doc)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def value(self, source: str) -> Any:
        if source not in self.values:
            raise QueryInputError(f"no value was given for <<{source}>>")
        return decode_input(self.values[source], f"<<{source}>>")

    def string(self, text: str, ctx: Context, javascript: bool = False) -> Any:
        found = _bindings_of(text)
        if not found:
            return text
        if javascript:
            raise QueryInputError(f"<<{found[0][2]}>> is inside JavaScript ($where, $function "
                                  "or $accumulator): pass values to JavaScript through fields "
                                  "instead")
        start, end, source = found[0]
        if len(found) == 1 and not text[:start].strip() and not text[end:].strip():
            value = self.value(source)
        else:
            parts, pos = [], 0
            for start, end, source in found:
                parts += [text[pos:start], _as_text(self.value(source))]
                pos = end
            parts.append(text[pos:])
            value = "".join(parts)
        if ctx == "expr" and _has_dollar_text(value):
            return {"$literal": value}  # a value, never a field path or a variable
        return value

    def render(self, node: Any, ctx: Context, javascript: bool = False) -> Any:
        if isinstance(node, str):
            return self.string(node, ctx, javascript)
        if isinstance(node, list):
            return [self.render(item, ctx, javascript) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            key = next(iter(node))
            if key in EJSON_KEYS:
                inner = self.render(node[key], "data", javascript)
                return decode_ejson(key, inner, f"{{{key}: …}} in the query")
        out: dict[str, Any] = {}
        for key, item in node.items():
            if not isinstance(key, str) or "<<" in key:
                raise QueryInputError(f"the field name {key!r} holds a binding: a document query "
                                      "takes values from <<bindings>>, never keys")
            out[key] = self.render(item, self._inner(key, ctx), javascript
                                   or key in JAVASCRIPT_KEYS)
        return out

    @staticmethod
    def _inner(key: str, ctx: Context) -> Context:
        if key == "$expr":
            return "expr"
        if key == "$literal":
            return "data"
        return ctx

    def pipeline(self, stages: Any) -> list[Any]:
        if not isinstance(stages, list):
            raise QueryInputError("a pipeline is a list of stages")
        return [self.stage(stage) for stage in stages]

    def stage(self, stage: Any) -> Any:
        if not isinstance(stage, dict) or len(stage) != 1:
            raise QueryInputError("each pipeline stage is an object with one key, e.g. "
                                  "{$match: {...}}")
        name, spec = next(iter(stage.items()))
        if name == "$match":
            return {name: self.render(spec, "query")}
        if name in ("$lookup", "$unionWith") and isinstance(spec, dict):
            return {name: {k: self.pipeline(v) if k == "pipeline"
                           else self.render(v, "expr" if k == "let" else "data")
                           for k, v in spec.items()}}
        if name == "$facet" and isinstance(spec, dict):
            return {name: {k: self.pipeline(v) for k, v in spec.items()}}
        if name in ("$sort", "$limit", "$skip", "$count", "$sample", "$unwind", "$out",
                    "$merge", "$unionWith", "$lookup"):
            return {name: self.render(spec, "data")}
        return {name: self.render(spec, "expr")}


# --- results ------------------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """A document or value from the server as relaxed extended JSON (JSON-ready Python)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):  # also Int64: relaxed extended JSON writes it as a number
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$numberDouble": "NaN" if math.isnan(value)
                else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, ObjectId):
        return {"$oid": str(value)}
    if isinstance(value, Decimal128):
        return {"$numberDecimal": str(value)}
    try:
        return to_json(json_util.default(value, json_options=RELAXED_JSON_OPTIONS))
    except TypeError:
        return str(value)
