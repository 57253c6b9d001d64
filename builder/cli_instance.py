"""The Toolcrib a ``toolcrib`` command works on: the configured instance, its metadata schema
brought up to date, inside an app context (the audit log needs one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from builder.config import Settings
    from builder.context import Toolcrib


def migrate_instance() -> Settings:
    """The configured instance's folder, key file and metadata schema brought up to date, without
    building the app (``toolcrib serve`` then becomes gunicorn's master, which does not keep it:
    each worker builds its own, ``builder/server.py``)."""
    from builder.config import load_settings
    from builder.schema_head import sqlite_at_head
    from builder.security.secretbox import load_key_material

    settings = load_settings()
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    # The key file, if it is to be created, before two workers race to create it.
    load_key_material(settings.secret_key, settings.key_file)
    if sqlite_at_head(settings.database_url):
        return settings  # nothing to migrate: SQLAlchemy and Alembic stay unloaded
    from builder.store import Store

    store = Store(settings.database_url)
    try:
        store.upgrade()
    finally:
        store.dispose()
    return settings


@contextmanager
def instance_toolcrib() -> Iterator[Toolcrib]:
    from builder import create_app

    flask_app = create_app()
    tc: Toolcrib = flask_app.extensions["toolcrib"]
    try:
        tc.store.upgrade()
        with flask_app.app_context():
            yield tc
    finally:
        tc.close()
