"""A pooled connection the database server closed is replaced, on PostgreSQL and MariaDB.

The pool does not ping connections when it hands them out (a round trip on every run): the run's
first statement finds a dead one and ``SQLSource._begin`` replaces it once. A connection lost in
the middle of a run fails that run with a clear message; the next run works.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine

import datasources
from datasources.base import DataSource, DataSourceUnavailable, QueryRequest

#: Per engine: the statement giving the session's id, the one ending that session from outside,
#: and the one a run uses to end its own session.
SESSIONS = {
    "postgres_url": ("SELECT pg_backend_pid() AS id", "SELECT pg_terminate_backend({id})",
                     "SELECT pg_terminate_backend(pg_backend_pid())"),
    "mysql_url": ("SELECT CONNECTION_ID() AS id", "KILL {id}", "KILL CONNECTION_ID()"),
}


@dataclass
class Server:
    url: str
    source: DataSource
    own_id: str  # SESSIONS' statements for this engine
    end_other: str
    end_own: str


@pytest.fixture(params=[pytest.param("postgres_url", id="postgresql"),
                        pytest.param("mysql_url", id="mysql")])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    url = request.getfixturevalue(request.param)
    cls = datasources.build_registry().get(datasources.kind_for_url(url))
    source = cls("shop", cls.from_url(url))
    yield Server(url, source, *SESSIONS[request.param])
    source.close()


def _run(source: DataSource, sql: str) -> list[dict[str, object]]:
    return source.run(QueryRequest(body=sql, values={})).rows


def _end_session(server: Server, session_id: object) -> None:
    admin = create_engine(server.url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(server.end_other.format(id=int(str(session_id))))
            conn.commit()
    finally:
        admin.dispose()


def test_a_connection_closed_between_runs_is_replaced(server: Server) -> None:
    first = _run(server.source, server.own_id)[0]["id"]
    _end_session(server, first)
    # No error for the user: the dead connection is found and replaced before the run.
    second = _run(server.source, server.own_id)[0]["id"]
    assert second != first
    assert _run(server.source, "SELECT 1 AS one") == [{"one": 1}]


def test_a_connection_lost_during_a_run_fails_that_run_only(server: Server) -> None:
    with pytest.raises(DataSourceUnavailable, match="lost the connection to data source 'shop'"):
        _run(server.source, server.end_own)
    assert _run(server.source, "SELECT 1 AS one") == [{"one": 1}]
