"""What the editor does to apps: create one, save validated drafts, history, diff, rollback.

Every save stores the YAML text exactly as the editor sent it (export stays byte-identical) as a new
immutable version that records the version it was based on. A save based on anything but the newest
version is refused (:class:`StaleSave`), never a silent overwrite.
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from builder import appspec
from builder.appspec.loader import SourceMap, YamlLoadError, load_yaml
from builder.appspec.migrations import CURRENT_FORMAT, FormatError, migrate
from builder.appspec.problems import Problem
from builder.appspec.schema import SLUG
from builder.errors import UserError
from builder.registry import Registry
from builder.security.auth import Principal
from builder.security.grants import can_manage_app
from builder.store import Store
from builder.store import apps as app_records
from builder.store import datasources as ds_records
from builder.store.models import AppRecord, AppVersion
from builder.store.people_models import User
from widgets.base import WidgetType

#: The page an empty app starts with.
FIRST_PAGE = "main"
MAX_TITLE = 200


class EditError(UserError):
    """A request the editor cannot carry out; ``status`` is the HTTP answer."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status or self.status
        self.code = code or self.code
        self.extra = extra or {}


class InvalidApp(EditError):
    """The text has problems; nothing was stored."""

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        super().__init__(f"the app has {count} problem{'s' if count != 1 else ''}; nothing was "
                         "saved", code="invalid_app",
                         extra={"problems": [problem_json(p) for p in problems]})
        self.problems = problems


class StaleSave(EditError):
    def __init__(self, slug: str, based_on: int | None, newest: AppVersion) -> None:
        who = f" by {newest.created_by}" if newest.created_by else ""
        super().__init__(
            f"app '{slug}' was saved as version {newest.number}{who} after you loaded version "
            f"{based_on}: reload it, or keep yours and save it on top of version {newest.number}",
            status=409, code="stale_version",
            extra={"newest": version_json(newest)})


def problem_json(problem: Problem) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "col": problem.col,
            "path": problem.path, "message": problem.message}


def version_json(version: AppVersion, published_id: int | None = None) -> dict[str, Any]:
    return {"number": version.number, "based_on": version.based_on,
            "created_by": version.created_by, "created_at": _iso(version.created_at),
            "published": published_id is not None and version.id == published_id}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def filename(slug: str) -> str:
    """The name problems carry: what ``toolcrib apps export`` would write."""
    return f"{slug.replace('-', '_')}.yaml"


# --- reading ---------------------------------------------------------------------------------

def find_app(session: Session, slug: str) -> AppRecord:
    app = session.scalar(select(AppRecord).where(AppRecord.slug == slug))
    if app is None:
        raise EditError(f"there is no app '{slug}'", status=404, code="not_found")
    return app


def get_version(session: Session, app: AppRecord, number: int | None = None) -> AppVersion:
    """Version ``number`` of the app, or its newest."""
    query = select(AppVersion).where(AppVersion.app_id == app.id)
    if number is None:
        query = query.order_by(AppVersion.number.desc()).limit(1)
    else:
        query = query.where(AppVersion.number == number)
    version = session.scalars(query).first()
    if version is None:
        what = f"version {number}" if number is not None else "a saved version"
        raise EditError(f"app '{app.slug}' has no {what}", status=404, code="not_found")
    return version


def published_number(session: Session, app: AppRecord) -> int | None:
    if app.published_version_id is None:
        return None
    version = session.get(AppVersion, app.published_version_id)
    return version.number if version else None


def _load(text: str, name: str) -> tuple[Any, SourceMap | None, list[Problem]]:
    """The migrated document as plain data (None when the YAML does not load), where each part
    of it is, and the problems of loading it. Validation proper is :func:`check`."""
    try:
        doc, smap = load_yaml(text, name)
    except YamlLoadError as exc:
        return None, None, exc.problems
    try:
        return migrate(doc), smap, []
    except FormatError as exc:
        return None, smap, [Problem(name, 1, 1, "format", str(exc))]


def parse_document(text: str) -> tuple[Any, list[Problem]]:
    """The migrated document as plain data (None when it does not load) and the problems."""
    doc, _smap, problems = _load(text, "app.yaml")
    return doc, problems


def check(session: Session, text: str, slug: str, widgets: Registry[WidgetType]) -> list[Problem]:
    """Every problem of ``text`` as the app ``slug``: the validator's, against the registered
    data sources, plus a slug that does not match the app being edited."""
    name = filename(slug)
    problems = appspec.check_text(text, name, widgets=widgets,
                                  datasource_names=ds_records.names(session))
    doc, smap, _ = _load(text, name)
    if isinstance(doc, dict) and isinstance(doc.get("app"), str) and doc["app"] != slug:
        line, col = smap.at(("app",)) if smap is not None else (1, 1)
        problems.append(Problem(name, line, col, "app",
                                f"this is app '{slug}': the app key must stay '{slug}' (create "
                                "a new app to use another slug)"))
    return sorted(problems)


def history(session: Session, app: AppRecord) -> list[dict[str, Any]]:
    versions = session.scalars(select(AppVersion).where(AppVersion.app_id == app.id)
                               .order_by(AppVersion.number.desc()))
    return [version_json(v, app.published_version_id) for v in versions]


