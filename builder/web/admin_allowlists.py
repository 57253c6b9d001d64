"""Admin page for the IP allowlists: the instance's list, each app's, each data source's.

A change that would refuse the admin's own current address (at any level) is refused unless the
form says ``confirm_lockout=yes`` ("yes, I may lock myself out"); the page always shows the
address the server sees. ``toolcrib allowlist reset`` is the way back in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from builder.context import toolcrib
from builder.security import allowlists, audit
from builder.security.allowlists import AllowlistError, EntryView, level_label
from builder.security.auth import Principal, roles_required
from builder.store.models import AppRecord, DataSourceRecord
from builder.web.page_helpers import me

bp = Blueprint("admin_allowlists", __name__, url_prefix="/admin/allowlists")


@dataclass
class ListView:
    scope: str
    target: str
    #: Shown next to the target (an app's title); empty for the instance and data sources.
    title: str
    entries: list[EntryView]
    exists: bool = True

    @property
    def key(self) -> str:
        return f"{self.scope}:{self.target}"

    def allows(self, address: str | None) -> bool:
        return allowlists.allows(address, [e.cidr for e in self.entries])


@dataclass
class FormState:
    """A refused add, shown again in its list's form (with the lockout checkbox if needed)."""

    key: str
    cidr: str = ""
    note: str = ""
    error: str = ""
    needs_confirm: bool = False


@dataclass
class PendingRemoval:
    entry: EntryView
    message: str


@dataclass
class Page:
    form: FormState | None = None
    removal: PendingRemoval | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _address() -> str | None:
    return request.remote_addr


def _socket_peer() -> str | None:
    """The TCP peer when trusted proxies rewrote ``remote_addr`` (ProxyFix keeps the original)."""
    orig = request.environ.get("werkzeug.proxy_fix.orig") or {}
    return orig.get("REMOTE_ADDR")


def _lists(session: Session) -> tuple[ListView, list[ListView], list[ListView]]:
    entries = allowlists.list_entries(session)
    by_level: dict[tuple[str, str], list[EntryView]] = {}
    for entry in entries:
        by_level.setdefault((entry.scope, entry.target), []).append(entry)
    instance = ListView("instance", "", "", by_level.pop(("instance", ""), []))
    apps = [ListView("app", slug, title, by_level.pop(("app", slug), []))
            for slug, title in session.execute(
                select(AppRecord.slug, AppRecord.title).order_by(AppRecord.slug))]
    sources = [ListView("datasource", name, "", by_level.pop(("datasource", name), []))
               for name in session.scalars(
                   select(DataSourceRecord.name).order_by(DataSourceRecord.name))]
    # Entries whose app or data source is gone still count if one comes back under that name.
    for (scope, target), orphans in sorted(by_level.items()):
        (apps if scope == "app" else sources).append(
            ListView(scope, target, "", orphans, exists=False))
    return instance, apps, sources


def _render(page: Page, status: int = 200) -> ResponseReturnValue:
    with toolcrib().store.session() as session:
        instance, apps, sources = _lists(session)
    address = _address()
    shown = {instance.key, *(lst.key for lst in [*apps, *sources] if lst.exists)}
    # An error for a list the page does not show (unknown app, bad scope) goes on top.
    top_error = page.form.error if page.form and page.form.key not in shown else ""
    return render_template(
        "admin_allowlists.html",
        address=address,
        socket_peer=_socket_peer(),
        trusted_proxies=toolcrib().settings.trusted_proxies,
        instance=instance,
        apps=apps,
        sources=sources,
        page=page,
        top_error=top_error,
    ), status


@bp.get("", endpoint="allowlists")
@roles_required("admin")
def allowlists_page() -> ResponseReturnValue:
    return _render(Page())


def _lockout_message(action: str, scope: str, target: str, address: str | None) -> str:
    where = {
        "instance": "reach any page of this Toolcrib",
        "app": f"open the app {target}",
        "datasource": f"run queries on the data source {target}",
    }[scope]
    way_back = f"toolcrib allowlist reset {scope}" + (f" {target}" if target else "")
    return (f"{action} would lock you out: your address {address or 'unknown'} would no longer "
            f"be allowed to {where}. The way back in is `{way_back}` on the server. Tick "
            "“yes, I may lock myself out” to do it anyway.")


def _confirmed() -> bool:
    return request.form.get("confirm_lockout") == "yes"


@bp.post("/add")
@roles_required("admin")
def add() -> ResponseReturnValue:
    who = me()
    scope = request.form.get("scope", "")
    target = request.form.get("target", "")
    cidr = request.form.get("cidr", "")
    note = request.form.get("note", "")
    form = FormState(key=f"{scope}:{target}", cidr=cidr, note=note)
    try:
        with toolcrib().store.session() as session:
            scope, target = allowlists.check_level(session, scope, target)
            before = allowlists.level_cidrs(session, scope, target)
            entry = allowlists.add_entry(session, scope, target, cidr, note=note,
                                         created_by=who.username)
            after = [*before, entry.cidr]
            locks_out = allowlists.would_lock_out(_address(), before, after)
            if locks_out and not _confirmed():
                form.needs_confirm = True
                raise AllowlistError(_lockout_message(
                    f"Adding {entry.cidr} to the {level_label(scope, target)} list", scope,
                    target, _address()))
    except AllowlistError as exc:
        form.error = str(exc)
        return _render(Page(form=form), 409 if form.needs_confirm else 400)
    _record(who, "allowlist.add", scope, target, before, after, note=entry.note,
            lockout_confirmed=locks_out)
    typed = cidr.strip()
    as_typed = typed == entry.cidr or ("/" not in typed and typed == entry.cidr.split("/")[0])
    saved = "" if as_typed else f" (saved as {entry.cidr})"
    flash(f"Added {typed}{saved} to the {level_label(scope, target)} list.", "success")
    return redirect(url_for(".allowlists"))


@bp.post("/<int:entry_id>/remove")
@roles_required("admin")
def remove(entry_id: int) -> ResponseReturnValue:
    who = me()
    pending: PendingRemoval | None = None
    try:
        with toolcrib().store.session() as session:
            entry = allowlists.find_entry(session, entry_id)
            if entry is None:
                raise AllowlistError("that entry is no longer there (someone removed it already?)")
            before = allowlists.level_cidrs(session, entry.scope, entry.target)
            after = [c for c in before if c != entry.cidr]
            locks_out = allowlists.would_lock_out(_address(), before, after)
            if locks_out and not _confirmed():
                pending = PendingRemoval(entry, _lockout_message(
                    f"Removing {entry.cidr} from the {level_label(entry.scope, entry.target)} "
                    "list", entry.scope, entry.target, _address()))
                raise AllowlistError(pending.message)
            allowlists.remove_entry(session, entry_id)
    except AllowlistError as exc:
        if pending is not None:
            return _render(Page(removal=pending), 409)
        flash(str(exc), "error")
        return redirect(url_for(".allowlists"))
    _record(who, "allowlist.remove", entry.scope, entry.target, before, after, note=entry.note,
            lockout_confirmed=locks_out)
    flash(f"Removed {entry.cidr} from the {level_label(entry.scope, entry.target)} list.",
          "success")
    return redirect(url_for(".allowlists"))


def _record(who: Principal, action: str, scope: str, target: str, before: list[str],
            after: list[str], *, note: str, lockout_confirmed: bool) -> None:
    changed: dict[str, Any] = {"entries": after, "note": note}
    if lockout_confirmed:
        changed["lockout_confirmed"] = True
    audit.admin_change(who, action, level_label(scope, target), before={"entries": before},
                       after=changed)
