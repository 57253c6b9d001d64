"""Audit events are committed to ``audit_inbox`` and moved to ``audit_events`` in batches.

Every API request writes an audit event before it answers. Written straight into
``audit_events``, that INSERT touched the table and its seven indexes, and with two server
processes each commit made the other process re-read those pages: it cost as much CPU as the
query itself (docs/performance.md). The inbox has no index, so the write is one row in one
table. It is committed before the answer, as before, so nothing recorded can be lost.

The move keeps the log whole for every reader: ``Store.session()`` moves what waits before any
ORM session starts, so the audit page, its CSV, the purge, the failed sign-in count and the
command line all read a complete ``audit_events``. Each server process also moves its backlog
after writing, at most every ``MOVE_INTERVAL_S``, so the inbox stays small. Events keep their
order: they move in inbox id order, in one transaction with their deletion from the inbox, the
rows locked (``FOR UPDATE``; SQLite takes its write lock first) so that two processes moving at
once cannot copy an event twice.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from builder.store.driver_statements import DriverStatement
from builder.store.policy_models import AuditEvent, audit_inbox

log = logging.getLogger(__name__)

#: How often a server process moves its backlog after writing an event.
MOVE_INTERVAL_S = 0.5
#: Events per move transaction, and transactions per move: a request never waits long.
MOVE_BATCH = 1000
MOVE_BATCHES = 20

FIELDS = tuple(c.name for c in audit_inbox.columns if c.name != "id")
_WRITE = DriverStatement(audit_inbox.insert(), FIELDS)
_PENDING = DriverStatement(select(audit_inbox.c.id).limit(1))
_EVENTS = AuditEvent.__table__

_last_move: dict[int, float] = {}  # id(engine) -> time.monotonic() of this process's last move
_moving = threading.Lock()


def write(engine: Engine, row: dict[str, Any]) -> None:
    """Commit one event (every field of ``FIELDS``) to the inbox."""
    _WRITE.run(engine, row)


def move(engine: Engine) -> int:
    """Move every waiting event into ``audit_events`` (up to ``MOVE_BATCH * MOVE_BATCHES``)."""
    if _PENDING.run(engine) is None:
        return 0
    moved = 0
    with _moving:
        for _ in range(MOVE_BATCHES):
            count = _move_batch(engine)
            moved += count
            if count < MOVE_BATCH:
                break
        _last_move[id(engine)] = time.monotonic()
    return moved


def move_if_due(engine: Engine) -> None:
    """After a write: move the backlog when this process has not for ``MOVE_INTERVAL_S``.
    A failure is logged and left for the next time (the events wait safely in the inbox)."""
    if time.monotonic() - _last_move.get(id(engine), 0.0) < MOVE_INTERVAL_S:
        return
    _last_move[id(engine)] = time.monotonic()
    try:
        move(engine)
    except Exception:  # noqa: BLE001 - the event itself is committed
        log.exception("moving audit events out of the inbox failed; trying again later")


def _move_batch(engine: Engine) -> int:
    with engine.connect() as conn, conn.begin():
        if conn.dialect.name == "sqlite":
            # Take the write lock before reading, not at the INSERT: another process moving at
            # the same time then waits here instead of failing to upgrade its read lock.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        ids = list(conn.scalars(select(audit_inbox.c.id).order_by(audit_inbox.c.id)
                                .limit(MOVE_BATCH).with_for_update()))
        if not ids:
            return 0
        # The very ids locked above, not a range: on PostgreSQL and MySQL a lower id can commit
        # after a higher one, and would be deleted without having been copied.
        waiting = audit_inbox.c.id.in_(ids)
        columns = [audit_inbox.c[name] for name in FIELDS]
        conn.execute(_EVENTS.insert().from_select(
            FIELDS, select(*columns).where(waiting).order_by(audit_inbox.c.id)))
        conn.execute(audit_inbox.delete().where(waiting))
    return len(ids)
