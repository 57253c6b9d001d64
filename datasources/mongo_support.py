"""Helpers of the MongoDB data source: configuration schema, connection URLs, readable failures."""

from __future__ import annotations

import errno
import re
import socket
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pymongo import uri_parser
from pymongo.errors import (
    ConfigurationError,
    InvalidURI,
    NetworkTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from datasources.base import ColumnInfo, one_line, scrub

DEFAULT_PORT = 27017
DEFAULT_SERVER_SELECTION_MS = 5000
#: ``test_connection`` waits at most this long for a server (whatever the configured timeout),
#: so an admin gets an answer within 5 s, as with the SQL sources.
PROBE_TIMEOUT_S = 4
SCHEMES = ("mongodb", "mongodb+srv")
AUTH_FAILED = 18
UNAUTHORIZED = 13
MAX_TIME_EXPIRED = 50

#: URL query options that map onto configuration fields; any other keeps the whole URI.
_FIELD_OPTIONS = {"authsource": "authSource", "replicaset": "replicaSet", "tls": "tls",
                  "ssl": "tls", "tlscafile": "tlsCAFile",
                  "serverselectiontimeoutms": "serverSelectionTimeoutMS"}


def config_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "MongoDB",
        "type": "object",
        "properties": {
            "url": {
                "type": "string", "writeOnly": True, "title": "Connection URL",
                "description": "mongodb://user:password@host:27017/database?authSource=admin or "
                               "mongodb+srv://... (instead of the fields below; the database "
                               "field may complete it)",
            },
            "host": {"type": "string", "title": "Host"},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": DEFAULT_PORT},
            "database": {"type": "string", "title": "Database"},
            "user": {"type": "string", "title": "User"},
            "password": {"type": "string", "writeOnly": True, "title": "Password"},
            "authSource": {"type": "string", "title": "Authentication database",
                           "default": "admin",
                           "description": "Where the user is defined (default admin)"},
            "tls": {"type": "boolean", "default": False, "title": "TLS"},
            "tlsCAFile": {"type": "string", "title": "CA file (TLS)"},
            "replicaSet": {"type": "string", "title": "Replica set name"},
            "serverSelectionTimeoutMS": {
                "type": "integer", "minimum": 100, "maximum": 120_000,
                "default": DEFAULT_SERVER_SELECTION_MS, "title": "Server selection timeout (ms)",
                "description": "How long a query waits for a reachable server before failing",
            },
            "pool_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
            "statement_timeout_s": {
                "type": "number", "exclusiveMinimum": 0, "maximum": 3600,
                "title": "Statement timeout (s)",
                "description": "Upper bound for every operation (maxTimeMS); a query's own "
                               "timeout may be shorter.",
            },
            "read_only": {
                "type": "boolean", "default": False, "title": "Read-only",
                "description": "Refuse inserts, updates, deletes and $out/$merge; give the "
                               "user only the read role as well.",
            },
        },
        "anyOf": [{"required": ["url"]}, {"required": ["host", "database"]}],
        "additionalProperties": False,
    }


def parse_url(url: str) -> dict[str, Any]:
    """The configuration of a connection URL (raises ``ValueError``).

    A one-host ``mongodb://`` URL whose options all have fields becomes those fields; anything
    else (``mongodb+srv://``, several hosts, other options) is kept whole as ``url``.
    """
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SCHEMES:
        raise ValueError("a MongoDB URL starts with mongodb:// or mongodb+srv://")
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/")) or None
    if not database:
        raise ValueError("a MongoDB URL names its database: mongodb://host:27017/shop")
    if scheme == "mongodb":
        try:
            uri_parser.parse_uri(url, validate=True)
        except (InvalidURI, ConfigurationError, ValueError) as exc:
            raise ValueError(f"not a valid MongoDB URL: {exc}") from None
    hosts = parts.netloc.rpartition("@")[2]
    query = parse_qsl(parts.query, keep_blank_values=True)
    simple = scheme == "mongodb" and "," not in hosts and all(
        k.lower() in _FIELD_OPTIONS for k, _ in query)
    if not simple:
        return {"url": url, "database": database}
    config: dict[str, Any] = {"host": parts.hostname, "port": parts.port or DEFAULT_PORT,
                              "database": database}
    if parts.username:
        config["user"] = unquote(parts.username)
        # The URI rule: without authSource, the user is defined in the URL's database.
        config["authSource"] = database
    if parts.password is not None:
        config["password"] = unquote(parts.password)
    for key, value in query:
        field = _FIELD_OPTIONS[key.lower()]
        if field == "tls":
            config[field] = value.lower() == "true"
        elif field == "serverSelectionTimeoutMS":
            config[field] = int(value)
        else:
            config[field] = value
    return config


def selection_ms(cfg: dict[str, Any], probe: bool = False) -> int:
    """How long an operation waits for a usable server (``serverSelectionTimeoutMS``)."""
    configured = int(cfg.get("serverSelectionTimeoutMS") or DEFAULT_SERVER_SELECTION_MS)
    return min(configured, PROBE_TIMEOUT_S * 1000) if probe else configured


