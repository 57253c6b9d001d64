"""Runtime pages: the list of apps and the published app shell."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_file, url_for
from flask.typing import ResponseReturnValue

from builder.context import toolcrib
from builder.registry import RegistryError
from builder.store import apps as app_records

bp = Blueprint("runtime", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    tc = toolcrib()
    with tc.store.session() as session:
        apps = [(a.slug, a.title) for a in app_records.list_apps(session)
                if a.published_version_id is not None]
    return render_template("index.html", apps=apps)


@bp.get("/apps/<slug>")
def app_page(slug: str) -> ResponseReturnValue:
    loaded = toolcrib().published.get(slug)
    if loaded is None:
        return render_template("not_found.html", what=f"app “{slug}”"), 404
    public = loaded.spec.public_json()
    public["version"] = loaded.version_number
    public["runUrl"] = url_for("api.run_query", slug=slug, name="__NAME__").replace(
        "__NAME__", "{name}")
    widget_types = sorted({w.type for w in loaded.spec.all_widgets()})
    return render_template("runtime.html", app=public, widget_types=widget_types)


@bp.get("/widgets/<widget_type>.js")
def widget_script(widget_type: str) -> ResponseReturnValue:
    try:
        widget = toolcrib().widgets.get(widget_type)
    except RegistryError:
        abort(404)
    return send_file(widget.script_path, mimetype="text/javascript", max_age=300)
