"""Which apps use a data source: their newest and published versions name it (delete is refused
while any does)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from builder.appspec.loader import YamlLoadError, load_yaml
from builder.appspec.migrations import FormatError, migrate
from builder.store.models import AppRecord, AppVersion

# --- which apps use a data source ----------------------------------------------------------------

_DATASOURCE_TEXT = re.compile(r"""datasource\s*:\s*["']?([A-Za-z0-9_.-]+)""")


@dataclass(frozen=True)
class AppUse:
    slug: str
    title: str
    #: "published v3", "newest v5", or "published and newest v3"
    which: str

    def __str__(self) -> str:
        return f"{self.slug} ({self.which})"


def datasources_named(source: str) -> set[str]:
    """The data-source names an app version's queries use (a broken draft is scanned as text)."""
    try:
        doc, _ = load_yaml(source, "app")
        doc = migrate(doc)
        queries = doc.get("queries") if isinstance(doc, dict) else None
        if isinstance(queries, dict):
            return {q["datasource"] for q in queries.values()
                    if isinstance(q, dict) and isinstance(q.get("datasource"), str)}
        return set()
    except (YamlLoadError, FormatError, ValueError, TypeError, AttributeError):
        return set(_DATASOURCE_TEXT.findall(source))


def usage(session: Session) -> dict[str, list[AppUse]]:
    """Data-source name -> the apps whose published or newest version names it."""
    used: dict[str, list[AppUse]] = {}
    for app in session.scalars(select(AppRecord).order_by(AppRecord.slug)):
        newest = session.scalars(select(AppVersion).where(AppVersion.app_id == app.id)
                                 .order_by(AppVersion.number.desc()).limit(1)).first()
        published = (session.get(AppVersion, app.published_version_id)
                     if app.published_version_id else None)
        names: dict[str, list[str]] = {}
        for version, label in ((published, "published"), (newest, "newest")):
            if version is None:
                continue
            for name in datasources_named(version.source):
                names.setdefault(name, []).append(f"{label} v{version.number}")
        for name, labels in names.items():
            which = labels[0]
            if len(labels) == 2 and published is not None and published is newest:
                which = f"published and newest v{published.number}"
            elif len(labels) == 2:
                which = ", ".join(labels)
            used.setdefault(name, []).append(AppUse(app.slug, app.title, which))
    return used