def diff(session: Session, app: AppRecord, old: int, new: int) -> str:
    """Unified diff between two versions' texts (empty when they are the same)."""
    before, after = get_version(session, app, old), get_version(session, app, new)
    name = filename(app.slug)
    return "".join(difflib.unified_diff(
        before.source.splitlines(keepends=True), after.source.splitlines(keepends=True),
        fromfile=f"{name} (version {old})", tofile=f"{name} (version {new})"))


# --- writing ---------------------------------------------------------------------------------

def empty_app_source(slug: str, title: str) -> str:
    """The YAML of a new app: one empty page, no queries."""
    shown = yaml.safe_dump(title, allow_unicode=True, default_style=None, width=10_000)
    shown = shown.removesuffix("\n...\n").strip()
    return (f"format: {CURRENT_FORMAT}\n"
            f"app: {slug}\n"
            f"title: {shown}\n"
            "pages:\n"
            f"  - name: {FIRST_PAGE}\n"
            "    widgets: []\n")


def create(session: Session, who: Principal, slug: str, title: str,
           widgets: Registry[WidgetType]) -> AppVersion:
    """A new app owned by ``who`` with an empty first version."""
    slug, title = slug.strip(), " ".join(title.split()) or slug.strip()
    if not re.match(SLUG, slug) or len(slug) > 100:
        raise EditError("an app slug is lowercase letters, digits and -, starting with a letter "
                        "or digit (at most 100 characters)", code="bad_slug")
    if len(title) > MAX_TITLE:
        raise EditError(f"the title is longer than {MAX_TITLE} characters", code="bad_title")
    if session.scalar(select(AppRecord.id).where(AppRecord.slug == slug)) is not None:
        raise EditError(f"an app '{slug}' already exists", status=409, code="exists")
    source = empty_app_source(slug, title)
    problems = appspec.check_text(source, filename(slug), widgets=widgets)
    assert not problems, problems  # the template is valid by construction
    version = app_records.save_version(session, slug=slug, title=title, source=source,
                                       created_by=who.username)
    app = session.get(AppRecord, version.app_id)
    assert app is not None
    app.owner_id = who.id
    return version


def save(session: Session, who: Principal, app: AppRecord, text: str, based_on: int | None,
         widgets: Registry[WidgetType]) -> tuple[AppVersion, bool]:
    """Validate and store ``text`` as the next version; (version, whether it is new).

    Saving the newest version's own text again stores nothing and answers that version.
    """
    if not isinstance(based_on, int) or isinstance(based_on, bool):
        raise EditError('"based_on" must be the number of the version you edited',
                        code="bad_request")
    newest = get_version(session, app)
    if based_on != newest.number:
        raise StaleSave(app.slug, based_on, newest)
    problems = check(session, text, app.slug, widgets)
    if problems:
        raise InvalidApp(problems)
    if text == newest.source:
        return newest, False
    spec = appspec.load_app(text, filename(app.slug), widgets=widgets)
    # check_base again inside the insert; a concurrent save of the same number is an
    # IntegrityError when the transaction flushes: see save_text.
    version = app_records.save_version(session, slug=app.slug, title=spec.title, source=text,
                                       based_on=based_on, created_by=who.username,
                                       check_base=True)
    return version, True


def save_text(store: Store, who: Principal, slug: str, text: str, based_on: int | None,
              widgets: Registry[WidgetType]) -> tuple[dict[str, Any], bool]:
    """:func:`save` in its own transaction; a save that lost a race with another is a
    :class:`StaleSave` like any other stale one. Returns (the version as JSON, created)."""
    try:
        with store.session() as session:
            app = find_app(session, slug)
            version, created = save(session, who, app, text, based_on, widgets)
            return version_json(version, app.published_version_id), created
    except (IntegrityError, app_records.StaleVersionError):
        with store.session() as session:
            app = find_app(session, slug)
            raise StaleSave(slug, based_on, get_version(session, app)) from None


def rollback(store: Store, who: Principal, slug: str, number: int, based_on: int | None,
             widgets: Registry[WidgetType]) -> dict[str, Any]:
    """Store the text of version ``number`` as a new version (history is never rewritten).

    Without ``based_on`` the rollback goes on top of whatever is newest."""
    with store.session() as session:
        app = find_app(session, slug)
        source = get_version(session, app, number).source
        if based_on is None:
            based_on = get_version(session, app).number
    version, created = save_text(store, who, slug, source, based_on, widgets)
    if not created:
        raise EditError(f"version {number} is already the newest text; nothing to roll back",
                        code="unchanged")
    return version


def publish(session: Session, app: AppRecord, number: int | None,
            widgets: Registry[WidgetType]) -> AppVersion:
    """Publish a version (default: the newest), checked again against today's data sources."""
    version = get_version(session, app, number)
    problems = check(session, version.source, app.slug, widgets)
    if problems:
        raise InvalidApp(problems)
    app_records.publish(session, version)
    return version


def app_rows(session: Session, who: Principal) -> list[dict[str, Any]]:
    """Every app for the editor's list: newest and published version numbers, owner."""
    rows = []
    for app in app_records.list_apps(session):
        newest = app_records.latest_version(session, app.slug)
        rows.append({"slug": app.slug, "title": app.title,
                     "version": newest.number if newest else None,
                     "published_version": published_number(session, app),
                     "owner": owner_name(session, app),
                     "can_publish": can_manage_app(who, app)})
    return rows


def owner_name(session: Session, app: AppRecord) -> str | None:
    if app.owner_id is None:
        return None
    return session.scalar(select(User.username).where(User.id == app.owner_id))
