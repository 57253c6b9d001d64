"""App access (admins and developers): who may use each app, and publishing its newest version.

Everyone with the developer role sees the list; changes (grant, revoke, publish) are allowed to
admins and to the developer who owns the app. Apps imported by the CLI have no owner, so only
admins change them; an admin may hand an app to a developer. Every change is audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from builder import appspec
from builder.context import toolcrib
from builder.errors import UserError
from builder.security import audit
from builder.security import grants as access
from builder.security import users as people
from builder.security.auth import Principal, roles_required
from builder.store import apps as app_records
from builder.store import datasources as ds_records
from builder.store.models import AppRecord, AppVersion
from builder.store.people_models import User
from builder.web.page_helpers import form_int, me, when

bp = Blueprint("admin_apps", __name__, url_prefix="/admin/apps")


class PublishError(UserError):
    pass


def _app(session: Session, slug: str) -> AppRecord:
    app = session.scalar(select(AppRecord).where(AppRecord.slug == slug))
    if app is None:
        abort(404)
    return app


def _manageable(session: Session, slug: str, who: Principal) -> AppRecord:
    app = _app(session, slug)
    if not access.can_manage_app(who, app):
        abort(403)
    return app


def _back(slug: str) -> ResponseReturnValue:
    return redirect(url_for("admin_apps.app", slug=slug))


def _usernames(session: Session) -> dict[int, str]:
    return {user_id: name for user_id, name in session.execute(select(User.id, User.username))}


@bp.get("")
@roles_required("admin", "developer")
def apps() -> ResponseReturnValue:
    who = me()
    with toolcrib().store.session() as session:
        names = _usernames(session)
        grant_counts = access.grant_counts(session)
        rows = []
        for app in app_records.list_apps(session):
            newest = app.versions[-1] if app.versions else None
            rows.append({
                "slug": app.slug, "title": app.title,
                "newest": newest.number if newest else None,
                "published": app.published_version.number if app.published_version else None,
                "owner": names.get(app.owner_id) if app.owner_id else None,
                "grants": grant_counts.get(app.id, 0),
                "manage": access.can_manage_app(who, app),
            })
    return render_template("admin_apps.html", apps=rows)


@bp.get("/<slug>")
@roles_required("admin", "developer")
def app(slug: str) -> ResponseReturnValue:
    who = me()
    with toolcrib().store.session() as session:
        record = _app(session, slug)
        names = _usernames(session)
        users = people.list_users(session)
        versions = list(reversed(record.versions))[:10]
        context = {
            "app": record,
            "versions": versions,
            "newest": versions[0] if versions else None,
            "published": record.published_version,
            "owner": names.get(record.owner_id) if record.owner_id else None,
            "grants": access.grants_of(session, record),
            "manage": access.can_manage_app(who, record),
            "operators": [u for u in users if u.role == "operator"],
            "developers": [u for u in users if u.role == "developer"],
            "groups": [g for g, _ in people.list_groups(session)],
            "is_admin": who.is_admin,
        }
    return render_template("admin_app.html", when=when, **context)


@bp.post("/<slug>/grants")
@roles_required("admin", "developer")
def grant(slug: str) -> ResponseReturnValue:
    who = me()
    user_id, group_id = form_int("user_id"), form_int("group_id")
    try:
        with toolcrib().store.session() as session:
            record = _manageable(session, slug, who)
            if (user_id is None) == (group_id is None):
                raise access.GrantError("choose one operator or one group")
            if user_id is not None:
                user = people.get_user(session, user_id)
                _, created = access.grant_to_user(session, record, user, granted_by=who.id)
                kind, name = "user", user.username
            else:
                assert group_id is not None
                group = people.get_group(session, group_id)
                _, created = access.grant_to_group(session, record, group, granted_by=who.id)
                kind, name = "group", group.name
    except (access.GrantError, people.UserAdminError) as exc:
        flash(f"Not granted: {exc}", "error")
        return _back(slug)
    if created:
        audit.admin_change(who, "app.grant", f"app:{slug}", after={kind: name})
        flash(f"{'The group ' if kind == 'group' else ''}{name} may now use {slug}.", "success")
    else:
        flash(f"{name} could already use {slug}.", "success")
    return _back(slug)


@bp.post("/<slug>/grants/<int:grant_id>/revoke")
@roles_required("admin", "developer")
def revoke(slug: str, grant_id: int) -> ResponseReturnValue:
    who = me()
    try:
        with toolcrib().store.session() as session:
            record = _manageable(session, slug, who)
            kind, name = access.revoke(session, record, grant_id)
    except access.GrantError as exc:
        flash(str(exc), "error")
        return _back(slug)
    audit.admin_change(who, "app.revoke", f"app:{slug}", before={kind: name})
    flash(f"{name} may no longer use {slug} (unless through a group or another grant).",
          "success")
    return _back(slug)


@bp.post("/<slug>/publish")
@roles_required("admin", "developer")
def publish(slug: str) -> ResponseReturnValue:
    """Publish the newest version, the one the person saw when they pressed the button."""
    who = me()
    seen = form_int("version")
    try:
        with toolcrib().store.session() as session:
            record = _manageable(session, slug, who)
            before = record.published_version.number if record.published_version else None
            version = _publishable(session, record, seen)
            app_records.publish(session, version)
            after = version.number
    except PublishError as exc:
        flash(f"Not published: {exc}", "error")
        return _back(slug)
    if before != after:
        audit.admin_change(who, "app.publish", f"app:{slug}",
                           before={"published_version": before},
                           after={"published_version": after})
        flash(f"Published version {after} of {slug}: operators now use it.", "success")
    else:
        flash(f"Version {after} of {slug} was already published.", "success")
    return _back(slug)


def _publishable(session: Session, record: AppRecord, seen: int | None) -> AppVersion:
    newest = app_records.latest_version(session, record.slug)
    if newest is None:
        raise PublishError("this app has no saved version")
    if seen != newest.number:
        raise PublishError(f"version {newest.number} was saved since this page was opened; "
                           "look at it, then publish again")
    tc = toolcrib()
    try:
        spec = appspec.load_app(newest.source, f"{record.slug}@v{newest.number}",
                                widgets=tc.widgets, datasource_names=ds_records.names(session))
    except appspec.AppSpecError as exc:
        first = "; ".join(str(p) for p in exc.problems[:3])
        raise PublishError(f"version {newest.number} has problems: {first}") from None
    if spec.slug != record.slug:
        raise PublishError(f"version {newest.number} names the app {spec.slug!r}")
    return newest


@bp.post("/<slug>/owner")
@roles_required("admin")
def set_owner(slug: str) -> ResponseReturnValue:
    """Admins hand an app to a developer (who may then grant and publish it), or take it back."""
    who = me()
    owner_id = form_int("owner_id")
    try:
        with toolcrib().store.session() as session:
            record = _app(session, slug)
            names = _usernames(session)
            before = names.get(record.owner_id) if record.owner_id else None
            if owner_id is not None:
                owner = people.get_user(session, owner_id)
                if owner.role != "developer":
                    raise people.UserAdminError(
                        f"{owner.username} is not a developer; only developers own apps")
            record.owner_id = owner_id
            after = names.get(owner_id) if owner_id else None
    except people.UserAdminError as exc:
        flash(f"Owner not changed: {exc}", "error")
        return _back(slug)
    if before != after:
        audit.admin_change(who, "app.owner", f"app:{slug}", before={"owner": before},
                           after={"owner": after})
    flash(f"{slug} is now owned by {after}." if after
          else f"{slug} has no owner: only admins change it.", "success")
    return _back(slug)
