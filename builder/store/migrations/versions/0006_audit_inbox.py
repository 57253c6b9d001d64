"""audit_inbox: where each request writes its audit event (no index), moved on in batches

Every API request writes one audit event. Inserted into ``audit_events``, that write touched
the table and all seven of its indexes, and with two server processes each commit also made the
other re-read those pages: it cost about as much as running the query itself
(docs/performance.md). The event is now committed to this index-less table before the answer
goes out, and moved into ``audit_events`` in batches (``builder/store/audit_inbox.py``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("app_slug", sa.String(length=100), nullable=True),
        sa.Column("app_version", sa.Integer(), nullable=True),
        sa.Column("query_name", sa.String(length=100), nullable=True),
        sa.Column("datasource", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("audit_inbox")