def client_options(cfg: dict[str, Any], probe: bool = False) -> tuple[str | None, dict[str, Any]]:
    """(URL or None, keyword arguments) for ``MongoClient``; ``probe``: one connection, short
    timeouts (``test_connection``)."""
    timeout_ms = selection_ms(cfg, probe)
    kwargs: dict[str, Any] = {
        "serverSelectionTimeoutMS": timeout_ms,
        "connectTimeoutMS": min(timeout_ms, 10_000),
        "maxPoolSize": 1 if probe else int(cfg.get("pool_size", 5)),
        "appname": "toolcrib",
        "uuidRepresentation": "standard",
        "tz_aware": False,
    }
    if cfg.get("url"):
        for key in ("replicaSet", "tlsCAFile"):
            if cfg.get(key):
                kwargs[key] = cfg[key]
        if cfg.get("tls"):
            kwargs["tls"] = True
        return str(cfg["url"]), kwargs
    kwargs.update(host=cfg.get("host"), port=int(cfg.get("port") or DEFAULT_PORT),
                  tls=bool(cfg.get("tls", False)))
    if cfg.get("user"):
        kwargs.update(username=cfg["user"], password=cfg.get("password") or "",
                      authSource=cfg.get("authSource") or "admin")
    for key in ("replicaSet", "tlsCAFile"):
        if cfg.get(key):
            kwargs[key] = cfg[key]
    return None, kwargs


def targets(cfg: dict[str, Any]) -> list[tuple[str, int | None]]:
    """The (host, port) pairs a configuration names (an SRV name has no port)."""
    if not cfg.get("url"):
        return [(str(cfg["host"]), int(cfg.get("port") or DEFAULT_PORT))] if cfg.get("host") \
            else []
    parts = urlsplit(str(cfg["url"]))
    srv = parts.scheme.lower() == "mongodb+srv"
    found: list[tuple[str, int | None]] = []
    for item in parts.netloc.rpartition("@")[2].split(","):
        host, _, port = item.rpartition(":") if not item.endswith("]") else (item, "", "")
        if not host or not port.isdigit():
            host, port = item, ""
        found.append((unquote(host).strip("[]"),
                      None if srv else int(port) if port else DEFAULT_PORT))
    return found


def where(cfg: dict[str, Any]) -> str:
    """``host:port/database`` for messages (never credentials)."""
    database = cfg.get("database") or ""
    if cfg.get("url"):
        parts = urlsplit(str(cfg["url"]))
        hosts = parts.netloc.rpartition("@")[2]
        return f"{hosts}/{database or unquote(parts.path.lstrip('/'))}"
    return f"{cfg.get('host', '')}:{cfg.get('port') or DEFAULT_PORT}/{database}"


# --- failures -----------------------------------------------------------------------------------

_UNKNOWN_HOST = re.compile(r"Name or service not known|nodename nor servname|No address "
                           r"associated|Temporary failure in name resolution|getaddrinfo failed|"
                           r"DNS query name does not exist|None of DNS query names exist|"
                           r"\[Errno -[235]\]", re.I)
_REFUSED = re.compile(r"Connection refused|\[Errno 111\]|actively refused", re.I)
_TLS = re.compile(r"SSL|TLS|certificate", re.I)


def driver_text(exc: BaseException) -> str:
    """The driver's message without the topology dump and the ``full error`` document."""
    if isinstance(exc, OperationFailure):
        details = exc.details or {}
        message = details.get("errmsg") or str(exc).split(", full error:", 1)[0]
        write_errors = details.get("writeErrors")
        if write_errors:
            message = write_errors[0].get("errmsg", message)
        return one_line(str(message))
    text = str(exc)
    for cut in (", Timeout:", " (configured timeouts:"):
        text = text.split(cut, 1)[0]
    return one_line(text) or type(exc).__name__


def _host_of(text: str) -> str:
    match = re.match(r"^\s*([^\s:]+(?::\d+)?):", text)
    return match.group(1) if match else ""


def connection_failure(exc: BaseException, server_errors: list[BaseException],
                       cfg: dict[str, Any], selection_s: float,
                       unanswered: list[str] | None = None) -> tuple[str, str, str | None]:
    """(failure kind, one sentence for people, advice or None) for a failure to connect.

    The kinds are ``datasources.base.FAILURE_KINDS``; the monitors' errors (``server_errors``)
    say more than a server-selection timeout does. ``unanswered``: servers (``host:port``) still
    waiting for their first answer when the time ran out.
    """
    if isinstance(exc, OperationFailure) and exc.code == AUTH_FAILED:
        user = cfg.get("user") or _url_user(cfg) or "(none)"
        source = cfg.get("authSource") or _url_option(cfg, "authSource") or "admin"
        return ("wrong_password",
                f"authentication failed for user {user!r} (authSource {source!r})",
                "Check the user name and password (both case-sensitive) and authSource: the "
                "database where the user was created, usually admin.")
    if isinstance(exc, ServerSelectionTimeoutError) and not server_errors and unanswered:
        return ("timeout", f"no answer from {', '.join(unanswered)} within {selection_s:g} s",
                None)
    if isinstance(exc, ServerSelectionTimeoutError) and not server_errors:
        return ("other", f"no suitable server answered within {selection_s:g} s "
                         f"({driver_text(exc)})",
                "The servers answered but none could serve this connection: check the replica "
                "set name and the hosts in the URI.")
    found = [_network_failure(err, selection_s) for err in server_errors or [exc]]
    kinds = list(dict.fromkeys(kind for kind, _ in found))
    reason = "; ".join(dict.fromkeys(text for _, text in found))
    return (kinds[0] if len(kinds) == 1 else "other"), reason, None


