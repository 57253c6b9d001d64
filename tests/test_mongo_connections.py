"""MongoDB connections: specific failures (unknown host, refused, timeout, auth), login with a
user name and password, a server that goes down and comes back."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from datasources.base import (
    ConnectionFailure,
    DataSourceQueryFailed,
    DataSourceUnavailable,
    QueryRequest,
)
from datasources.mongo import MongoSource
from tests.mongoserver import AuthServer, SecantusServer, free_port, start_secantus

SECRET = "s3cret-Pa55"
FIND = QueryRequest(body={"collection": "orders", "find": {}}, values={})
INSERT = QueryRequest(body={"collection": "orders", "insertOne": {"id": 2}}, values={})


def make_source(url: str, **extra: Any) -> MongoSource:
    return MongoSource("orders_db", {**MongoSource.from_url(url),
                                     "serverSelectionTimeoutMS": 1500, **extra})


def failure(call: Any) -> ConnectionFailure:
    with pytest.raises(ConnectionFailure) as err:
        call()
    assert err.value.status == 502 and err.value.code == "datasource_unavailable"
    assert SECRET not in err.value.message and SECRET not in err.value.advice
    return err.value


@pytest.fixture
def closed_port_source() -> Iterator[MongoSource]:
    source = make_source(f"mongodb://admin:{SECRET}@127.0.0.1:{free_port()}/shop")
    yield source
    source.close()


def test_refused(closed_port_source: MongoSource) -> None:
    started = time.monotonic()
    for call in (closed_port_source.test_connection, lambda: closed_port_source.run(FIND)):
        err = failure(call)
        assert err.kind == "connection_refused" and err.title == "Connection refused"
        assert "connection refused by 127.0.0.1:" in err.message
        assert "'orders_db'" in err.message and "/shop" in err.message
    assert time.monotonic() - started < 8


def test_unknown_host() -> None:
    source = make_source(f"mongodb://u:{SECRET}@no-such-host.invalid:27017/shop")
    try:
        err = failure(source.test_connection)
    finally:
        source.close()
    assert err.kind == "unknown_host" and "unknown host 'no-such-host.invalid'" in err.message


def test_unknown_srv_name() -> None:
    source = make_source(f"mongodb+srv://u:{SECRET}@no-such-cluster.invalid/shop")
    try:
        err = failure(source.test_connection)
    finally:
        source.close()
    assert err.kind == "unknown_host"


def test_no_answer_is_a_timeout() -> None:
    """A port that accepts connections but never answers (a firewall that black-holes)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        source = make_source(f"mongodb://127.0.0.1:{port}/shop", serverSelectionTimeoutMS=1000)
        try:
            started = time.monotonic()
            err = failure(source.test_connection)
        finally:
            source.close()
    assert err.kind == "timeout" and "no answer from 127.0.0.1:" in err.message
    assert time.monotonic() - started < 6


# --- user name and password ------------------------------------------------------------------


def test_right_password_reads_and_writes(mongo_auth_server: AuthServer) -> None:
    source = make_source(mongo_auth_server.url("shop_writer"))
    try:
        assert source.test_connection().server_version.startswith("MongoDB")
        assert source.run(FIND).rows[0]["id"] == 1
        assert source.run(INSERT).rowcount == 1
    finally:
        source.close()


def test_wrong_password_is_refused_clearly(mongo_auth_server: AuthServer) -> None:
    source = make_source(mongo_auth_server.url("shop_writer", SECRET))
    try:
        for call in (source.test_connection, lambda: source.run(FIND)):
            err = failure(call)
            assert err.kind == "wrong_password"
            assert "authentication failed for user 'shop_writer' (authSource 'admin')" \
                in err.message
    finally:
        source.close()
    unknown = make_source(mongo_auth_server.url("nobody", SECRET))
    try:
        assert failure(unknown.test_connection).kind == "wrong_password"
    finally:
        unknown.close()


def test_no_credentials_on_a_server_that_wants_them(mongo_auth_server: AuthServer) -> None:
    source = make_source(mongo_auth_server.url(None))
    try:
        err = failure(source.test_connection)  # ping answers anyone; reading needs a login
        assert err.kind == "database_denied" and "may not read database 'shop'" in err.message
        with pytest.raises(DataSourceQueryFailed) as query_err:
            source.run(FIND)
        assert "requires authentication" in query_err.value.message
    finally:
        source.close()


def test_a_read_only_user_cannot_write(mongo_auth_server: AuthServer) -> None:
    source = make_source(mongo_auth_server.url("shop_reader"))
    try:
        assert source.run(FIND).rows
        with pytest.raises(DataSourceQueryFailed) as err:
            source.run(INSERT)
        assert (err.value.status, err.value.code) == (403, "read_only")
        assert "may only read" in err.value.message
    finally:
        source.close()


# --- a server that goes down and comes back ----------------------------------------------------


@pytest.fixture
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecantusServer]:
    server = start_secantus(tmp_path_factory.mktemp("mongo-down"))
    yield server
    server.stop()


def test_down_then_back(own_server: SecantusServer) -> None:
    source = make_source(own_server.url("shop"))
    write = QueryRequest(body={"collection": "orders", "insertOne": {"id": "<<n>>"}},
                         values={"n": 1})
    try:
        assert source.run(write).rowcount == 1
        with own_server.down():
            started = time.monotonic()
            for request in (FIND, write):
                with pytest.raises(DataSourceUnavailable) as err:
                    source.run(request)
                assert err.value.status == 502
                assert err.value.code == "datasource_unavailable"
                assert "data source 'orders_db'" in err.value.message
            assert time.monotonic() - started < 8
            assert failure(source.test_connection).kind == "connection_refused"
        # The same data source object (its pool) recovers by itself.
        assert [r["id"] for r in source.run(FIND).rows] == [1]
        assert source.test_connection().server_version.startswith("MongoDB")
    finally:
        source.close()
