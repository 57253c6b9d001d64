"""Whether the metadata database is already at the newest migration, known without Alembic.

``toolcrib serve`` checks the schema before it starts the server. Through Alembic that check
imports SQLAlchemy, Alembic and the models (~0.6 s of a ~1.7 s cold start on the test machine,
docs/performance.md) even when there is nothing to migrate, which is every start but the first
after an upgrade. For the default SQLite file the stored revision is read with the standard
library instead; anything else (another database, a revision behind, a file that is not there
yet) goes through Alembic as before.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: The newest revision in ``builder/store/migrations/versions`` (a test checks it is Alembic's
#: head: a new migration must update it).
SCHEMA_HEAD = "0006"

_SQLITE_FILE = "sqlite:///"


def sqlite_at_head(database_url: str) -> bool:
    """True only when ``database_url`` names an existing SQLite file whose ``alembic_version``
    is ``SCHEMA_HEAD``."""
    if not database_url.startswith(_SQLITE_FILE) or "?" in database_url:
        return False
    path = Path(database_url[len(_SQLITE_FILE):])
    if not path.is_file():
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return False
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:  # no such table: a database Alembic has not set up
        return False
    finally:
        conn.close()
    return rows == [(SCHEMA_HEAD,)]
