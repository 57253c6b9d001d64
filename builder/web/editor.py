"""The app editor's pages (developers and admins): the app list, the editor, the live preview.

The editor itself is a browser application (``static/editor/*.js``) on the JSON API of
``editor_api.py``. The preview renders the ordinary runtime with a *draft* (the editor's unsaved
text, posted into an iframe), and its queries run through the editor API with that draft.
"""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from builder import appspec, editing
from builder.appspec.schema import GRID_COLUMNS, QUERY_PROPERTIES
from builder.context import toolcrib
from builder.security.auth import principal, roles_required
from builder.store import datasources as ds_records
from builder.web.editor_api import create_and_audit
from widgets.base import WidgetType

bp = Blueprint("editor", __name__, url_prefix="/editor")

EDITORS = ("admin", "developer")
#: The preview is framed by the editor page (same origin only); everything else stays DENY.
PREVIEW_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


def widget_info(widget: WidgetType) -> dict[str, Any]:
    """What the palette and the property panel need to know about a widget type."""
    return {
        "type": widget.type,
        "title": widget.title,
        "description": widget.description,
        "properties": widget.properties,
        "state": sorted(widget.state),
        "required": list(widget.required),
        "defaultSize": list(widget.default_size),
        "referenceable": sorted(widget.referenceable()),
    }


@bp.get("/")
@roles_required(*EDITORS)
def index() -> ResponseReturnValue:
    who = principal()
    assert who is not None
    with toolcrib().store.session() as session:
        rows = editing.app_rows(session, who)
    return render_template("editor_list.html", apps=rows, form={})


@bp.post("/")
@roles_required(*EDITORS)
def create() -> ResponseReturnValue:
    """The list page's "New app" form: create it and open it in the editor."""
    who = principal()
    assert who is not None
    slug, title = request.form.get("slug", ""), request.form.get("title", "")
    try:
        create_and_audit(who, slug, title)
    except editing.EditError as exc:
        with toolcrib().store.session() as session:
            rows = editing.app_rows(session, who)
        return render_template("editor_list.html", apps=rows, error=exc.message,
                               form={"slug": slug, "title": title}), exc.status
    return redirect(url_for("editor.edit", slug=slug.strip()))


@bp.get("/apps/<slug>")
@roles_required(*EDITORS)
def edit(slug: str) -> ResponseReturnValue:
    tc, who = toolcrib(), principal()
    assert who is not None
    try:
        with tc.store.session() as session:
            title = editing.find_app(session, slug).title
    except editing.EditError:
        return render_template("error.html", status=404,
                               message=f"there is no app “{slug}”"), 404
    config = {
        "slug": slug,
        "urls": {
            "app": url_for("editor_api.load_app", slug=slug),
            "check": url_for("editor_api.check_app", slug=slug),
            "versions": url_for("editor_api.versions", slug=slug),
            "diff": url_for("editor_api.diff", slug=slug),
            "rollback": url_for("editor_api.rollback", slug=slug),
            "publish": url_for("editor_api.publish", slug=slug),
            "run": url_for("editor_api.run_adhoc"),
            "datasources": url_for("editor_api.datasources"),
            "schema": url_for("editor_api.datasource_schema", name="__NAME__"),
            "preview": url_for("editor.preview", slug=slug),
            "runtime": url_for("runtime.app_page", slug=slug),
            "list": url_for("editor.index"),
        },
        "widgets": {name: widget_info(w) for name, w in tc.widgets.all().items()},
        "queryProperties": list(QUERY_PROPERTIES),
        "columns": GRID_COLUMNS,
        "user": who.as_binding_value(),
    }
    return render_template("editor.html", config=script_json(config), title=title, slug=slug)


def script_json(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block, keys in their own order (Jinja's
    ``tojson`` sorts them, and the property panel shows a widget's properties in the order its
    type declares them); ``<``, ``>``, ``&`` and ``'`` escaped as ``tojson`` does."""
    text = json.dumps(value, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escaped)
    return Markup(text)


@bp.post("/apps/<slug>/preview")
@roles_required(*EDITORS)
def preview(slug: str) -> ResponseReturnValue:
    """The runtime with the draft the editor posted (form field ``draft``), for its iframe."""
    tc = toolcrib()
    draft = request.form.get("draft", "")
    based_on = request.form.get("version", "")
    with tc.store.session() as session:
        known = ds_records.names(session)
    try:
        spec = appspec.load_app(draft, editing.filename(slug), widgets=tc.widgets,
                                datasource_names=known)
    except appspec.AppSpecError as exc:
        return _framed(make_response(render_template(
            "editor_preview_error.html", problems=exc.problems)))
    public = spec.public_json()
    public["version"] = f"{based_on}+" if based_on.isdigit() else "draft"
    public["runUrl"] = url_for("editor_api.run_preview", slug=slug, name="__NAME__").replace(
        "__NAME__", "{name}")
    public["runExtra"] = {"draft": draft}
    widget_types = sorted({w.type for w in spec.all_widgets()})
    return _framed(make_response(render_template("runtime.html", app=public,
                                                 widget_types=widget_types)))


def _framed(response: Response) -> Response:
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["Cache-Control"] = "no-store"
    return response
