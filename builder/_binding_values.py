"""Values of the binding language: truthiness, key access, equality, text, filters.

Private helper of :mod:`builder.bindings`. Every rule mirrors JavaScript (static/bindings.js)
so that both evaluators agree: numbers exclude bool, strings have UTF-16 lengths and order,
numbers print as JavaScript's String(x), JSON as JSON.stringify.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from builder._binding_parser import WHITESPACE, BindingEvalError


def _is_num(v: Any) -> bool:
    t = type(v)
    return t is int or t is float or (isinstance(v, int | float | Decimal) and t is not bool)


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if _is_num(v):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list | tuple):
        return "array"
    return "object" if isinstance(v, Mapping) else type(v).__name__


def truthy(v: Any) -> bool:
    if v is None or v is False:
        return False
    if _is_num(v):
        return v == v and v != 0  # NaN is falsy
    if isinstance(v, str):
        return v != ""
    return True


def _length(v: str | list[Any] | tuple[Any, ...]) -> int:
    """Length as JavaScript counts it (UTF-16 code units for strings)."""
    if isinstance(v, str) and not v.isascii():
        return len(v.encode("utf-16-le")) // 2
    return len(v)


def get_key(obj: Any, key: Any) -> Any:
    if isinstance(key, str):
        if isinstance(obj, Mapping):
            return obj.get(key)
        if key == "length" and isinstance(obj, str | list | tuple):
            return _length(obj)
    elif isinstance(obj, list | tuple) and (i := _as_int(key)) is not None and 0 <= i < len(obj):
        return obj[i]
    return None


def _as_int(v: Any) -> int | None:
    """The integer a number stands for (3 and 3.0), else None."""
    if type(v) is int:
        return v
    return int(v) if _is_num(v) and math.isfinite(v) and v == int(v) else None


def equal(a: Any, b: Any) -> bool:
    """Strict deep equality: no coercion, bool is not a number, 1 == 1.0."""
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if _is_num(a) or _is_num(b):
        return _is_num(a) and _is_num(b) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return a == b and isinstance(a, str) and isinstance(b, str)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(map(equal, a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return len(a) == len(b) and all(k in b and equal(v, b[k]) for k, v in a.items())
    return type(a) is type(b) and a == b


def compare(op: str, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        if not (a.isascii() and b.isascii()):  # JS orders strings by UTF-16 code units
            a, b = a.encode("utf-16-be"), b.encode("utf-16-be")
    elif not (_is_num(a) and _is_num(b)):
        raise BindingEvalError(f"cannot compare {_type_name(a)} with {_type_name(b)}")
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    return a <= b if op == "<=" else a >= b


def _num_str(x: int | float | Decimal) -> str:
    """Format a number exactly like JavaScript's String(x)."""
    if isinstance(x, int) and abs(x) < 10**21:
        return str(x)
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return "NaN" if math.isnan(x) else "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    mantissa, _, exp = repr(abs(x)).partition("e")
    whole, _, frac = mantissa.partition(".")
    all_digits = whole + frac
    digits = all_digits.lstrip("0")
    n = len(whole) + int(exp or 0) - (len(all_digits) - len(digits))  # x = 0.DIGITS * 10**n
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = f"{'+' if n > 0 else '-'}{abs(n - 1)}"
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + e


def _js_key_order(keys: list[str]) -> list[str]:
    """JavaScript objects list integer-like keys first, ascending."""
    index = [k for k in keys if k.isascii() and k.isdigit() and (k == "0" or k[0] != "0")]
    index = [k for k in index if int(k) < 2**32 - 1]
    if not index:
        return keys
    rest = set(keys) - set(index)
    return sorted(index, key=int) + [k for k in keys if k in rest]


def _to_json(v: Any) -> str:
    """Compact JSON identical to JavaScript's JSON.stringify."""
    if v is None or v is True or v is False:
        return "null" if v is None else "true" if v else "false"
    if _is_num(v):
        return _num_str(v) if math.isfinite(v) else "null"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ",".join(map(_to_json, v)) + "]"
    if isinstance(v, Mapping):
        keys = _js_key_order([k for k in v if isinstance(k, str)])
        return "{" + ",".join(f"{_to_json(k)}:{_to_json(v[k])}" for k in keys) + "}"
    return _to_json(to_text(v))


def to_text(v: Any) -> str:
    """Text of a value in an interpolated template: null -> "", containers as JSON."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if _is_num(v):
        return _num_str(v)
    if isinstance(v, list | tuple | Mapping):
        return _to_json(v)
    if isinstance(v, _dt.date | _dt.time):
        return v.isoformat()
    return str(v)


# --- filters ----------------------------------------------------------------------------

_NUMERIC = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _text_filter(name: str, fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    def apply(v: Any) -> Any:
        if v is None:
            return None
        if not isinstance(v, str):
            raise BindingEvalError(f"{name} expects a string, got {_type_name(v)}")
        return fn(v)

    return apply


def _f_length(v: Any) -> int:
    if v is None:
        return 0
    if isinstance(v, str | list | tuple | Mapping):
        return _length(v) if isinstance(v, str) else len(v)
    raise BindingEvalError(f"length expects a string, array or object, got {_type_name(v)}")


def _f_number(v: Any) -> Any:
    if v is None or _is_num(v):
        return v
    if not isinstance(v, str):
        raise BindingEvalError(f"cannot convert {_type_name(v)} to a number")
    text = v.strip(WHITESPACE)
    if not text:
        return None
    if not _NUMERIC.fullmatch(text):
        raise BindingEvalError(f"cannot convert {_to_json(v)} to a number")
    return int(text) if text.lstrip("+-").isdigit() else float(text)


def _array_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def apply(v: Any, *args: Any) -> Any:
        if v is None:
            return None
        if not isinstance(v, list | tuple):
            raise BindingEvalError(f"{name} expects an array, got {_type_name(v)}")
        return fn(v, *args)

    return apply


def _join(items: list[Any] | tuple[Any, ...], sep: Any = ",") -> str:
    if not isinstance(sep, str):
        raise BindingEvalError(f"join expects a string separator, got {_type_name(sep)}")
    return sep.join(map(to_text, items))


def _f_round(v: Any, digits: Any = 0) -> Any:
    """Round half away from zero on the shortest decimal form (2.675 -> 2.68)."""
    digits = _as_int(digits)
    if digits is None or not 0 <= digits <= 15:
        raise BindingEvalError("round expects a whole number of digits from 0 to 15")
    if v is None or isinstance(v, int) and _is_num(v):
        return v
    if not _is_num(v):
        raise BindingEvalError(f"round expects a number, got {_type_name(v)}")
    x = float(v)
    if not math.isfinite(x):
        return x
    exact = Decimal(repr(x))
    if exact.as_tuple().exponent < -digits:  # type: ignore[operator]
        x = float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    return int(x) if digits == 0 else x


# One implementation per name of FILTERS in _binding_parser (a test checks they match).
FILTER_FUNCS: dict[str, Callable[..., Any]] = {
    "upper": _text_filter("upper", str.upper),
    "lower": _text_filter("lower", str.lower),
    "trim": _text_filter("trim", lambda s: s.strip(WHITESPACE)),
    "length": _f_length,
    "string": to_text,
    "number": _f_number,
    "json": _to_json,
    "default": lambda v, fallback: fallback if v is None else v,
    "join": _array_filter("join", _join),
    "first": _array_filter("first", lambda a: a[0] if a else None),
    "last": _array_filter("last", lambda a: a[-1] if a else None),
    "round": _f_round,
}
