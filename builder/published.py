"""The published version of each app, parsed once per version.

Versions are immutable, so caching the parsed spec by version id can never serve stale data.
Which version is published is kept in this process's policy cache, which publishing (or any
other policy change, on any worker) empties before the next request (builder/store/generation.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from builder import appspec
from builder.appspec.model import AppSpec
from builder.registry import Registry
from builder.store import Store
from builder.store import apps as app_records
from builder.store.generation import policy_cache
from widgets.base import WidgetType


@dataclass(frozen=True)
class LoadedApp:
    app_id: int
    slug: str
    version_id: int
    version_number: int
    spec: AppSpec


class PublishedApps:
    def __init__(self, store: Store, widgets: Registry[WidgetType], cache_size: int = 64) -> None:
        self._store = store
        self._widgets = widgets
        self._cache: OrderedDict[int, AppSpec] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def get(self, slug: str) -> LoadedApp | None:
        cache = policy_cache(self._store, "published")
        loaded = cache.get(slug) if cache is not None else None
        if loaded is None:
            loaded = self._load(slug)
            if cache is not None and loaded is not None:
                cache[slug] = loaded
        return loaded

    def _load(self, slug: str) -> LoadedApp | None:
        with self._store.session() as session:
            row = app_records.published(session, slug)
        if row is None:
            return None
        with self._lock:
            spec = self._cache.get(row.version_id)
            if spec is not None:
                self._cache.move_to_end(row.version_id)
        if spec is None:
            spec = appspec.load_app(row.source, f"{slug}@v{row.version_number}",
                                    widgets=self._widgets)
            with self._lock:
                self._cache[row.version_id] = spec
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return LoadedApp(row.app_id, slug, row.version_id, row.version_number, spec)
