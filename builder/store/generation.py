"""One counter that every policy write bumps, so each process can cache policy safely.

Sign-in (session users and API tokens), app grants, allowlists, the published version of an app
and data-source records are read on every request. Reading them from the metadata database each
time cost about 5 ms of a request's ~8 ms (docs/performance.md), so each process keeps them in
memory. A cache alone would answer stale after an admin change made in another gunicorn worker
or with the ``toolcrib`` command, so:

- every ORM flush (and bulk UPDATE/DELETE through a session) that touches any table other than
  the audit log adds 1 to ``policy_generation.value`` in the same transaction;
- a request reads that one row once (``policy_cache``); when it moved, this process drops every
  cache made with ``policy_cache`` before using any of them.

A change therefore applies to the very next request on every worker, as before caching. Writes
that bypass the ORM (``store.engine`` Core statements) do not bump: they are only used for the
audit log, an API token's ``last_used_at`` and a user's ``last_login_at`` (so a sign-in does not
empty every worker's caches), which no cache holds.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import g, has_request_context
from sqlalchemy import Integer, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from builder.store.driver_statements import DriverStatement
from builder.store.models import Base

#: Tables whose writes never change what a cache holds.
UNWATCHED_TABLES = frozenset({"audit_events", "audit_inbox", "policy_generation"})


class PolicyGeneration(Base):
    __tablename__ = "policy_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


_BUMP = update(PolicyGeneration.__table__).values(value=PolicyGeneration.__table__.c.value + 1)
_READ = select(PolicyGeneration.__table__.c.value).where(PolicyGeneration.__table__.c.id == 1)
#: Run on the driver connection: it is read on every request (builder/store/driver_statements.py).
_READ_FAST = DriverStatement(_READ)


def _table_of(obj: Any) -> str | None:
    table = getattr(obj, "__table__", None)
    return getattr(table, "name", None)


def _bump(session: Session) -> None:
    session.connection().execute(_BUMP)


def _after_flush(session: Session, _context: Any) -> None:
    touched = {_table_of(o) for o in (*session.new, *session.dirty, *session.deleted)}
    if touched - UNWATCHED_TABLES - {None}:
        _bump(session)


def _do_orm_execute(state: Any) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in UNWATCHED_TABLES:
        _bump(state.session)


def watch(sessions: Any) -> None:
    """Bump the counter from every session this sessionmaker makes."""
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "do_orm_execute", _do_orm_execute)


class PolicyCaches:
    """This process's policy caches: one set per value of the counter."""

    def __init__(self) -> None:
        self._caches: dict[str, dict[Any, Any]] = {}
        self._seen: int | None = None
        self._lock = threading.Lock()

    def for_generation(self, value: int) -> dict[str, dict[Any, Any]]:
        """The caches of counter ``value``: a new, empty set when the counter moved.

        A request keeps the set it started with, so a thread that read policy before a change
        (another thread already serving the next value) fills only the old, dropped set.
        """
        with self._lock:
            if value != self._seen:
                self._caches = {}
                self._seen = value
            return self._caches


def read(engine: Any) -> int:
    return int(_READ_FAST.run(engine) or 0)


def policy_cache(store: Any, name: str) -> dict[Any, Any] | None:
    """The named process cache, checked against the counter once per request.

    Outside a request (the CLI, tests calling functions directly) there is no cache: None.
    """
    if not has_request_context():
        return None
    caches: dict[str, dict[Any, Any]] | None = g.get("_policy_caches")
    if caches is None:
        policy_caches: PolicyCaches = store.policy_caches
        caches = g._policy_caches = policy_caches.for_generation(read(store.engine))
    return caches.setdefault(name, {})
