"""Policy: IP allowlists, data-source egress rules, instance settings, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Float, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from builder.policy_terms import ALLOWLIST_SCOPES as ALLOWLIST_SCOPES  # re-exported
from builder.store.models import Base, utcnow


class AllowlistEntry(Base):
    __tablename__ = "allowlist_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    #: App slug or data-source name; empty for the instance scope.
    target: Mapped[str] = mapped_column(String(100), default="")
    cidr: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_allowlist_scope_target", "scope", "target"),)


class EgressRule(Base):
    """A host name, address or network that data sources may connect to."""

    __tablename__ = "egress_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pattern: Mapped[str] = mapped_column(String(255), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: JSON text.
    value: Mapped[str] = mapped_column(Text)


class AuditEvent(Base):
    """One line of the audit log. The application only ever inserts (and purges by retention)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    #: query, signin, signin_failed, signout, admin
    kind: Mapped[str] = mapped_column(String(30), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: Indexed by ix_audit_events_app_query (migration 0005 dropped its own index).
    app_slug: Mapped[str | None] = mapped_column(String(100), nullable=True)
    app_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    query_name: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    datasource: Mapped[str | None] = mapped_column(String(100), nullable=True)
    #: ok, or an error code (bad_input, row_count_mismatch, timeout, forbidden, ...)
    outcome: Mapped[str] = mapped_column(String(40), index=True)
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: JSON: bound values (secrets redacted), before/after of admin changes, messages.
    detail: Mapped[str] = mapped_column(Text, default="{}")

    #: The audit page's filters (migration 0003): a user's name, and failed sign-ins under a name
    #: (actor_id NULL); an app's query.
    __table_args__ = (Index("ix_audit_events_actor", "actor", "actor_id"),
                      Index("ix_audit_events_app_query", "app_slug", "query_name"))


def _inbox_columns() -> list[Column[Any]]:
    return [Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in AuditEvent.__table__.columns]


#: Where ``audit.record`` writes an event: the audit log's columns and no index, so the write
#: each request makes is one row in one table instead of one in every index of ``audit_events``.
#: Events move on to ``audit_events`` in batches (``builder/store/audit_inbox.py``), and always
#: before the log is read.
audit_inbox = Table("audit_inbox", Base.metadata, *_inbox_columns())
