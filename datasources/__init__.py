"""Built-in data source kinds. Add one by writing a ``DataSource`` subclass and listing it here.

A kind is offered only when its driver imports (as Redash does with its query runners), so a
server without, say, PyMySQL simply has no MySQL kind instead of failing at start-up. Each class
declares the URL ``schemes`` it takes (``mongodb``, ``mongodb+srv``...): the scheme -> kind map is
derived from the registry, so adding a kind is one module and one line below.
"""

from __future__ import annotations

import functools
import importlib.util
import logging

from builder.registry import Registry, load_object, plugin_paths
from datasources.base import DataSource

DEFAULT_DATASOURCES: list[str] = [
    "datasources.sql:SQLiteSource",
    "datasources.sql:MySQLSource",
    "datasources.sql:PostgresSource",
    "datasources.mongo:MongoSource",
]

#: Built-in kinds whose module imports its driver at the top, with their kind and driver module:
#: registered from these, the module is imported at the first use of the kind. pymongo is ~6 MB
#: and ~45 ms in every server process, most of which never open a MongoDB source.
DECLARED_KINDS: dict[str, tuple[str, str]] = {
    "datasources.mongo:MongoSource": ("mongodb", "pymongo"),
}

ENTRY_POINT_GROUP = "toolcrib.datasources"

log = logging.getLogger(__name__)


def _driver_available(cls: type[DataSource]) -> bool:
    available = getattr(cls, "available", None)
    return bool(available()) if callable(available) else True


def _module_found(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _load_kind(path: str, kind: str | None = None) -> type[DataSource]:
    cls = load_object(path)
    if not (isinstance(cls, type) and issubclass(cls, DataSource)):
        raise TypeError(f"{path} is not a DataSource subclass")
    if kind is not None and cls.kind != kind:
        raise TypeError(f"{path} is the data source kind {cls.kind!r}, declared as {kind!r}")
    return cls


def build_registry(extra: list[str] | None = None) -> Registry[type[DataSource]]:
    registry: Registry[type[DataSource]] = Registry("data source kind")
    for path in [*DEFAULT_DATASOURCES, *plugin_paths(ENTRY_POINT_GROUP), *(extra or [])]:
        if path in DECLARED_KINDS:
            kind, driver = DECLARED_KINDS[path]
            if _module_found(driver):
                registry.register_lazy(kind, functools.partial(_load_kind, path, kind))
            else:
                log.info("data source kind %r is not available: %s is not installed",
                         kind, driver)
            continue
        try:
            cls = _load_kind(path)
        except ImportError as exc:  # the module imports its driver at the top
            log.info("data source %s is not available: %s", path, exc)
            continue
        if not _driver_available(cls):
            log.info("data source kind %r is not available: its driver is not installed",
                     cls.kind)
            continue
        registry.register(cls.kind, cls)
    return registry


def url_schemes(registry: Registry[type[DataSource]] | None = None) -> dict[str, str]:
    """URL scheme -> data source kind, from the ``schemes`` each registered class declares."""
    registry = registry if registry is not None else _default_registry()
    schemes: dict[str, str] = {}
    for kind, cls in registry.all().items():
        for scheme in getattr(cls, "schemes", ()):
            if schemes.setdefault(scheme.lower(), kind) != kind:
                raise ValueError(f"URL scheme {scheme!r} is claimed by the data source kinds "
                                 f"{schemes[scheme.lower()]!r} and {kind!r}")
    return schemes


def kind_for_url(url: str, registry: Registry[type[DataSource]] | None = None) -> str:
    """The data source kind of a connection URL (``postgresql+psycopg://...`` -> postgresql).

    The whole scheme is looked up first (``mongodb+srv``), then the part before ``+driver``.
    """
    schemes = url_schemes(registry)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    for candidate in (scheme, scheme.split("+", 1)[0]):
        if candidate and candidate in schemes:
            return schemes[candidate]
    known = ", ".join(f"{s}://" for s in schemes)
    shown = f"{scheme!r}" if scheme else "none"
    raise ValueError(f"unknown data source URL scheme {shown}; use one of {known}")


@functools.lru_cache(maxsize=1)
def _default_registry() -> Registry[type[DataSource]]:
    return build_registry()
