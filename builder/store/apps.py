"""Saving, publishing and reading app versions in the metadata database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from builder.store.models import AppRecord, AppVersion


class StaleVersionError(Exception):
    """A save based on a version that is no longer the newest."""


@dataclass(frozen=True)
class PublishedApp:
    app_id: int
    slug: str
    version_id: int
    version_number: int
    source: str


def save_version(
    session: Session,
    *,
    slug: str,
    title: str,
    source: str,
    based_on: int | None = None,
    created_by: str | None = None,
    check_base: bool = False,
) -> AppVersion:
    """Store ``source`` as the next version of ``slug`` (creating the app if new).

    With ``check_base``, a ``based_on`` that is not the newest version raises StaleVersionError
    instead of silently overwriting someone else's save.
    """
    app = session.scalar(select(AppRecord).where(AppRecord.slug == slug))
    if app is None:
        app = AppRecord(slug=slug, title=title)
        session.add(app)
        session.flush()
    app.title = title
    newest = session.scalar(
        select(func.max(AppVersion.number)).where(AppVersion.app_id == app.id)
    ) or 0
    if check_base and newest and based_on != newest:
        raise StaleVersionError(
            f"app {slug!r} was saved as version {newest} since version {based_on} was loaded"
        )
    version = AppVersion(
        app_id=app.id, number=newest + 1, based_on=based_on or (newest or None),
        source=source, created_by=created_by,
    )
    session.add(version)
    session.flush()
    return version


def publish(session: Session, version: AppVersion) -> None:
    app = session.get(AppRecord, version.app_id)
    assert app is not None
    app.published_version_id = version.id


def latest_version(session: Session, slug: str) -> AppVersion | None:
    return session.scalars(
        select(AppVersion)
        .join(AppRecord, AppRecord.id == AppVersion.app_id)
        .where(AppRecord.slug == slug)
        .order_by(AppVersion.number.desc())
        .limit(1)
    ).first()


def latest_source(session: Session, slug: str) -> str | None:
    version = latest_version(session, slug)
    return version.source if version else None


def published(session: Session, slug: str) -> PublishedApp | None:
    row = session.execute(
        select(AppRecord.id.label("app_id"), AppVersion.id, AppVersion.number, AppVersion.source)
        .join(AppRecord, AppRecord.published_version_id == AppVersion.id)
        .where(AppRecord.slug == slug)
    ).first()
    if row is None:
        return None
    return PublishedApp(app_id=row.app_id, slug=slug, version_id=row.id,
                        version_number=row.number, source=row.source)


def list_apps(session: Session) -> list[AppRecord]:
    return list(session.scalars(select(AppRecord).order_by(AppRecord.slug)))
