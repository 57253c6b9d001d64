"""Helpers of the SQL data sources: JSON-ready values, readable driver messages, config schemas."""

from __future__ import annotations

import base64
import ipaddress
import math
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain
from typing import Any

from datasources.base import one_line
from datasources.base import scrub as scrub  # re-exported: the SQL sources and the admin use it

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


#: Values that are JSON-ready as they come (floats are not: NaN and Infinity are not JSON).
_PLAIN = frozenset({type(None), bool, int, str})


def json_arrays(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows as lists of JSON-ready values. Runs on every page, so the common case, a page of
    plain values only, is one type check over all cells and a copy per row."""
    if _PLAIN.issuperset(map(type, chain.from_iterable(rows))):
        return [list(row) for row in rows]
    return [[json_value(v) for v in row] for row in rows]


def json_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows as dicts of JSON-ready values keyed by column."""
    return [dict(zip(columns, row, strict=False)) for row in json_arrays(rows)]


def plural(n: int) -> str:
    """``1 row``, ``2 rows``."""
    return f"{n} row" if n == 1 else f"{n} rows"


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


# --- why a connection failed ------------------------------------------------------------------

#: (kind, phrases) checked in order against a lower-cased driver or socket message.
_NETWORK_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("unknown_host", ("name or service not known", "nodename nor servname",
                      "failed to resolve host", "could not translate host name",
                      "temporary failure in name resolution",
                      "no address associated with hostname", "getaddrinfo failed",
                      "unknown host")),
    ("connection_refused", ("connection refused",)),
    ("unreachable", ("no route to host", "network is unreachable", "host is unreachable")),
    ("timeout", ("timed out", "timeout expired", "connection timeout")),
)


def network_failure_kind(message: str) -> str | None:
    """The failure kind of a socket-level message (DNS, refused, unreachable, timeout)."""
    lowered = message.lower()
    for kind, phrases in _NETWORK_PHRASES:
        if any(phrase in lowered for phrase in phrases):
            return kind
    return None


def pg_failure_kind(message: str) -> tuple[str, str | None] | None:
    """(kind, advice or None for the default) for a libpq / psycopg connection message."""
    m = message.lower()
    if "password authentication failed" in m or "no password supplied" in m or (
            "role " in m and "does not exist" in m):
        return "wrong_password", None
    if "database " in m and "does not exist" in m:
        return "unknown_database", None
    if "permission denied for database" in m or "connect privilege" in m:
        return "database_denied", None
    if "no pg_hba.conf entry" in m or "pg_hba.conf rejects connection" in m:
        tried_tls = "ssl encryption" in m or "ssl on" in m or "gss encryption" in m
        unencrypted = "no encryption" in m or "ssl off" in m
        if unencrypted and not tried_tls:
            return "tls_required", (
                "The server refused an unencrypted connection: set TLS mode to require (or "
                "verify-full with the server's CA). If it is still refused, the server does "
                "not accept this server's address at all: ask for it to be added to "
                "pg_hba.conf or the cloud allowlist.")
        return "not_allowed", None
    if "ssl connection is required" in m or ("ssl required" in m and "but ssl was" not in m):
        return "tls_required", None
    if "server does not support ssl" in m:
        return "tls_failed", ("The server does not offer TLS but TLS mode requires it: "
                              "enable TLS on the database server, or choose TLS mode "
                              "prefer/disable on a trusted network.")
    if "certificate" in m or "ssl error" in m or "sslmode" in m:
        return "tls_failed", None
    if "invalid response to ssl negotiation" in m or "expected authentication request" in m:
        return "wrong_service", None
    kind = network_failure_kind(message)
    return (kind, None) if kind else None


#: PyMySQL / MariaDB / MySQL error numbers of connection failures.
_MYSQL_CODES: dict[int, str] = {
    1045: "wrong_password",   # Access denied for user (using password: YES/NO)
    1698: "wrong_password",   # Access denied (auth plugin)
    1049: "unknown_database",
    1044: "unknown_database",  # Access denied for user to database (also when it is missing)
    1130: "not_allowed",      # Host is not allowed to connect
    3159: "tls_required",     # insecure transport prohibited (MySQL)
    2026: "tls_failed",       # SSL connection error / server has no SSL
}


def mysql_failure_kind(code: int | None, message: str) -> tuple[str, str | None] | None:
    """(kind, advice or None) for a PyMySQL connection error ``(code, message)``."""
    m = message.lower()
    if "insecure transport" in m or "secure transport" in m:
        return "tls_required", None
    kind = _MYSQL_CODES.get(code) if code is not None else None
    if kind == "wrong_password":
        return kind, ("Check the user name and password (passwords are case-sensitive) and "
                      "that the account may connect from this server's address "
                      "(user@host). An account created with REQUIRE SSL also answers "
                      "'access denied' without TLS: then set TLS mode to required.")
    if kind == "unknown_database" and code == 1044:
        return kind, ("MySQL and MariaDB answer 'access denied' both for a database that does "
                      "not exist and for one this user may not use: check the database name "
                      "(case-sensitive on most servers), or GRANT the user access to it.")
    if kind == "not_allowed":
        return kind, ("The server has no account for this user from this server's address: "
                      "create 'user'@'<this server's egress IP>' (below) or widen the host part.")
    if kind == "tls_failed" and "doesn't support" in m:
        return kind, ("The server does not offer TLS but TLS mode requires it: enable TLS on "
                      "the database server, or set TLS mode to disabled on a trusted network.")
    if kind:
        return kind, None
    if "packet sequence" in m or "malformed packet" in m or "bad handshake" in m:
        return "wrong_service", None
    network = network_failure_kind(message)
    return (network, None) if network else None


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


def json_result(columns: list[str], raw: Sequence[Any], arrays: bool) -> list[Any]:
    """Rows for the answer: lists (``"rowFormat": "arrays"``) or objects keyed by column."""
    return json_arrays(raw) if arrays else json_rows(columns, raw)
