"""audit log: indexes for the user and query filters; updates refused (SQLite, PostgreSQL)

The audit page filters by user and by query name. Failed sign-ins have no user id, only the
``actor`` name typed; (actor, actor_id) finds "failed sign-ins typed as ops" (actor_id NULL)
without reading ops's own events, and any other name (``system``, ``cli:root``). App and query
together get their own index: MariaDB would otherwise intersect the two single-column indexes
(about 1 s at a million events). Without these indexes a filter that matches nothing scans every
row (about 0.5 s at a million events).

The log is append-only from the application's side: a trigger refuses UPDATE on SQLite and
PostgreSQL. (MariaDB is left to the ORM guard in ``builder/security/audit.py``: creating a trigger
there needs the TRIGGER privilege and, with binary logging, SUPER.) Note for later migrations:
SQLite's batch mode recreates a table, which drops its triggers; recreate this one after it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MESSAGE = "audit events are append-only"


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_actor", ["actor", "actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_query_name"), ["query_name"],
                              unique=False)
        batch_op.create_index("ix_audit_events_app_query", ["app_slug", "query_name"],
                              unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events "
                   f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
    elif dialect == "postgresql":
        op.execute("CREATE FUNCTION audit_events_append_only() RETURNS trigger "
                   "LANGUAGE plpgsql AS $$ BEGIN "
                   f"RAISE EXCEPTION '{MESSAGE}'; END $$")
        op.execute("CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_app_query")
        batch_op.drop_index(batch_op.f("ix_audit_events_query_name"))
        batch_op.drop_index("ix_audit_events_actor")