def _network_failure(err: BaseException, selection_s: float) -> tuple[str, str]:
    text = str(err)
    host = _host_of(text)
    at = f" {host}" if host else ""
    cause = err.__cause__ or err.__context__
    if _UNKNOWN_HOST.search(text) or isinstance(cause, socket.gaierror):
        name = host.rsplit(":", 1)[0] if host else ""
        return "unknown_host", (f"unknown host {name!r}" if name
                                else f"unknown host ({driver_text(err)})")
    if _REFUSED.search(text) or (isinstance(cause, OSError)
                                 and cause.errno == errno.ECONNREFUSED):
        return "connection_refused", f"connection refused by{at}"
    if re.search(r"no route to host|network is unreachable|host is unreachable", text, re.I):
        return "unreachable", f"no route to{at}"
    if isinstance(err, NetworkTimeout) or "timed out" in text:
        return "timeout", f"no answer from{at} within {selection_s:g} s"
    if _TLS.search(text):
        return "tls_failed", f"TLS handshake with{at} failed: {driver_text(err)}"
    return "other", driver_text(err)


def _url_user(cfg: dict[str, Any]) -> str | None:
    if not cfg.get("url"):
        return None
    user = urlsplit(str(cfg["url"])).username
    return unquote(user) if user else None


def _url_option(cfg: dict[str, Any], name: str) -> str | None:
    if not cfg.get("url"):
        return None
    for key, value in parse_qsl(urlsplit(str(cfg["url"])).query):
        if key.lower() == name.lower():
            return value
    return None


def secrets_of(cfg: dict[str, Any]) -> list[str | None]:
    secrets: list[str | None] = [cfg.get("password")]
    if cfg.get("url"):
        password = urlsplit(str(cfg["url"])).password
        secrets += [password, unquote(password) if password else None]
    return secrets


def clean(message: str, cfg: dict[str, Any]) -> str:
    return scrub(message, secrets_of(cfg))


def is_timeout(exc: PyMongoError) -> bool:
    if isinstance(exc, ServerSelectionTimeoutError):
        return False
    if isinstance(exc, OperationFailure) and exc.code == MAX_TIME_EXPIRED:
        return True
    return bool(getattr(exc, "timeout", False))


# --- introspection ------------------------------------------------------------------------------

_TYPE_NAMES = {"str": "string", "bool": "bool", "float": "double", "Decimal128": "decimal",
               "datetime": "date", "ObjectId": "objectId", "dict": "object", "list": "array",
               "NoneType": "null", "Binary": "binData", "bytes": "binData", "Regex": "regex",
               "Timestamp": "timestamp", "Int64": "long"}


def type_name(value: Any) -> str:
    """The BSON type alias of a value as pymongo returns it (``$type`` names)."""
    if type(value) is int:
        return "int" if -(2**31) <= value < 2**31 else "long"
    return _TYPE_NAMES.get(type(value).__name__, type(value).__name__)


def sample_fields(docs: list[dict[str, Any]], depth: int = 3) -> list[ColumnInfo]:
    """Field paths of a sample (sub-documents as ``a.b``) with the types seen, ``_id`` first.

    A field is nullable when it held null or was missing from a document that had its parent.
    """
    types: dict[str, set[str]] = {}
    present: dict[str, int] = {}

    def walk(doc: dict[str, Any], prefix: str, level: int) -> None:
        for key, value in doc.items():
            path = f"{prefix}{key}"
            types.setdefault(path, set()).add(type_name(value))
            present[path] = present.get(path, 0) + 1
            if isinstance(value, dict) and level < depth:
                walk(value, f"{path}.", level + 1)

    for doc in docs:
        walk(doc, "", 1)
    seen_order = list(types)
    columns = []
    for path in sorted(seen_order, key=lambda p: (p != "_id", seen_order.index(p))):
        seen = types[path]
        parent = path.rsplit(".", 1)[0] if "." in path else None
        expected = present.get(parent, 0) if parent else len(docs)
        columns.append(ColumnInfo(name=path, type=" | ".join(sorted(seen - {"null"})) or "null",
                                  nullable="null" in seen or present[path] < expected))
    return columns
