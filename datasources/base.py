"""The contract every data source kind implements (SQL engines, MongoDB, ...).

The engine (``builder/queries.py``) evaluates a named query's ``<<expr>>`` bindings against the
request state, then hands the data source the query body and the values; the data source binds them
as driver parameters, runs with the limits, and answers a :class:`QueryResult`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
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


@dataclass(frozen=True)
class PageRequest:
    size: int = 20
    number: int = 1  # 1-based
    sort: tuple[SortKey, ...] = ()
    filter: tuple[FilterClause, ...] = ()
    want_total: bool = True


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


@dataclass
class QueryResult:
    rows: list[dict[str, Any]]
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
    latency_ms: float


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

    @classmethod
    @abstractmethod
    def config_schema(cls) -> dict[str, Any]:
        """JSON Schema of the configuration (secret fields carry ``"writeOnly": true``)."""

    @classmethod
    def from_url(cls, url: str) -> dict[str, Any]:
        """The configuration for a connection URL (``toolcrib datasource add --url``)."""
        raise ValueError(f"a {cls.title} data source cannot be configured from a URL")

    @abstractmethod
    def test_connection(self) -> ConnectionInfo: ...

    @abstractmethod
    def run(self, request: QueryRequest) -> QueryResult: ...

    @abstractmethod
    def introspect(self) -> list[TableInfo]: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release pooled connections."""
