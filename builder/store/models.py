"""Metadata models: apps and their versions, data sources. Schema changes go through Alembic."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class DataSourceRecord(Base):
    __tablename__ = "datasources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    #: Fernet token of the JSON config (URL, passwords...). Never sent to a browser.
    config_sealed: Mapped[str] = mapped_column(Text)
    read_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class AppRecord(Base):
    __tablename__ = "apps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_versions.id", use_alter=True, name="fk_apps_published_version"),
        nullable=True,
    )
    #: The developer who created the app; they may grant it to operators.
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    versions: Mapped[list[AppVersion]] = relationship(
        back_populates="app", foreign_keys="AppVersion.app_id", order_by="AppVersion.number"
    )
    published_version: Mapped[AppVersion | None] = relationship(
        foreign_keys=[published_version_id], post_update=True
    )


class AppVersion(Base):
    """An immutable saved version of an app's YAML."""

    __tablename__ = "app_versions"
    __table_args__ = (UniqueConstraint("app_id", "number", name="uq_app_versions_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    based_on: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    app: Mapped[AppRecord] = relationship(back_populates="versions", foreign_keys=[app_id])
