"""Granting apps to operators (directly or through a group)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from builder.errors import UserError
from builder.security.auth import Principal
from builder.store.models import AppRecord
from builder.store.people_models import AppGrant, Group, User


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
    return _grant(session, app, user_id=user_id, group_id=group_id, granted_by=granted_by)[0]


def _grant(session: Session, app: AppRecord, *, user_id: int | None, group_id: int | None,
           granted_by: int | None) -> tuple[AppGrant, bool]:
    """(the grant, whether it was created): an existing one is kept as it is."""
    existing = session.scalar(select(AppGrant).where(
        AppGrant.app_id == app.id, AppGrant.user_id == user_id, AppGrant.group_id == group_id))
    if existing is not None:
        return existing, False
    row = AppGrant(app_id=app.id, user_id=user_id, group_id=group_id, granted_by=granted_by)
    session.add(row)
    session.flush()
    return row, True


def can_manage_app(who: Principal, app: AppRecord) -> bool:
    """Grant, revoke and publish: admins, and the developer who owns the app.

    Apps imported by the CLI have no owner: only admins manage them.
    """
    if who.is_admin:
        return True
    return who.role == "developer" and app.owner_id is not None and app.owner_id == who.id


def grants_of(session: Session, app: AppRecord) -> list[tuple[AppGrant, str, str]]:
    """The app's grants as (grant, "user" or "group", name), users first, by name."""
    rows: list[tuple[AppGrant, str, str]] = []
    for row, name in session.execute(select(AppGrant, User.username).join(
            User, User.id == AppGrant.user_id).where(AppGrant.app_id == app.id)):
        rows.append((row, "user", name))
    for row, name in session.execute(select(AppGrant, Group.name).join(
            Group, Group.id == AppGrant.group_id).where(AppGrant.app_id == app.id)):
        rows.append((row, "group", name))
    return sorted(rows, key=lambda r: (r[1] != "user", r[2].lower()))


def grant_counts(session: Session) -> dict[int, int]:
    """App id -> how many grants it has (one query for the whole app list)."""
    return {app_id: count for app_id, count in session.execute(
        select(AppGrant.app_id, func.count(AppGrant.id)).group_by(AppGrant.app_id))}


def grant_to_user(session: Session, app: AppRecord, user: User, *,
                  granted_by: int | None = None) -> tuple[AppGrant, bool]:
    """Grant to an operator; (grant, created). Admins and developers use every app already."""
    if user.role != "operator":
        raise GrantError(f"{user.username} is {'an' if user.role == 'admin' else 'a'} "
                         f"{user.role}: admins and developers use every app already; "
                         "grant apps to operators")
    return _grant(session, app, user_id=user.id, group_id=None, granted_by=granted_by)


def grant_to_group(session: Session, app: AppRecord, group: Group, *,
                   granted_by: int | None = None) -> tuple[AppGrant, bool]:
    return _grant(session, app, user_id=None, group_id=group.id, granted_by=granted_by)


def revoke(session: Session, app: AppRecord, grant_id: int) -> tuple[str, str]:
    """Remove one of the app's grants; returns ("user" or "group", name) of who lost it."""
    for row, kind, name in grants_of(session, app):
        if row.id == grant_id:
            session.delete(row)
            session.flush()
            return kind, name
    raise GrantError("that grant no longer exists (was it just revoked?)")
