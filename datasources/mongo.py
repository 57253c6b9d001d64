"""MongoDB data source over the official ``pymongo`` driver (nothing server-specific).

A query is a document written in the app file: a ``collection`` and one operation (``find``,
``findOne``, ``count``, ``distinct``, ``aggregate``, ``insertOne``, ``insertMany``, ``updateOne``,
``updateMany``, ``deleteOne``, ``deleteMany``), plus ``projection``/``sort``/``limit``/``skip`` for
``find``. The parts:

* ``mongo_values.py`` — typed substitution of bindings, extended JSON in and out, operator
  injection refused;
* ``mongo_ops.py`` — the operations, table pages and ``expectRows`` (transactions or a guard);
* ``mongo_paging.py`` — the table's page, sort and filter as a filter and a sort document;
* ``mongo_support.py`` — configuration, URLs, readable connection failures, introspection.

Limits: every operation runs under ``pymongo.timeout(limit)``: the driver sends ``maxTimeMS`` with
each command and bounds server selection and socket waits by the same deadline (-> 504). Reads
return at most ``max_rows`` documents (``truncated``). A read-only data source refuses the write
operations and ``$out``/``$merge`` before anything is sent; give its user only the ``read`` role
too, so the server enforces it as well.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import perf_counter
from typing import Any, ClassVar

import pymongo
from bson.errors import BSONError, InvalidDocument
from pymongo import MongoClient
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ConfigurationError,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)
from pymongo.errors import (
    ConnectionFailure as DriverConnectionFailure,
)
from pymongo.server_type import SERVER_TYPE
from pymongo.topology_description import TOPOLOGY_TYPE

from datasources import mongo_support as support
from datasources.base import (
    ConnectionFailure,
    ConnectionInfo,
    DataSource,
    DataSourceQueryFailed,
    DataSourceTimeout,
    DataSourceUnavailable,
    Limits,
    QueryError,
    QueryInputError,
    QueryRequest,
    QueryResult,
    TableInfo,
)
from datasources.mongo_ops import Operation, parse_query

__all__ = ["MongoSource"]

#: Documents read from each collection by ``introspect``.
SAMPLE_SIZE = 100
#: How long a query waits for servers whose last check failed before reporting them down.
RECHECK_S = 1.0
_TRANSACTIONAL = (TOPOLOGY_TYPE.ReplicaSetWithPrimary, TOPOLOGY_TYPE.Sharded,
                  TOPOLOGY_TYPE.LoadBalanced)


class MongoSource(DataSource):
    kind = "mongodb"
    title = "MongoDB"
    driver = "pymongo"
    schemes: ClassVar[tuple[str, ...]] = support.SCHEMES

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        super().__init__(name, config)
        self._client: MongoClient[dict[str, Any]] | None = None
        self._transactions: bool | None = None
        self._lock = threading.Lock()

    # --- configuration --------------------------------------------------------------------------

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        return support.config_schema()

    @classmethod
    def from_url(cls, url: str) -> dict[str, Any]:
        return support.parse_url(url)

    def _where(self) -> str:
        return support.where(self.config)

    def _database_name(self) -> str:
        name = self.config.get("database") or self._where().split("/", 1)[1]
        if not name:
            raise ConnectionFailure("unknown_database", f"data source {self.name!r} names no "
                                    "database", "Add the database to the URL "
                                    "(mongodb://host:27017/shop) or set the database field.")
        return str(name)

    # --- client ---------------------------------------------------------------------------------

    def client(self) -> MongoClient[dict[str, Any]]:
        """The pooled client (created on first use; it reconnects by itself)."""
        with self._lock:
            if self._client is None:
                self.check_egress()  # the new client's monitors connect at once
                uri, kwargs = support.client_options(self.config)
                self._client = MongoClient(uri, **kwargs) if uri else MongoClient(**kwargs)
            return self._client

    def database(self) -> Database[dict[str, Any]]:
        return self.client()[self._database_name()]

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _start_session(self) -> ClientSession:
        return self.client().start_session()

    def _supports_transactions(self) -> bool:
        """Replica sets, sharded clusters and load-balanced deployments (asked once)."""
        if self._transactions is None:
            client = self.client()
            client.admin.command("ping")
            self._transactions = client.topology_description.topology_type in _TRANSACTIONAL
        return self._transactions

    # --- errors ---------------------------------------------------------------------------------

    def network_targets(self) -> list[tuple[str, int | None]]:
        """The configured hosts (replica-set members the servers announce are not known yet)."""
        return support.targets(self.config)

    def _unavailable(self, exc: BaseException, lost: bool = False,
                     client: MongoClient[Any] | None = None,
                     probe: bool = False) -> DataSourceUnavailable:
        client = client if client is not None else self._client
        servers = [] if client is None else list(
            client.topology_description.server_descriptions().values())
        errors = [sd.error for sd in servers if sd.error is not None]
        unanswered = [f"{host}:{port}" for sd in servers if sd.error is None
                      and sd.server_type == SERVER_TYPE.Unknown for host, port in [sd.address]]
        selection_s = support.selection_ms(self.config, probe) / 1000
        kind, reason, advice = support.connection_failure(exc, errors, self.config, selection_s,
                                                          unanswered)
        verb = "lost the connection to" if lost else "cannot connect to"
        return ConnectionFailure(kind, support.clean(
            f"{verb} data source {self.name!r} ({self._where()}): {reason}", self.config), advice)

    @contextmanager
    def _errors(self, timeout: float | None, write: bool = False,
                probe: Callable[[], MongoClient[Any] | None] | None = None) -> Iterator[None]:
        """Run under the time limit; driver errors become the ``QueryError`` family.

        ``probe`` gives the short-lived client of ``test_connection``, whose monitors know why
        a server could not be reached (and skips the pooled client's server check);
        ``timeout`` None: no time limit of its own.
        """
        try:
            if probe is None:
                self._reachable(write)
            else:
                self.check_egress()
            if timeout is None:
                yield
            else:
                with pymongo.timeout(timeout):
                    yield
        except QueryError:
            raise
        except (ServerSelectionTimeoutError, ConfigurationError) as exc:
            client = probe() if probe is not None else None
            raise self._unavailable(exc, client=client, probe=probe is not None) from None
        except PyMongoError as exc:
            if probe is not None and isinstance(exc, OperationFailure) \
                    and exc.code == support.AUTH_FAILED:
                raise self._unavailable(exc, client=probe(), probe=True) from None
            limit = timeout if timeout is not None else support.PROBE_TIMEOUT_S
            raise self._query_error(exc, limit, write) from None
        except (InvalidDocument, BSONError, OverflowError) as exc:
            raise QueryInputError(f"MongoDB cannot store this value: {exc}") from None
        except (ValueError, TypeError) as exc:  # the driver's checks of a query's shape
            raise QueryInputError(f"MongoDB cannot run this query: {exc}") from None

    def _reachable(self, write: bool) -> None:
        """Fail fast when no server can take the operation.

        Under ``pymongo.timeout`` the driver would wait the query's whole time limit for a
        server. A healthy server costs nothing here (the monitors already know it). Otherwise
        the driver is asked for one outside that limit: for up to ``RECHECK_S`` when the last
        check of every server failed (refused, unknown host: down, not failing over), else for
        up to serverSelectionTimeoutMS (an election, a first connection). Asking also makes
        the monitors check again at once, so a server that is back is seen immediately.

        The egress guard is asked when the client is created and here, before the driver
        connects anew (the host may resolve differently): not on every query, which would cost
        a DNS lookup of every configured host each time.
        """
        client = self.client()
        topology = client.topology_description
        if topology.has_writable_server() if write else topology.has_readable_server():
            return
        self.check_egress()
        servers = list(topology.server_descriptions().values())
        if servers and all(sd.error is not None for sd in servers):
            selection_s = support.selection_ms(self.config) / 1000
            with pymongo.timeout(min(RECHECK_S, selection_s)):
                client.admin.command("ping")
        else:
            client.admin.command("ping")

    def _query_error(self, exc: PyMongoError, timeout: float, write: bool) -> QueryError:
        if support.is_timeout(exc):
            return DataSourceTimeout(f"the query ran longer than the {timeout:g} s time limit of "
                                     f"data source {self.name!r} and was cancelled")
        if isinstance(exc, OperationFailure) and exc.code == support.AUTH_FAILED:
            return self._unavailable(exc)
        if isinstance(exc, AutoReconnect | DriverConnectionFailure):
            return self._unavailable(exc, lost=True)
        message = support.clean(support.driver_text(exc), self.config)
        if isinstance(exc, OperationFailure) and exc.code == support.UNAUTHORIZED and write:
            return DataSourceQueryFailed(f"data source {self.name!r} may only read: {message}",
                                         status=403, code="read_only")
        if isinstance(exc, BulkWriteError):
            inserted = (exc.details or {}).get("nInserted", 0)
            if inserted:
                message += f" ({inserted} document(s) before it were inserted)"
        return DataSourceQueryFailed(f"MongoDB error: {message}")

    # --- the DataSource API ---------------------------------------------------------------------

    def test_connection(self) -> ConnectionInfo:
        """Connect once with a fresh client and short timeouts; check the user may read."""
        client: MongoClient[dict[str, Any]] | None = None
        try:
            with self._errors(None, probe=lambda: client):
                uri, kwargs = support.client_options(self.config, probe=True)
                started = perf_counter()
                client = MongoClient(uri, **kwargs) if uri else MongoClient(**kwargs)
                db = client[self._database_name()]
                left = _first_check(client, kwargs["serverSelectionTimeoutMS"] / 1000)
                with pymongo.timeout(max(left, 0.5)):  # the whole probe stays within its limit
                    db.command("ping")  # finds the server, connects, logs in
                connect_ms = (perf_counter() - started) * 1000
                with pymongo.timeout(support.PROBE_TIMEOUT_S):
                    started = perf_counter()
                    db.command("ping")
                    latency = (perf_counter() - started) * 1000
                    version = client.server_info().get("version", "?")
                    self._check_access(db)
        finally:
            if client is not None:
                client.close()
        return ConnectionInfo(server_version=f"MongoDB {version}", latency_ms=latency,
                              connect_ms=connect_ms)

    def _check_access(self, db: Database[dict[str, Any]]) -> None:
        """Ping needs no login on some servers: check that the user may read the database."""
        try:
            db.list_collection_names(authorizedCollections=True)
        except OperationFailure as exc:
            if exc.code != support.UNAUTHORIZED:
                raise
            raise ConnectionFailure("database_denied", support.clean(
                f"connected to data source {self.name!r} ({self._where()}) but may not read "
                f"database {db.name!r}: {support.driver_text(exc)}", self.config),
                "Grant the user a role on this database (read, or readWrite), log in as another "
                "user, or check the credentials: some servers let anyone connect and refuse "
                "only the queries.") from None

    def introspect(self) -> list[TableInfo]:
        """Collections, with the fields seen in their first documents and those fields' types."""
        tables = []
        with self._errors(self._timeout(Limits(timeout_s=30))):
            db = self.database()
            for name in sorted(db.list_collection_names()):
                if name.startswith("system."):
                    continue
                docs = list(db[name].find({}, limit=SAMPLE_SIZE))
                tables.append(TableInfo(name=name, columns=support.sample_fields(docs)))
        return tables

    def run(self, request: QueryRequest) -> QueryResult:
        started = perf_counter()
        query = parse_query(request.body)
        if self.read_only and query.writes:
            what = "$out/$merge" if query.op == "aggregate" else query.op
            raise DataSourceQueryFailed(f"data source {self.name!r} is read-only: {what} is a "
                                        "write", status=403, code="read_only")
        with self._errors(self._timeout(request.limits), write=query.writes):
            operation = Operation(self.database()[query.collection], query, request,
                                  transactions=self._supports_transactions,
                                  start_session=self._start_session)
            result = operation.run()
        result.duration_ms = (perf_counter() - started) * 1000
        return result


def _first_check(client: MongoClient[Any], wait_s: float) -> float:
    """Wait for the monitors' first look at the servers; fail at once if every one failed.

    A refused port or an unknown host is then reported in milliseconds, as on the SQL sources,
    instead of after the whole server selection timeout (which waits for a failover). Returns
    the seconds left of ``wait_s``.
    """
    deadline = perf_counter() + wait_s
    while perf_counter() < deadline:
        topology = client.topology_description
        if topology.has_readable_server():
            break
        servers = list(topology.server_descriptions().values())
        if servers and all(sd.error is not None for sd in servers):
            raise ServerSelectionTimeoutError("no server could be reached")
        time.sleep(0.01)
    return deadline - perf_counter()
