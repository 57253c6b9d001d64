"""Granting apps to operators (directly or through a group)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from builder.errors import UserError
from builder.store.models import AppRecord
from builder.store.people_models import AppGrant


class GrantError(UserError):
    pass


def app_by_slug(session: Session, slug: str) -> AppRecord:
    app = session.scalar(select(AppRecord).where(AppRecord.slug == slug))
    if app is None:
        raise GrantError(f"unknown app {slug!r}")
    return app


def grant(session: Session, app: AppRecord, *, user_id: int | None = None,
          group_id: int | None = None, granted_by: int | None = None) -> AppGrant:
    if (user_id is None) == (group_id is None):
        raise GrantError("grant an app to exactly one user or one group")
    existing = session.scalar(select(AppGrant).where(
        AppGrant.app_id == app.id, AppGrant.user_id == user_id, AppGrant.group_id == group_id))
    if existing is not None:
        return existing
    row = AppGrant(app_id=app.id, user_id=user_id, group_id=group_id, granted_by=granted_by)
    session.add(row)
    session.flush()
    return row
