"""Live data-source objects (each owns a connection pool), built from the metadata records.

An instance is rebuilt when its record changes (``updated_at``) or the egress policy changes, so
app servers never need to agree on anything held in memory: the metadata database stays the only
truth. Every instance carries the egress guard (``builder/security/egress.py``), asked before each
new connection; a policy change drops the pooled connections of the old instance.
"""

from __future__ import annotations

import threading
from datetime import datetime

from builder.registry import Registry
from builder.security import egress
from builder.security.secretbox import SecretBox
from builder.store import Store
from builder.store import datasources as records
from builder.store.generation import policy_cache
from datasources.base import DataSource


class Connections:
    def __init__(self, store: Store, box: SecretBox, kinds: Registry[type[DataSource]]) -> None:
        self._store = store
        self._box = box
        self._kinds = kinds
        self._live: dict[str, tuple[tuple[datetime, tuple[object, ...]], DataSource]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> DataSource:
        """The data source called ``name``; raises ``UnknownDataSource``, ``SecretKeyError``, or
        ``ConnectionFailure`` when the egress guard refuses its host."""
        cache = policy_cache(self._store, "datasources")
        source = cache.get(name) if cache is not None else None
        if source is None:
            source = self._build(name)
            if cache is not None:
                cache[name] = source
        return source

    def _build(self, name: str) -> DataSource:
        """Read the record and reuse the live source unless its record or the egress rules
        changed (read on a policy-cache miss only: builder/store/generation.py)."""
        with self._store.session() as session:
            record = records.get(session, name)
            kind, sealed = record.kind, record.config_sealed
            updated_at, read_only = record.updated_at, record.read_only
            policy = egress.load_policy(session)
        version = (updated_at, policy.fingerprint)
        with self._lock:
            cached = self._live.get(name)
            if cached and cached[0] == version:
                return cached[1]
        config = {**self._box.open(sealed), "read_only": read_only}
        source = self._kinds.get(kind)(name, config)
        source.egress_guard = policy.check
        try:
            # Once per (re)build; SQL sources also ask before every new connection.
            source.check_egress()
        except Exception:
            source.close()
            raise
        with self._lock:
            current = self._live.get(name)
            if current and current[0] == version:  # another thread built it meanwhile
                keep, drop = current[1], source
            else:
                self._live[name] = (version, source)
                keep, drop = source, (current[1] if current else None)
        if drop is not None:
            drop.close()
        return keep

    def close(self) -> None:
        with self._lock:
            live, self._live = self._live, {}
        for _, source in live.values():
            source.close()
