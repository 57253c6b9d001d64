"""JSON API: running the named queries of published apps."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from builder.context import toolcrib
from builder.query_runner import NotFound, parse_run_body, prepare_request
from builder.security.secretbox import SecretKeyError
from builder.store.datasources import UnknownDataSource
from datasources.base import QueryError

bp = Blueprint("api", __name__, url_prefix="/api")
log = logging.getLogger(__name__)


def json_response(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
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


@bp.post("/apps/<slug>/queries/<name>/run")
def run_query(slug: str, name: str) -> Response:
    if not request.is_json:
        return error_response("send the request as JSON (Content-Type: application/json)",
                              415, "unsupported_media_type")
    body = request.get_json(silent=True)
    if body is None:
        return error_response("the request body is not valid JSON", 400, "bad_json")
    tc = toolcrib()
    try:
        loaded = tc.published.get(slug)
        if loaded is None:
            raise NotFound(f"there is no published app {slug!r}")
        run = parse_run_body(body)
        query, query_request = prepare_request(
            loaded.spec, name, run, widgets=tc.widgets, settings=tc.settings
        )
        source = tc.connections.get(query.datasource)
        result = source.run(query_request)
    except QueryError as exc:
        return error_response(exc.message, exc.status, exc.code)
    except UnknownDataSource:
        log.error("app %s query %s names a data source that is not registered", slug, name)
        return error_response(
            "this query's data source is not set up on the server; ask an admin to add it",
            502, "datasource_missing",
        )
    except SecretKeyError as exc:
        log.error("cannot decrypt data source credentials: %s", exc)
        return error_response("the server cannot read this data source's credentials; "
                              "ask an admin to check the secret key", 500, "secret_key")
    return json_response(result.as_json())
