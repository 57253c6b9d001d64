"""JSON API: running the named queries of published apps."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from builder.context import toolcrib
from builder.imports import ImportBody
from builder.published import LoadedApp
from builder.query_runner import NotFound, RunInput, parse_run_body, prepare_request
from builder.security import allowlists, audit
from builder.security.auth import Principal, can_use_app, login_required, principal
from builder.security.secretbox import SecretKeyError
from builder.store.datasources import UnknownDataSource
from datasources.base import DataSource, QueryError, QueryInputError, QueryRequest

bp = Blueprint("api", __name__, url_prefix="/api")
log = logging.getLogger(__name__)
T = TypeVar("T")


_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_response(payload: Any, status: int = 200) -> Response:
    """JSON as the standard library would write it (``default=str``), encoded by orjson.

    orjson is several times faster on a page of rows; what it cannot encode (integers past 64
    bits) goes through ``json.dumps``.
    """
    try:
        body = orjson.dumps(payload, default=str, option=_ORJSON_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                          default=str).encode()
    return Response(body, status=status, mimetype="application/json")


def error_response(message: str, status: int, code: str) -> Response:
    return json_response({"error": {"message": message, "code": code}}, status)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    return error_response(exc.description or exc.name, exc.code or 500, exc.name.lower()
                          .replace(" ", "_"))


@bp.errorhandler(Exception)
def unexpected_error(exc: Exception) -> Response:
    """Log the details on the server; the browser gets a message without internals."""
    log.exception("unexpected error in the API")
    return error_response("the server failed unexpectedly; the error was logged", 500,
                          "internal_error")


class Forbidden(QueryError):
    status = 403
    code = "forbidden"


@bp.post("/apps/<slug>/queries/<name>/run")
@login_required
def run_query(slug: str, name: str) -> Response:
    if not request.is_json:
        return error_response("send the request as JSON (Content-Type: application/json)",
                              415, "unsupported_media_type")
    body = request.get_json(silent=True)
    if body is None:
        return error_response("the request body is not valid JSON", 400, "bad_json")
    outcome = checked_run(slug, name, body, parse_run_body, run_on_source)
    if isinstance(outcome, Response):
        return outcome
    result, run = outcome.value, outcome
    rows = result.rowcount if result.rowcount is not None else len(result.rows)
    audit.record("query", outcome="ok", who=run.who, rows=rows,
                 duration_ms=elapsed_ms(run.started), **run.trail)
    return json_response(result.as_json())


def run_on_source(source: DataSource, query_request: QueryRequest) -> Any:
    """Run a named query (the run API and the editor's preview); an import query needs its file."""
    if isinstance(query_request.body, ImportBody):
        raise QueryInputError("this query imports a file: upload it to the query's /import "
                              "URL (a fileinput widget and a run action do that)")
    return source.run(query_request)


@dataclass
class CheckedRun(Generic[T]):
    """What ``checked_run`` did: the action's value and what its audit record needs."""

    value: T
    loaded: LoadedApp
    run: RunInput
    trail: dict[str, Any]
    started: float
    who: Principal


def checked_run(slug: str, name: str, body: Any, parse: Callable[[Any], RunInput],
                act: Callable[[DataSource, QueryRequest], T],
                detail: dict[str, Any] | None = None) -> CheckedRun[T] | Response:
    """Every check of running a published app's query, then ``act`` on its data source.

    Shared by the run and export endpoints: the app is published and granted to the caller,
    the app's and the data source's allowlists let the client in, the body and state are valid.
    A refusal or failure is written to the audit log and answered as a JSON error (a Response);
    an unexpected error is logged too and raised. ``detail`` starts the audit record's detail
    (an import's file name and size).
    """
    tc, who = toolcrib(), principal()
    assert who is not None
    started = time.perf_counter()
    loaded = tc.published.get(slug)
    trail: dict[str, Any] = {"app_slug": slug, "query_name": name,
                             "app_version": loaded.version_number if loaded else None}
    if detail:
        trail["detail"] = dict(detail)
    try:
        if loaded is None or not can_use_app(who, loaded.app_id):
            raise NotFound(f"there is no published app {slug!r} for you")
        allowlists.check(request.remote_addr, "app", slug)
        named = loaded.spec.queries.get(name)
        if named is not None:
            trail["datasource"] = named.datasource
        run = parse(body)
        query, query_request = prepare_request(loaded.spec, name, run, widgets=tc.widgets,
                                               settings=tc.settings,
                                               user=who.as_binding_value())
        trail.setdefault("detail", {})["values"] = audit.redact_query_values(
            loaded.spec, query_request.values)
        allowlists.check(request.remote_addr, "datasource", query.datasource)
        value = act(tc.connections.get(query.datasource), query_request)
    except allowlists.AddressNotAllowed as exc:
        # The log says which list refused; the client only learns its address was not allowed.
        trail.setdefault("detail", {})["refused_by"] = exc.level
        return failed_run(trail, started, who, Forbidden(str(exc)))
    except QueryError as exc:
        return failed_run(trail, started, who, exc)
    except UnknownDataSource:
        log.error("app %s query %s names a data source that is not registered", slug, name)
        return failed_run(trail, started, who, QueryError(
            "this query's data source is not set up on the server; ask an admin to add it",
            status=502, code="datasource_missing"))
    except SecretKeyError as exc:
        log.error("cannot decrypt data source credentials: %s", exc)
        return failed_run(trail, started, who, QueryError(
            "the server cannot read this data source's credentials; ask an admin to check "
            "the secret key", status=500, code="secret_key"))
    except Exception:
        # Logged and answered by unexpected_error; the run still goes into the audit log.
        audit.record("query", outcome="internal_error", who=who,
                     duration_ms=elapsed_ms(started), **trail)
        raise
    return CheckedRun(value, loaded, run, trail, started, who)


def failed_run(trail: dict[str, Any], started: float, who: Any, exc: QueryError) -> Response:
    """Audit a refused or failed run and answer its JSON error (shared by the query endpoints)."""
    detail = {**trail.pop("detail", {}), "error": exc.message}
    audit.record("query", outcome=exc.code, who=who, duration_ms=elapsed_ms(started),
                 detail=detail, **trail)
    return error_response(exc.message, exc.status, exc.code)


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
