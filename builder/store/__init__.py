"""The metadata database: engine, sessions and Alembic upgrades."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from builder.store import audit_inbox, generation

MIGRATIONS_PATH = Path(__file__).with_name("migrations")
log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL stays consistent after a crash; it only skips the fsync per commit, so a
    # power loss may drop the last transactions. Every request writes an audit event: FULL made
    # each one wait for the disk and serialised the workers on it (docs/performance.md).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Store:
    """Owns the metadata engine; ``session()`` gives a transaction-scoped ORM session."""

    def __init__(self, url: str) -> None:
        self.url = url
        # A ping before each checkout finds server connections that died; a SQLite file has
        # none to lose, and the ping would be two extra statements on every request.
        self.engine: Engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        generation.watch(self._sessions)
        #: Per-process caches of policy data, dropped when another process changes policy.
        self.policy_caches = generation.PolicyCaches()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session in one transaction. Audit events still in the inbox are moved into
        ``audit_events`` first, so whatever reads the log sees all of it (``audit_inbox``)."""
        try:
            audit_inbox.move(self.engine)
        except Exception:  # noqa: BLE001 - the events wait safely; the session still opens
            log.warning("could not move audit events out of the inbox", exc_info=True)
        with self._sessions.begin() as session:
            yield session

    def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command

        command.upgrade(alembic_config(self.url), "head")

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
