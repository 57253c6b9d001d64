"""JSON API of the app editor (``/api/editor/...``): developers and admins only.

Apps: create, load the newest version, check and save drafts (a stale base is a 409), publish,
history, diff, rollback. Queries: ad-hoc runs of a query object and runs of a draft's named query
for the live preview. Data sources: names and kinds, and their tables and columns. Every save,
publish and rollback goes into the audit log as an admin change; every run as a query run.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from builder import appspec, editing
from builder.adhoc import adhoc_request
from builder.context import toolcrib
from builder.query_runner import parse_run_body, prepare_request
from builder.security import allowlists, audit
from builder.security.auth import Principal, principal, roles_required
from builder.security.grants import can_manage_app
from builder.security.secretbox import SecretKeyError
from builder.store import datasources as ds_records
from builder.store.datasources import UnknownDataSource
from builder.transactions import SQLTransaction
from builder.web.api import Forbidden, elapsed_ms, error_response, failed_run, json_response
from builder.web.api import run_on_source as run_on
from datasources.base import QueryError, QueryInputError

bp = Blueprint("editor_api", __name__, url_prefix="/api/editor")
log = logging.getLogger(__name__)

EDITORS = ("admin", "developer")


@bp.errorhandler(editing.EditError)
def edit_error(exc: editing.EditError) -> Response:
    return json_response({"error": {"message": exc.message, "code": exc.code}, **exc.extra},
                         exc.status)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    return error_response(exc.description or exc.name, exc.code or 500,
                          exc.name.lower().replace(" ", "_"))


def me() -> Principal:
    who = principal()
    assert who is not None, "view is not behind roles_required"
    return who


def _body() -> dict[str, Any]:
    if not request.is_json:
        raise editing.EditError("send the request as JSON (Content-Type: application/json)",
                                status=415, code="unsupported_media_type")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise editing.EditError("the request body must be a JSON object", code="bad_json")
    return body


def _int_or_none(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise editing.EditError(f'"{name}" must be a version number', code="bad_request")
    return value


# --- apps ------------------------------------------------------------------------------------

@bp.get("/apps")
@roles_required(*EDITORS)
def list_apps() -> Response:
    with toolcrib().store.session() as session:
        return json_response({"apps": editing.app_rows(session, me())})


@bp.post("/apps")
@roles_required(*EDITORS)
def create_app() -> Response:
    body = _body()
    slug, title = body.get("slug"), body.get("title", "")
    if not isinstance(slug, str) or not isinstance(title, str):
        raise editing.EditError('send {"slug": "...", "title": "..."}')
    return json_response(create_and_audit(me(), slug, title), 201)


def create_and_audit(who: Principal, slug: str, title: str) -> dict[str, Any]:
    """A new empty app owned by ``who`` (the API and the editor's list page both use this)."""
    tc = toolcrib()
    with tc.store.session() as session:
        version = editing.create(session, who, slug, title, tc.widgets)
        payload = _app_payload(session, who, editing.find_app(session, version.app.slug),
                               version)
    audit.admin_change(who, "app.create", payload["slug"],
                       after={"title": payload["title"], "version": payload["version"]})
    return payload


def _app_payload(session: Any, who: Principal, app: Any, version: Any) -> dict[str, Any]:
    """An app as the editor opens it: its newest version's text and the document it holds."""
    doc, problems = editing.parse_document(version.source)
    return {
        **editing.version_json(version, app.published_version_id),
        "slug": app.slug,
        "title": app.title,
        "version": version.number,
        "published_version": editing.published_number(session, app),
        "owner": editing.owner_name(session, app),
        "can_publish": can_manage_app(who, app),
        "source": version.source,
        "doc": doc,
        "problems": [editing.problem_json(p) for p in problems],
    }


@bp.get("/apps/<slug>")
@roles_required(*EDITORS)
def load_app(slug: str) -> Response:
    with toolcrib().store.session() as session:
        app = editing.find_app(session, slug)
        return json_response(_app_payload(session, me(), app, editing.get_version(session, app)))


@bp.post("/apps/<slug>/check")
@roles_required(*EDITORS)
def check_app(slug: str) -> Response:
    """The validator's problems for a draft, without storing anything."""
    text = _body().get("source")
    if not isinstance(text, str):
        raise editing.EditError('send {"source": "<the YAML text>"}')
    tc = toolcrib()
    with tc.store.session() as session:
        editing.find_app(session, slug)
        problems = editing.check(session, text, slug, tc.widgets)
    return json_response({"problems": [editing.problem_json(p) for p in problems]})


@bp.post("/apps/<slug>/versions")
@roles_required(*EDITORS)
def save_app(slug: str) -> Response:
    body = _body()
    text = body.get("source")
    if not isinstance(text, str):
        raise editing.EditError('send {"source": "<the YAML text>", "based_on": <version>}')
    based_on = _int_or_none(body.get("based_on"), "based_on")
    tc, who = toolcrib(), me()
    version, created = editing.save_text(tc.store, who, slug, text, based_on, tc.widgets)
    if created:
        audit.admin_change(who, "app.save", slug, before={"version": based_on},
                           after={"version": version["number"]})
    return json_response({**version, "created": created}, 201 if created else 200)


@bp.get("/apps/<slug>/versions")
@roles_required(*EDITORS)
def versions(slug: str) -> Response:
    with toolcrib().store.session() as session:
        return json_response({"versions": editing.history(session,
                                                          editing.find_app(session, slug))})


@bp.get("/apps/<slug>/versions/<int:number>")
@roles_required(*EDITORS)
def version_text(slug: str, number: int) -> Response:
    with toolcrib().store.session() as session:
        app = editing.find_app(session, slug)
        version = editing.get_version(session, app, number)
        return json_response({**editing.version_json(version, app.published_version_id),
                              "source": version.source})


@bp.get("/apps/<slug>/diff")
@roles_required(*EDITORS)
def diff(slug: str) -> Response:
    old, new = request.args.get("from", type=int), request.args.get("to", type=int)
    if old is None or new is None:
        raise editing.EditError("give two version numbers: ?from=1&to=2")
    with toolcrib().store.session() as session:
        text = editing.diff(session, editing.find_app(session, slug), old, new)
    return json_response({"from": old, "to": new, "diff": text})


@bp.post("/apps/<slug>/rollback")
@roles_required(*EDITORS)
def rollback(slug: str) -> Response:
    body = _body()
    number = _int_or_none(body.get("version"), "version")
    if number is None:
        raise editing.EditError('send {"version": <the version to go back to>, "based_on": '
                                "<the newest version you have>}")
    based_on = _int_or_none(body.get("based_on"), "based_on")
    tc, who = toolcrib(), me()
    version = editing.rollback(tc.store, who, slug, number, based_on, tc.widgets)
    audit.admin_change(who, "app.rollback", slug, before={"version": version["based_on"]},
                       after={"version": version["number"], "text_of": number})
    return json_response({**version, "restored": number}, 201)


@bp.post("/apps/<slug>/publish")
@roles_required(*EDITORS)
def publish(slug: str) -> Response:
    number = _int_or_none(_body().get("version"), "version")
    tc, who = toolcrib(), me()
    with tc.store.session() as session:
        app = editing.find_app(session, slug)
        if not can_manage_app(who, app):
            raise editing.EditError("only an admin or the developer who owns this app may "
                                    "publish it", status=403, code="forbidden")
        before = editing.published_number(session, app)
        version = editing.publish(session, app, number, tc.widgets)
        payload = editing.version_json(version, app.published_version_id)
    audit.admin_change(who, "app.publish", slug, before={"published": before},
                       after={"published": payload["number"]})
    return json_response(payload)


# --- data sources ----------------------------------------------------------------------------

@bp.get("/datasources")
@roles_required(*EDITORS)
def datasources() -> Response:
    """Names and kinds only: configurations and credentials never leave the server."""
    with toolcrib().store.session() as session:
        rows = [{"name": r.name, "kind": r.kind, "read_only": r.read_only}
                for r in ds_records.list_all(session)]
    return json_response({"datasources": rows})


@bp.get("/datasources/<name>/schema")
@roles_required(*EDITORS)
def datasource_schema(name: str) -> Response:
    try:
        allowlists.check(request.remote_addr, "datasource", name)
        tables = toolcrib().connections.get(name).introspect()
    except allowlists.AddressNotAllowed as exc:
        return error_response(str(exc), 403, "forbidden")
    except UnknownDataSource:
        return error_response(f"there is no data source '{name}'", 404, "not_found")
    except QueryError as exc:
        return error_response(exc.message, exc.status, exc.code)
    except SecretKeyError:
        return error_response("the server cannot read this data source's credentials; ask an "
                              "admin to check the secret key", 500, "secret_key")
    return json_response({"datasource": name, "tables": [
        {"name": t.name, "columns": [{"name": c.name, "type": c.type, "nullable": c.nullable}
                                     for c in t.columns]} for t in tables]})


# --- running queries -------------------------------------------------------------------------

@bp.post("/run")
@roles_required(*EDITORS)
def run_adhoc() -> Response:
    """Run a query object (``{"datasource", "sql", ...}`` as in an app file) with the editor's
    widget values: ``{"query": {...}, "state": {...}, "app": slug, "name": query name}``."""
    body = _body()
    tc, who = toolcrib(), me()
    started = time.perf_counter()
    query_doc = body.get("query")
    trail: dict[str, Any] = {
        "app_slug": _short(body.get("app")), "query_name": _short(body.get("name")),
        "datasource": _short(query_doc.get("datasource")) if isinstance(query_doc, dict) else None,
        "detail": {"adhoc": True, "query": _query_text(query_doc)},
    }

    def prepare() -> tuple[str, Any]:
        query, query_request = adhoc_request(query_doc, body.get("state", {}), widgets=tc.widgets,
                                             settings=tc.settings, user=who.as_binding_value())
        trail["detail"]["values"] = audit.redact(query_request.values)
        return query.datasource, query_request

    return _run(who, trail, started, prepare)


@bp.post("/apps/<slug>/preview/queries/<name>/run")
@roles_required(*EDITORS)
def run_preview(slug: str, name: str) -> Response:
    """A named query of the draft the preview shows: ``{"state", "page", "draft": yaml}``."""
    body = _body()
    tc, who = toolcrib(), me()
    started = time.perf_counter()
    trail: dict[str, Any] = {"app_slug": slug, "query_name": name,
                             "detail": {"preview": True}}

    def prepare() -> tuple[str, Any]:
        draft = body.get("draft")
        if not isinstance(draft, str):
            raise QueryInputError("the preview sent no draft; reopen the preview")
        try:
            spec = appspec.load_app(draft, editing.filename(slug), widgets=tc.widgets)
        except appspec.AppSpecError as exc:
            raise QueryInputError(f"the draft has problems: {exc.problems[0]}") from None
        named = spec.queries.get(name)
        if named is not None:
            trail["datasource"] = named.datasource
            trail["detail"]["query"] = _query_text(named.body)
        query, query_request = prepare_request(spec, name, parse_run_body(body),
                                               widgets=tc.widgets, settings=tc.settings,
                                               user=who.as_binding_value())
        trail["detail"]["values"] = audit.redact_query_values(spec, query_request.values)
        return query.datasource, query_request

    return _run(who, trail, started, prepare)


def _run(who: Principal, trail: dict[str, Any], started: float, prepare: Any) -> Response:
    """Prepare, check the data source's allowlist, run, audit; errors as JSON."""
    tc = toolcrib()
    try:
        source, query_request = prepare()
        trail["datasource"] = source
        allowlists.check(request.remote_addr, "datasource", source)
        result = run_on(tc.connections.get(source), query_request)
    except allowlists.AddressNotAllowed as exc:
        trail["detail"]["refused_by"] = exc.level
        return failed_run(trail, started, who, Forbidden(str(exc)))
    except QueryError as exc:
        return failed_run(trail, started, who, exc)
    except UnknownDataSource:
        # Unlike a published app's (a server misconfiguration, 502), the developer picked it.
        return failed_run(trail, started, who, QueryError(
            f"there is no data source '{trail.get('datasource')}'; pick one an admin has "
            "registered", status=400, code="datasource_missing"))
    except SecretKeyError:
        return failed_run(trail, started, who, QueryError(
            "the server cannot read this data source's credentials; ask an admin to check the "
            "secret key", status=500, code="secret_key"))
    except Exception:
        audit.record("query", outcome="internal_error", who=who,
                     duration_ms=elapsed_ms(started), **trail)
        log.exception("unexpected error running a query from the editor")
        return error_response("the server failed unexpectedly; the error was logged", 500,
                              "internal_error")
    rows = result.rowcount if result.rowcount is not None else len(result.rows)
    audit.record("query", outcome="ok", who=who, rows=rows, duration_ms=elapsed_ms(started),
                 **trail)
    return json_response(result.as_json())


def _short(value: Any, limit: int = 100) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _query_text(query: Any) -> Any:
    """What the audit log keeps of a query that is not published: its text."""
    if isinstance(query, dict) and isinstance(query.get("sql"), str):
        return query["sql"][:10_000]
    if isinstance(query, str):
        return query[:10_000]
    if isinstance(query, SQLTransaction):  # a transaction: its steps as the app file has them
        return query.as_json()
    return query if isinstance(query, dict) else None
