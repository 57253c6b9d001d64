"""SQL data sources: unreachable servers, recovery, URLs, registry, JSON conversion."""

from __future__ import annotations

import socket
import time
from contextlib import suppress
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

import datasources
from datasources.base import DataSourceUnavailable, QueryRequest
from datasources.sql_support import json_value
from tests.tcpproxy import TcpProxy
from tests.test_sql_datasources import make_source

# --- unreachable servers ------------------------------------------------------------------------


class Proxy(TcpProxy):
    """``TcpProxy`` whose ``stop`` really stops listening.

    Closing a listening socket does not wake the thread blocked in ``accept()``, which then
    keeps accepting; shutting it down first does.
    """

    def stop(self) -> None:
        if self._listener is not None:
            with suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
        super().stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_closed_port_is_unavailable_quickly_without_password(scheme: str) -> None:
    source = make_source(f"{scheme}://admin:s3cret-Pa55@127.0.0.1:{free_port()}/shop")
    started = time.monotonic()
    try:
        for call in (source.test_connection,
                     lambda: source.run(QueryRequest(body="SELECT 1", values={}))):
            with pytest.raises(DataSourceUnavailable) as err:
                call()
            assert err.value.status == 502 and err.value.code == "datasource_unavailable"
            assert "s3cret-Pa55" not in err.value.message and "shop" in err.value.message
    finally:
        source.close()
    assert time.monotonic() - started < 5


@pytest.mark.server
@pytest.mark.parametrize("url_fixture", ["mysql_url", "postgres_url"])
@pytest.mark.parametrize(("change", "needle"), [
    ({"database": "toolcrib_no_such_db"}, "toolcrib_no_such_db"),
    ({"username": "toolcrib_no_such_user"}, "toolcrib_no_such_user"),
    ({"host": "no-such-host.invalid"}, "no-such-host.invalid"),
])
def test_connection_failures_are_unavailable(request: pytest.FixtureRequest, url_fixture: str,
                                             change: dict[str, Any], needle: str) -> None:
    url = make_url(request.getfixturevalue(url_fixture)).set(password="s3cret-Pa55", **change)
    source = make_source(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(DataSourceUnavailable) as err:
            source.run(QueryRequest(body="SELECT 1", values={}))
    finally:
        source.close()
    assert needle in err.value.message and "s3cret-Pa55" not in err.value.message


def test_missing_sqlite_file_is_unavailable(tmp_path: Path) -> None:
    source = make_source(f"sqlite:///{tmp_path / 'missing.db'}")
    with pytest.raises(DataSourceUnavailable, match="missing.db"):
        source.run(QueryRequest(body="SELECT 1", values={}))
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.server
@pytest.mark.parametrize("url_fixture", ["mysql_url", "postgres_url"])
def test_recovers_after_the_server_comes_back(request: pytest.FixtureRequest,
                                              url_fixture: str) -> None:
    url = make_url(request.getfixturevalue(url_fixture))
    proxy = Proxy(url.host or "127.0.0.1", url.port or 0)
    proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    source = make_source(proxied)
    probe = QueryRequest(body="SELECT 1 AS one", values={})
    try:
        assert source.run(probe).rows == [{"one": 1}]
        proxy.stop()
        with pytest.raises(DataSourceUnavailable):
            source.run(probe)
        proxy.start()
        assert source.run(probe).rows == [{"one": 1}]
    finally:
        proxy.stop()
        source.close()


# --- configuration ------------------------------------------------------------------------------


def test_kind_for_url() -> None:
    assert datasources.kind_for_url("postgres://x@h/db") == "postgresql"
    assert datasources.kind_for_url("postgresql+psycopg://x@h/db") == "postgresql"
    assert datasources.kind_for_url("mariadb://x@h/db") == "mysql"
    assert datasources.kind_for_url("mysql+pymysql://x@h/db") == "mysql"
    assert datasources.kind_for_url("sqlite:///a.db") == "sqlite"
    with pytest.raises(ValueError, match="postgresql://"):
        datasources.kind_for_url("oracle://x@h/db")


def test_registry_and_config() -> None:
    registry = datasources.build_registry()
    assert {"mysql", "postgresql", "sqlite"} <= set(registry.names())
    pg = registry.get("postgresql")
    config = pg.from_url("postgresql://bob:pw@db.internal:6543/shop?sslmode=require")
    assert config == {"host": "db.internal", "port": 6543, "database": "shop", "user": "bob",
                      "password": "pw", "sslmode": "require"}
    schema = pg.config_schema()
    assert schema["properties"]["password"]["writeOnly"] is True
    assert schema["properties"]["url"]["writeOnly"] is True
    assert registry.get("sqlite").from_url("sqlite:////srv/a.db") == {"path": "/srv/a.db"}
    with pytest.raises(ValueError):
        registry.get("mysql").from_url("postgresql://h/db")


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("59.90"), 59.9),
    (Decimal("120"), 120),
    (Decimal("12345678901234567.89"), "12345678901234567.89"),
    (Decimal("NaN"), "NaN"),
    (float("inf"), "inf"),
    (b"\x00\xff", "AP8="),
    ({"a": [Decimal("1.5")]}, {"a": [1.5]}),
])
def test_json_value(value: Any, expected: Any) -> None:
    assert json_value(value) == expected
