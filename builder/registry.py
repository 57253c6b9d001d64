"""Named registries for pluggable parts (widgets, data sources).

Built-ins are registered through the same path as third-party plugins: a ``DEFAULT_*`` list of
import paths, then the ``toolcrib.widgets`` / ``toolcrib.datasources`` entry points.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class RegistryError(KeyError):
    """Unknown or duplicate registry entry."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0]) if self.args else ""


class Registry(Generic[T]):
    """A name -> object mapping where registering a name twice is an error."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        if name in self._items:
            raise RegistryError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise RegistryError(f"unknown {self.kind} {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def all(self) -> dict[str, T]:
        return dict(sorted(self._items.items()))

    def names(self) -> list[str]:
        return sorted(self._items)


def load_object(path: str) -> object:
    """Import ``package.module:attr``."""
    module_name, _, attr = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def plugin_paths(group: str) -> Iterable[str]:
    for ep in entry_points(group=group):
        yield ep.value
