"""Registering, listing, testing and removing data sources (used by the CLI, later the admin UI)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy.engine import make_url

from builder.context import Toolcrib
from builder.errors import UserError
from builder.store import datasources as records
from datasources import kind_for_url
from datasources.base import QueryError


class DataSourceAdminError(UserError):
    pass


def _error(exc: Exception | str) -> DataSourceAdminError:
    return DataSourceAdminError(str(exc))


def add_datasource(tc: Toolcrib, name: str, url: str, *, read_only: bool = False,
                   test: bool = True) -> Iterator[str]:
    try:
        kind = kind_for_url(url)
        source_class = tc.datasource_kinds.get(kind)
    except (ValueError, KeyError) as exc:
        raise _error(exc) from None
    config: dict[str, Any] = source_class.from_url(url)
    if test:
        probe = source_class(name, {**config, "read_only": read_only})
        try:
            info = probe.test_connection()
        except QueryError as exc:
            raise _error(f"connection test failed: {exc.message} "
                         "(use --no-test to add it anyway)") from None
        finally:
            probe.close()
        yield f"connected: {info.server_version} in {info.latency_ms:.0f} ms"
    with tc.store.session() as session:
        try:
            records.add(session, tc.box, name=name, kind=kind, config=config,
                        read_only=read_only)
        except records.DuplicateDataSource as exc:
            raise _error(exc) from None
    yield f"added {kind} data source {name!r}{' (read-only)' if read_only else ''}"


def describe_all(tc: Toolcrib) -> list[tuple[str, str, str]]:
    """Name, kind and a password-free description of each data source."""
    with tc.store.session() as session:
        rows = [(r.name, r.kind, r.config_sealed, r.read_only) for r in records.list_all(session)]
    described = []
    for name, kind, sealed, read_only in rows:
        config = tc.box.open(sealed)
        where = _describe(config)
        described.append((name, kind, where + (" read-only" if read_only else "")))
    return described


def _describe(config: dict[str, Any]) -> str:
    if config.get("url"):
        return make_url(config["url"]).render_as_string(hide_password=True)
    if config.get("path"):
        return str(config["path"])
    host, port, database = config.get("host", ""), config.get("port", ""), config.get(
        "database", "")
    return f"{config.get('user', '')}@{host}:{port}/{database}"


def test_datasource(tc: Toolcrib, name: str) -> str:
    try:
        source = tc.connections.get(name)
        info = source.test_connection()
    except (records.UnknownDataSource, QueryError) as exc:
        raise _error(getattr(exc, "message", str(exc))) from None
    return f"{name}: connected to {info.server_version} in {info.latency_ms:.0f} ms"


def remove_datasource(tc: Toolcrib, name: str) -> None:
    with tc.store.session() as session:
        try:
            records.remove(session, name)
        except records.UnknownDataSource as exc:
            raise _error(exc) from None
