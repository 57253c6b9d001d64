"""Built-in data source kinds. Add one by writing a ``DataSource`` subclass and listing it here.

A kind is offered only when its driver imports (as Redash does with its query runners), so a
server without, say, PyMySQL simply has no MySQL kind instead of failing at start-up.
"""

from __future__ import annotations

import logging

from builder.registry import Registry, load_object, plugin_paths
from datasources.base import DataSource

DEFAULT_DATASOURCES: list[str] = [
    "datasources.sql:SQLiteSource",
    "datasources.sql:MySQLSource",
    "datasources.sql:PostgresSource",
]

ENTRY_POINT_GROUP = "toolcrib.datasources"

#: URL scheme (before any ``+driver``) -> data source kind.
URL_SCHEMES: dict[str, str] = {
    "sqlite": "sqlite",
    "mysql": "mysql",
    "mariadb": "mysql",
    "postgresql": "postgresql",
    "postgres": "postgresql",
}

log = logging.getLogger(__name__)


def _driver_available(cls: type[DataSource]) -> bool:
    available = getattr(cls, "available", None)
    return bool(available()) if callable(available) else True


def build_registry(extra: list[str] | None = None) -> Registry[type[DataSource]]:
    registry: Registry[type[DataSource]] = Registry("data source kind")
    for path in [*DEFAULT_DATASOURCES, *plugin_paths(ENTRY_POINT_GROUP), *(extra or [])]:
        try:
            cls = load_object(path)
        except ImportError as exc:  # the module imports its driver at the top
            log.info("data source %s is not available: %s", path, exc)
            continue
        if not (isinstance(cls, type) and issubclass(cls, DataSource)):
            raise TypeError(f"{path} is not a DataSource subclass")
        if not _driver_available(cls):
            log.info("data source kind %r is not available: its driver is not installed",
                     cls.kind)
            continue
        registry.register(cls.kind, cls)
    return registry


def kind_for_url(url: str) -> str:
    """The data source kind of a connection URL (``postgresql+psycopg://...`` -> postgresql)."""
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""
    try:
        return URL_SCHEMES[scheme]
    except KeyError:
        known = ", ".join(f"{s}://" for s in URL_SCHEMES)
        shown = f"{scheme!r}" if scheme else "none"
        raise ValueError(f"unknown data source URL scheme {shown}; use one of {known}") from None
