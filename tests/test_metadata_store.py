"""The metadata database can be PostgreSQL or MariaDB (TOOLCRIB_DATABASE_URL) as well as SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from builder import create_app
from builder.demo.setup import set_up_demo
from builder.store import alembic_config
from tests.auth_helpers import bearer, token_for

METADATA_TABLES = {"apps", "app_versions", "datasources", "alembic_version"}


@pytest.fixture(params=["postgres_url", "mysql_url"])
def metadata_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(request.param)


def test_demo_runs_on_a_server_metadata_database(metadata_url: str, tmp_path: Path) -> None:
    app = create_app({"instance_path": tmp_path / "instance", "database_url": metadata_url})
    tc = app.extensions["toolcrib"]
    try:
        tc.store.upgrade()
        lines = list(set_up_demo(tc, orders=60))
        assert any("published" in line for line in lines)
        client = app.test_client()
        headers = bearer(token_for(app, "ops"))
        assert client.get("/apps/order-shipping", headers=headers).status_code == 200
        response = client.post("/api/apps/order-shipping/queries/getOrders/run",
                               json={"state": {}, "page": {"size": 5}}, headers=headers)
        assert response.status_code == 200 and len(response.get_json()["rows"]) == 5
    finally:
        tc.close()
        command.downgrade(alembic_config(metadata_url), "base")
    engine = create_engine(metadata_url)
    try:
        left = set(inspect(engine).get_table_names()) & METADATA_TABLES
    finally:
        engine.dispose()
    assert left <= {"alembic_version"}, "downgrade removes every metadata table"


def test_migrations_build_the_schema_the_models_describe(tmp_path: Path) -> None:
    """An index or column added to a model without a migration (or the reverse) shows here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import builder.store.all_models  # noqa: F401 - every table on Base.metadata
    from builder.store.models import Base

    url = f"sqlite:///{tmp_path / 'metadata.db'}"
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_start_up_check_knows_the_newest_migration(tmp_path: Path) -> None:
    """``builder/schema_head.py`` lets ``serve`` skip Alembic only at the real head."""
    from alembic.script import ScriptDirectory

    from builder.schema_head import SCHEMA_HEAD, sqlite_at_head

    url = f"sqlite:///{tmp_path / 'metadata.db'}"
    config = alembic_config(url)
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD
    assert not sqlite_at_head(url)  # no file yet
    command.upgrade(config, "0005")
    assert not sqlite_at_head(url)  # a revision behind: Alembic must run
    command.upgrade(config, "head")
    assert sqlite_at_head(url)
    assert not sqlite_at_head(url + "?mode=ro")  # not a plain file URL: Alembic decides


def test_serve_migrates_an_instance_a_revision_behind(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from builder.cli_instance import migrate_instance
    from builder.schema_head import sqlite_at_head

    monkeypatch.setenv("TOOLCRIB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("TOOLCRIB_DATABASE_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'toolcrib.db'}"
    command.upgrade(alembic_config(url), "0005")
    settings = migrate_instance()
    assert settings.database_url == url and sqlite_at_head(url)
    engine = create_engine(url)
    try:
        assert "audit_inbox" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
