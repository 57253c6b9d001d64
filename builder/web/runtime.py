"""Runtime pages: the apps a person may use, and the published app shell."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from builder.context import toolcrib
from builder.registry import RegistryError
from builder.security import allowlists
from builder.security.auth import can_use_app, login_required, principal
from builder.store import apps as app_records

bp = Blueprint("runtime", __name__)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    who = principal()
    assert who is not None
    with toolcrib().store.session() as session:
        apps = [(a.id, a.slug, a.title) for a in app_records.list_apps(session)
                if a.published_version_id is not None]
    visible = [(slug, title) for app_id, slug, title in apps if can_use_app(who, app_id)]
    return render_template("index.html", apps=visible)


@bp.get("/apps/<slug>")
@login_required
def app_page(slug: str) -> ResponseReturnValue:
    return _app_shell(slug, None)


@bp.get("/apps/<slug>/<page_name>")
@login_required
def app_subpage(slug: str, page_name: str) -> ResponseReturnValue:
    """A page of a multi-page app: ``/apps/orders/detail?id=42`` (bookmarkable, reloadable).

    The query string holds the page's parameters; the browser converts them to the declared
    types and the server checks them again whenever a query reads one.
    """
    return _app_shell(slug, page_name)


def _app_shell(slug: str, page_name: str | None) -> ResponseReturnValue:
    who = principal()
    assert who is not None
    loaded = toolcrib().published.get(slug)
    if loaded is None or not can_use_app(who, loaded.app_id):
        # The same answer whether the app exists or not: nothing to learn from probing.
        return render_template("not_found.html", what=f"app “{slug}” for you"), 404
    try:
        allowlists.check(request.remote_addr, "app", slug)
    except allowlists.AddressNotAllowed as exc:
        return render_template("error.html", status=403, message=str(exc)), 403
    if page_name is not None and loaded.spec.page(page_name) is None:
        return render_template("not_found.html", what=f"page “{page_name}” of “{slug}”"), 404
    public = loaded.spec.public_json()
    public["version"] = loaded.version_number
    public["baseUrl"] = url_for("runtime.app_page", slug=slug)
    public["runUrl"] = url_for("api.run_query", slug=slug, name="__NAME__").replace(
        "__NAME__", "{name}")
    widget_types = sorted({w.type for w in loaded.spec.all_widgets()})
    return render_template("runtime.html", app=public, widget_types=widget_types)


@bp.app_template_global()
def widget_vendor_files(widget_types: Iterable[str]) -> dict[str, list[str]]:
    """The vendored scripts and styles (paths under static/) the page's widget types need.

    Each file once, in the order of ``widget_types``; used by runtime.html (app and preview).
    """
    registry = toolcrib().widgets
    files: dict[str, list[str]] = {"scripts": [], "styles": []}
    for name in widget_types:
        if name not in registry:
            continue
        widget = registry.get(name)
        for kind, paths in (("scripts", widget.vendor_scripts), ("styles", widget.vendor_styles)):
            files[kind].extend(p for p in paths if p not in files[kind])
    return files


@bp.get("/widgets/<widget_type>.js")
def widget_script(widget_type: str) -> ResponseReturnValue:
    try:
        widget = toolcrib().widgets.get(widget_type)
    except RegistryError:
        abort(404)
    return send_file(widget.script_path, mimetype="text/javascript", max_age=300)
