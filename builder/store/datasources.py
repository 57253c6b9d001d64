"""Data-source records: names, kinds and sealed (encrypted) configurations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from builder.security.secretbox import SecretBox
from builder.store.models import DataSourceRecord


class DuplicateDataSource(ValueError):
    pass


class UnknownDataSource(LookupError):
    pass


def add(session: Session, box: SecretBox, *, name: str, kind: str, config: dict[str, Any],
        read_only: bool = False) -> DataSourceRecord:
    if session.scalar(select(DataSourceRecord.id).where(DataSourceRecord.name == name)):
        raise DuplicateDataSource(f"a data source named {name!r} already exists")
    record = DataSourceRecord(name=name, kind=kind, config_sealed=box.seal(config),
                              read_only=read_only)
    session.add(record)
    session.flush()
    return record


def update(session: Session, box: SecretBox, name: str, *, config: dict[str, Any],
           read_only: bool) -> DataSourceRecord:
    """Replace the configuration of ``name`` (its ``updated_at`` moves, so live sources reload)."""
    record = get(session, name)
    record.config_sealed = box.seal(config)
    record.read_only = read_only
    session.flush()
    return record


def get(session: Session, name: str) -> DataSourceRecord:
    record = session.scalar(select(DataSourceRecord).where(DataSourceRecord.name == name))
    if record is None:
        raise UnknownDataSource(f"unknown data source {name!r}")
    return record


def remove(session: Session, name: str) -> None:
    session.delete(get(session, name))


def names(session: Session) -> set[str]:
    return set(session.scalars(select(DataSourceRecord.name)))


def list_all(session: Session) -> list[DataSourceRecord]:
    return list(session.scalars(select(DataSourceRecord).order_by(DataSourceRecord.name)))
