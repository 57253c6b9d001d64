"""Audit events go through ``audit_inbox`` (builder/store/audit_inbox.py): committed there
before the answer, moved into ``audit_events`` in batches, and never lost, doubled or reordered,
even with several server processes moving at once. On SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import uuid

from alembic import command
from sqlalchemy import func, select

from builder.security import audit
from builder.store import Store, alembic_config, audit_inbox
from builder.store.policy_models import AuditEvent
from builder.store.policy_models import audit_inbox as inbox_table

EVENTS_PER_PROCESS = 150


def _write_and_move(url: str, actor: str) -> None:
    """One server process: record events, moving the inbox after each (as often as possible)."""
    store = Store(url)
    try:
        for i in range(EVENTS_PER_PROCESS):
            audit.record("query", outcome="ok", actor=actor, store=store, query_name=f"q{i:03d}")
            audit_inbox.move(store.engine)
    finally:
        store.dispose()


def _waiting(store: Store, actor: str) -> int:
    with store.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(inbox_table)
                           .where(inbox_table.c.actor == actor)) or 0


def test_a_recorded_event_waits_in_the_inbox_and_every_reader_sees_it(db_url: str) -> None:
    command.upgrade(alembic_config(db_url), "head")
    store = Store(db_url)
    actor = f"inbox-{uuid.uuid4().hex[:8]}"
    try:
        audit.record("query", outcome="ok", actor=actor, store=store, query_name="getOrders")
        # this process just moved its backlog: the next event waits for MOVE_INTERVAL_S
        audit.record("query", outcome="ok", actor=actor, store=store, query_name="updateOrder")
        assert _waiting(store, actor) == 1  # committed, not yet in audit_events
        with store.session() as session:  # any ORM reader moves it first
            events = session.scalars(select(AuditEvent).where(AuditEvent.actor == actor)
                                     .order_by(AuditEvent.id)).all()
            assert [e.query_name for e in events] == ["getOrders", "updateOrder"]
        assert _waiting(store, actor) == 0
    finally:
        store.dispose()


def test_processes_moving_at_once_lose_double_and_reorder_nothing(db_url: str) -> None:
    command.upgrade(alembic_config(db_url), "head")
    run = uuid.uuid4().hex[:8]
    actors = [f"mover-{run}-{n}" for n in range(3)]
    context = multiprocessing.get_context("spawn")  # fresh interpreters, like gunicorn workers
    processes = [context.Process(target=_write_and_move, args=(db_url, a)) for a in actors]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    store = Store(db_url)
    try:
        with store.session() as session:
            for actor in actors:
                names = session.scalars(select(AuditEvent.query_name).where(
                    AuditEvent.actor == actor).order_by(AuditEvent.id)).all()
                # all of them, once each, in the order each process wrote them
                assert names == [f"q{i:03d}" for i in range(EVENTS_PER_PROCESS)]
        assert all(_waiting(store, actor) == 0 for actor in actors)
    finally:
        store.dispose()
