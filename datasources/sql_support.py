"""Helpers of the SQL data sources: JSON-ready values, readable driver messages, config schemas."""

from __future__ import annotations

import base64
import ipaddress
import math
import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

#: Decimals with at most this many significant digits survive a trip through a float exactly.
_FLOAT_SAFE_DIGITS = 15
_IP_TYPES = (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network,
             ipaddress.IPv6Network, ipaddress.IPv4Interface, ipaddress.IPv6Interface)


def json_value(value: Any) -> Any:
    """A database value as a JSON-ready Python value.

    * ``Decimal`` -> a number when it has at most 15 significant digits (so it round-trips through
      a JavaScript number exactly), else its exact text; NaN/Infinity -> text.
    * ``datetime``/``date``/``time`` -> ISO 8601 text; ``timedelta`` -> seconds (a number).
    * ``bytes`` -> base64 text. ``UUID`` and network addresses -> text.
    * lists/tuples/sets (PostgreSQL arrays, MySQL SET) -> lists; dicts (JSON columns) -> dicts.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(json_value(v) for v in value)
    if isinstance(value, uuid.UUID | _IP_TYPES):
        return str(value)
    return str(value)


def _decimal(value: Decimal) -> Any:
    if not value.is_finite():
        return str(value)
    sign, digits, exponent = value.as_tuple()
    if len(digits) > _FLOAT_SAFE_DIGITS:
        return str(value)
    if isinstance(exponent, int) and exponent >= 0:
        return int(value)
    return float(value)


def json_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    return [{c: json_value(v) for c, v in zip(columns, row, strict=False)} for row in rows]


def one_line(message: str) -> str:
    """Collapse a multi-line driver message into one readable line."""
    return re.sub(r"\s+", " ", message).strip()


def scrub(message: str, secrets: Sequence[str | None]) -> str:
    """Remove secrets (a password) from a message, should a driver ever echo one."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            message = message.replace(secret, "***")
    return message


def driver_message(exc: BaseException) -> str:
    """The database's own message from a SQLAlchemy error or a raw driver error."""
    orig = getattr(exc, "orig", None) or exc
    diag = getattr(orig, "diag", None)  # psycopg
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    if primary:
        detail = getattr(diag, "message_detail", None)
        return one_line(f"{primary} ({detail})" if detail else primary)
    args: tuple[Any, ...] = getattr(orig, "args", ())
    if len(args) >= 2 and isinstance(args[0], int) and isinstance(args[1], str):  # PyMySQL
        return one_line(args[1])
    text = str(orig).split("\n[SQL:", 1)[0]  # SQLAlchemy appends the statement; keep it out
    return one_line(text) or type(orig).__name__


# --- configuration schemas ---------------------------------------------------------------------

_COMMON: dict[str, Any] = {
    "statement_timeout_s": {
        "type": "number", "exclusiveMinimum": 0, "maximum": 3600,
        "title": "Statement timeout (s)",
        "description": "Upper bound for every statement; a query's own timeout may be shorter.",
    },
    "read_only": {
        "type": "boolean", "default": False, "title": "Read-only",
        "description": "Refuse writes, enforced by the database session.",
    },
}


def server_schema(title: str, scheme: str, default_port: int,
                  sslmodes: Sequence[str]) -> dict[str, Any]:
    """JSON Schema of a client/server engine: a URL, or host/port/database/user/password."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": {
            "url": {
                "type": "string", "writeOnly": True, "title": "Connection URL",
                "description": f"{scheme}://user:password@host:{default_port}/database "
                               "(instead of the fields below)",
            },
            "host": {"type": "string", "title": "Host"},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": default_port},
            "database": {"type": "string", "title": "Database"},
            "user": {"type": "string", "title": "User"},
            "password": {"type": "string", "writeOnly": True, "title": "Password"},
            "sslmode": {"enum": list(sslmodes), "title": "TLS mode"},
            "pool_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
            "connect_timeout_s": {"type": "integer", "minimum": 1, "maximum": 300,
                                  "default": 10},
            **_COMMON,
        },
        "anyOf": [{"required": ["url"]}, {"required": ["host", "database"]}],
        "additionalProperties": False,
    }


def sqlite_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "SQLite",
        "type": "object",
        "properties": {
            "path": {"type": "string", "title": "Database file",
                     "description": "Path of an existing SQLite file on the server."},
            "pool_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
            **_COMMON,
        },
        "required": ["path"],
        "additionalProperties": False,
    }
