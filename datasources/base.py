"""The contract every data source kind implements (SQL engines, MongoDB, ...).

The engine (``builder/queries.py``) evaluates a named query's ``<<expr>>`` bindings against the
request state, then hands the data source the query body and the values; the data source binds them
as driver parameters, runs with the limits, and answers a :class:`QueryResult`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar


class QueryError(Exception):
    """A failure with a message a person can act on and the HTTP status to answer with."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class QueryInputError(QueryError):
    """The request is wrong (bad value, unknown sort column, missing value): 400."""

    status = 400
    code = "bad_input"


class DataSourceUnavailable(QueryError):
    """The database cannot be reached or failed at connection level: 502."""

    status = 502
    code = "datasource_unavailable"


#: Why a connection attempt failed (``ConnectionFailure.kind``), with a title for people.
FAILURE_KINDS: dict[str, str] = {
    "unknown_host": "Unknown host",
    "connection_refused": "Connection refused",
    "timeout": "Timed out",
    "unreachable": "Network unreachable",
    "wrong_password": "Wrong user name or password",
    "unknown_database": "Unknown database",
    "database_denied": "No access to the database",
    "tls_required": "The server requires TLS",
    "tls_failed": "TLS failed",
    "not_allowed": "This server's address is not allowed",
    "wrong_service": "Not a database server of this kind",
    "missing_file": "Database file not found",
    "egress_refused": "Refused by the egress guard",
    "other": "Cannot connect",
}

#: What to check for each kind, unless the data source gives more precise advice.
FAILURE_ADVICE: dict[str, str] = {
    "unknown_host": "Check the host name for typos. A name that only resolves inside a private "
                    "network or VPN must resolve from this server too.",
    "connection_refused": "Nothing accepts connections on that port: check the port, that the "
                          "database server is running and that it listens on the network, not "
                          "only on localhost.",
    "timeout": "No answer in time: a firewall or security group is probably dropping this "
               "server's packets. For a cloud database, add this server's egress IP (below) to "
               "its allowlist; check the host and port.",
    "unreachable": "This server has no route to that address: check the host, VPN or peering.",
    "wrong_password": "Check the user name and password (passwords are case-sensitive), and that "
                      "the user may connect from this server's address.",
    "unknown_database": "Check the database name (it is case-sensitive on most servers), or "
                        "create the database.",
    "database_denied": "Grant the user access to this database, or use another user.",
    "tls_required": "The server refuses unencrypted connections: set TLS mode to require (or "
                    "a verifying mode with the server's CA).",
    "tls_failed": "Check the TLS mode: the server may not offer TLS, or its certificate does not "
                  "verify against the CA and host name given.",
    "not_allowed": "The database server does not accept connections from this server's "
                   "address: add this server's egress IP (below) to the database's allowlist "
                   "(pg_hba.conf, the user's host, or the cloud console).",
    "wrong_service": "Something answered on that port, but not a database of this kind: check "
                     "the port and the kind.",
    "missing_file": "Check the path; the file must exist and be readable by the Toolcrib "
                    "server's user.",
    "egress_refused": "An admin can allow the host under Data sources → Egress.",
    "other": "Check the host, port and credentials; the database's own message is above.",
}


class ConnectionFailure(DataSourceUnavailable):
    """A connection attempt failed for a known reason.

    ``kind`` is one of :data:`FAILURE_KINDS`; ``message`` names the data source and where it
    points (never a password); ``advice`` says what to check. Raised by ``test_connection`` and
    by any query that cannot connect, so the API answers it like any ``DataSourceUnavailable``.
    """

    def __init__(self, kind: str, message: str, advice: str | None = None, *,
                 status: int | None = None, code: str | None = None) -> None:
        super().__init__(message, status=status, code=code)
        self.kind = kind if kind in FAILURE_KINDS else "other"
        self.advice = advice if advice is not None else FAILURE_ADVICE[self.kind]

    @property
    def title(self) -> str:
        return FAILURE_KINDS[self.kind]


def one_line(message: str) -> str:
    """Collapse a multi-line driver message into one readable line."""
    return re.sub(r"\s+", " ", message).strip()


