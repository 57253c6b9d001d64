"""A pooled connection the database server closed is replaced, on PostgreSQL and MariaDB.

The pool does not ping connections when it hands them out (a round trip on every run): the run's
first statement finds a dead one and ``SQLSource._begin`` replaces it once. A connection lost in
the middle of a run fails that run with a clear message; the next run works.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

import datasources
from datasources.base import DataSource, DataSourceUnavailable, QueryRequest

#: (the statement giving the session's id, the statement ending that session from outside)
SESSIONS = {
    "postgresql": ("SELECT pg_backend_pid() AS id", "SELECT pg_terminate_backend({id})"),
    "mysql": ("SELECT CONNECTION_ID() AS id", "KILL {id}"),
}


@pytest.fixture(params=[pytest.param("postgres_url", id="postgresql"),
                        pytest.param("mysql_url", id="mysql")])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, DataSource]]:
    url = request.getfixturevalue(request.param)
    cls = datasources.build_registry().get(datasources.kind_for_url(url))
    source = cls("shop", cls.from_url(url))
    yield url, source
    source.close()


def _run(source: DataSource, sql: str) -> list[dict[str, object]]:
    return source.run(QueryRequest(body=sql, values={})).rows


def _end_session(url: str, session_id: object) -> None:
    kind = "postgresql" if url.startswith("postgresql") else "mysql"
    admin = create_engine(url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(SESSIONS[kind][1].format(id=int(str(session_id))))
            conn.commit()
    finally:
        admin.dispose()


def _session_id(url: str, source: DataSource) -> object:
    kind = "postgresql" if url.startswith("postgresql") else "mysql"
    return _run(source, SESSIONS[kind][0])[0]["id"]


def test_a_connection_closed_between_runs_is_replaced(server: tuple[str, DataSource]) -> None:
    url, source = server
    first = _session_id(url, source)
    _end_session(url, first)
    # No error for the user: the dead connection is found and replaced before the run.
    second = _session_id(url, source)
    assert second != first
    assert _run(source, "SELECT 1 AS one") == [{"one": 1}]


def test_a_connection_lost_during_a_run_fails_that_run_only(
        server: tuple[str, DataSource]) -> None:
    url, source = server
    kind = "postgresql" if url.startswith("postgresql") else "mysql"
    own = "SELECT pg_terminate_backend(pg_backend_pid())" if kind == "postgresql" \
        else "KILL CONNECTION_ID()"
    with pytest.raises(DataSourceUnavailable, match="lost the connection to data source 'shop'"):
        _run(source, own)
    assert _run(source, "SELECT 1 AS one") == [{"one": 1}]
