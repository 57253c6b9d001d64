"""Live data-source objects (each owns a connection pool), built from the metadata records.

An instance is rebuilt when its record changes (``updated_at``), so app servers never need to agree
on anything held in memory: the metadata database stays the only truth.
"""

from __future__ import annotations

import threading
from datetime import datetime

from builder.registry import Registry
from builder.security.secretbox import SecretBox
from builder.store import Store
from builder.store import datasources as records
from datasources.base import DataSource


class Connections:
    def __init__(self, store: Store, box: SecretBox, kinds: Registry[type[DataSource]]) -> None:
        self._store = store
        self._box = box
        self._kinds = kinds
        self._live: dict[str, tuple[datetime, DataSource]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> DataSource:
        """The data source called ``name``; raises ``UnknownDataSource``."""
        with self._store.session() as session:
            record = records.get(session, name)
            kind, sealed = record.kind, record.config_sealed
            updated_at, read_only = record.updated_at, record.read_only
        with self._lock:
            cached = self._live.get(name)
            if cached and cached[0] == updated_at:
                return cached[1]
            config = {**self._box.open(sealed), "read_only": read_only}
            source = self._kinds.get(kind)(name, config)
            self._live[name] = (updated_at, source)
        if cached:
            cached[1].close()
        return source

    def close(self) -> None:
        with self._lock:
            live, self._live = self._live, {}
        for _, source in live.values():
            source.close()