def scrub(message: str, secrets: Sequence[str | None]) -> str:
    """Remove secrets (a password) from a message, should a driver ever echo one."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            message = message.replace(secret, "***")
    return message


#: Called with (host, port) before a data source opens a network connection; raises
#: ``ConnectionFailure`` (kind ``egress_refused`` or ``unknown_host``) to stop it.
EgressGuard = Callable[[str, int | None], None]


class DataSourceQueryFailed(QueryError):
    """The database refused the statement (syntax, constraint, ...): 502 with its message."""

    status = 502
    code = "query_failed"


class DataSourceTimeout(QueryError):
    """The statement ran past its time limit and was cancelled: 504."""

    status = 504
    code = "timeout"


class RowCountMismatch(QueryError):
    """``expectRows`` did not hold; the transaction was rolled back: 409."""

    status = 409
    code = "row_count_mismatch"


@dataclass(frozen=True)
class SortKey:
    column: str
    descending: bool = False


@dataclass(frozen=True)
class FilterClause:
    column: str
    op: str  # one of FILTER_OPS
    value: Any = None


FILTER_OPS = ("=", "!=", "<", "<=", ">", ">=", "contains", "starts", "in", "null", "notnull")


#: The most rows one table page holds (a larger ``PageRequest.size`` is capped to it).
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class PageRequest:
    size: int = 20
    number: int = 1  # 1-based
    sort: tuple[SortKey, ...] = ()
    filter: tuple[FilterClause, ...] = ()
    want_total: bool = True
    #: The total the browser already has (a page turn without ``want_total``): only a hint for
    #: deciding to count anyway when the page lies past the middle, so it can be read from the
    #: other end. It never replaces the count.
    total_hint: int | None = None
    #: The column that tells rows apart (a table's ``rowKey``). With no sort, a SQL page is
    #: ordered by it when the query returns it and has no ORDER BY of its own: pages then never
    #: overlap, and a page past the middle is read from the other end (``wrap_page``).
    key: str | None = None

    def window(self) -> tuple[int, int]:
        """(size, offset) of the page, the size capped at ``MAX_PAGE_SIZE``."""
        if self.number < 1 or self.size < 1:
            raise QueryInputError("the page number and page size must be 1 or more")
        size = min(self.size, MAX_PAGE_SIZE)
        return size, (self.number - 1) * size


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0
    max_rows: int = 10_000


@dataclass
class QueryRequest:
    #: The query text from the app file: SQL for SQL sources, a document for MongoDB.
    body: Any
    #: Value of each ``<<expr>>`` in ``body``, keyed by the expression's source text (stripped).
    values: dict[str, Any]
    page: PageRequest | None = None
    limits: Limits = field(default_factory=Limits)
    expect_rows: int | None = None
    #: Rows as lists in ``columns`` order instead of objects, when the source can (SQL; the
    #: browser's runtime asks for them: no column names repeated in every row of the answer).
    rows_as_arrays: bool = False


@dataclass
class QueryResult:
    #: Objects keyed by column, or lists in ``columns`` order (``QueryRequest.rows_as_arrays``).
    rows: list[Any]
    columns: list[str]
    rowcount: int | None = None
    total: int | None = None
    has_more: bool | None = None
    truncated: bool = False
    duration_ms: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "columns": self.columns,
            "rowcount": self.rowcount,
            "total": self.total,
            "has_more": self.has_more,
            "truncated": self.truncated,
            "duration_ms": round(self.duration_ms, 2),
        }


@dataclass
class ConnectionInfo:
    server_version: str
    #: One round trip of a trivial statement on the open connection.
    latency_ms: float
    #: Opening the connection (DNS, TCP, TLS, sign-in), when measured.
    connect_ms: float | None = None


@dataclass
class ColumnInfo:
    name: str
    type: str
    nullable: bool = True


@dataclass
class TableInfo:
    name: str
    columns: list[ColumnInfo]


class DataSource(ABC):
    """One configured connection. Instances are long-lived and own a connection pool."""

    kind: ClassVar[str]
    title: ClassVar[str]

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        self.name = name
        self.config = config
        #: Set by the server (``builder/connections.py``): checks every host before connecting.
        self.egress_guard: EgressGuard | None = None

    @classmethod
    @abstractmethod
    def config_schema(cls) -> dict[str, Any]:
        """JSON Schema of the configuration (secret fields carry ``"writeOnly": true``)."""

    @classmethod
    def from_url(cls, url: str) -> dict[str, Any]:
        """The configuration for a connection URL (``toolcrib datasource add --url``)."""
        raise ValueError(f"a {cls.title} data source cannot be configured from a URL")

    @property
    def read_only(self) -> bool:
        """Writes are refused by the database session itself (a read-only transaction)."""
        return bool(self.config.get("read_only"))

    def _timeout(self, limits: Limits) -> float:
        """The run's time limit, capped by the data source's own ``statement_timeout_s``."""
        ceiling = self.config.get("statement_timeout_s")
        return min(limits.timeout_s, float(ceiling)) if ceiling else limits.timeout_s

    def network_targets(self) -> list[tuple[str, int | None]]:
        """The (host, port) pairs this data source connects to; none for local files.

        The egress guard checks each before a connection is opened: a kind that talks to the
        network returns its hosts here and calls :meth:`check_egress` before connecting.
        """
        return []

    def check_egress(self) -> None:
        """Ask the egress guard about every network target (raises ``ConnectionFailure``)."""
        if self.egress_guard is None:
            return
        for host, port in self.network_targets():
            try:
                self.egress_guard(host, port)
            except ConnectionFailure as exc:
                if exc.kind != "unknown_host":
                    raise
                raise ConnectionFailure(exc.kind, f"cannot connect to data source {self.name!r}: "
                                                  f"{exc.message}") from None

    @abstractmethod
    def test_connection(self) -> ConnectionInfo:
        """Connect once, quickly (a few seconds at most), and report the server.

        Raises :class:`ConnectionFailure` with the reason when it cannot connect.
        """

    @abstractmethod
    def run(self, request: QueryRequest) -> QueryResult: ...

    @abstractmethod
    def introspect(self) -> list[TableInfo]: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release pooled connections."""
