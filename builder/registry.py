"""Named registries for pluggable parts (widgets, data sources).

Built-ins are registered through the same path as third-party plugins: a ``DEFAULT_*`` list of
import paths, then the ``toolcrib.widgets`` / ``toolcrib.datasources`` entry points.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class RegistryError(KeyError):
    """Unknown or duplicate registry entry."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0]) if self.args else ""


class Registry(Generic[T]):
    """A name -> object mapping where registering a name twice is an error.

    A name can also be registered with a loader (``register_lazy``): its object is made at the
    first ``get`` or ``all``, so a module nobody uses is never imported.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._loaders: dict[str, Callable[[], T]] = {}

    def register(self, name: str, item: T) -> T:
        self._check_new(name)
        self._items[name] = item
        return item

    def register_lazy(self, name: str, load: Callable[[], T]) -> None:
        self._check_new(name)
        self._loaders[name] = load

    def _check_new(self, name: str) -> None:
        if name in self:
            raise RegistryError(f"{self.kind} {name!r} is already registered")

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            pass
        if name not in self._loaders:
            raise RegistryError(f"unknown {self.kind} {name!r}") from None
        # Two threads may both load it: the same module object, imported once.
        return self._items.setdefault(name, self._loaders[name]())

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._loaders

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def all(self) -> dict[str, T]:
        return {name: self.get(name) for name in self.names()}

    def names(self) -> list[str]:
        return sorted({*self._items, *self._loaders})


def load_object(path: str) -> object:
    """Import ``package.module:attr``."""
    module_name, _, attr = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def plugin_paths(group: str) -> Iterable[str]:
    for ep in entry_points(group=group):
        yield ep.value
