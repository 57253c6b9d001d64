"""audit log: drop the app_slug index, which (app_slug, query_name) already serves

Every API request inserts an audit event, and each index is one more page written per commit
(docs/performance.md). An index whose columns begin another index is never needed: the app
filter reads ``ix_audit_events_app_query``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_audit_events_app_slug", table_name="audit_events")


def downgrade() -> None:
    op.create_index("ix_audit_events_app_slug", "audit_events", ["app_slug"], unique=False)
