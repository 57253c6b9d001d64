"""CSV export of a published query's whole result: ``POST /api/apps/<slug>/queries/<name>/export``.

The same checks as the run API (``builder/web/api.py``): signed in, the app published and
granted, the app's and the data source's IP allowlists, CSRF for cookie sessions, the widget
state checked against the widgets' state schemas. The body is the run API's
``{"state": {...}, "page": {"sort": [...], "filter": [...]}}`` (page size and number are
ignored) plus an optional ``"filename"``.

The answer streams (``datasources/sql_export.py`` reads the rows with a server-side cursor in
batches), so a large export neither waits for the whole result nor holds it in memory. It is
capped at :data:`MAX_EXPORT_ROWS` rows (independent of the query's ``maxRows`` and the table's
page) and :data:`EXPORT_TIMEOUT_S` seconds. Errors found before the first byte (bad input, no
access, SQL errors) are JSON like the run API's; one after the download has started breaks the
download off, so a cut-off file is never mistaken for a whole one. Each export writes one audit
record (kind ``query``, ``detail.export``) with the rows sent, when it ends.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, has_app_context, request, stream_with_context
from werkzeug.exceptions import HTTPException
from werkzeug.wsgi import ClosingIterator

from builder.csv_export import csv_chunks, layout, safe_filename, table_columns
from builder.query_runner import RunInput, parse_run_body
from builder.security import audit
from builder.security.auth import login_required
from builder.web.api import (
    checked_run,
    elapsed_ms,
    error_response,
    http_error,
    unexpected_error,
)
from datasources.base import QueryError, QueryInputError
from datasources.sql_export import RowStream, open_stream

bp = Blueprint("export", __name__, url_prefix="/api")
bp.register_error_handler(HTTPException, http_error)
bp.register_error_handler(Exception, unexpected_error)
log = logging.getLogger(__name__)

#: At most this many rows per export (Excel shows 1,048,576 rows a sheet).
MAX_EXPORT_ROWS = 1_000_000
#: Seconds an export may take, unless the data source's own statement limit is lower.
EXPORT_TIMEOUT_S = 300.0


def parse_export_body(body: Any) -> RunInput:
    """The run API's body, keeping only the sort and filter of its ``page``."""
    if not isinstance(body, dict):
        raise QueryInputError("the request body must be a JSON object")
    page = body.get("page")
    if page is not None and not isinstance(page, dict):
        raise QueryInputError('"page" must be an object')
    view = None if page is None else {"sort": page.get("sort"), "filter": page.get("filter")}
    return parse_run_body({"state": body.get("state", {}), "page": view})


@bp.post("/apps/<slug>/queries/<name>/export")
@login_required
def export_query(slug: str, name: str) -> Response:
    body = request.get_json(silent=True) if request.is_json else None
    if body is None:
        return error_response("send the request as JSON (Content-Type: application/json) with "
                              '{"state": {...}}', 415 if not request.is_json else 400, "bad_json")
    outcome = checked_run(slug, name, body, parse_export_body,
                          lambda source, query_request: open_stream(
                              source, query_request, max_rows=MAX_EXPORT_ROWS,
                              timeout_s=EXPORT_TIMEOUT_S))
    if isinstance(outcome, Response):
        return outcome
    stream, run, loaded = outcome.value, outcome.run, outcome.loaded
    trail, started, who = outcome.trail, outcome.started, outcome.who
    filename = safe_filename(body.get("filename"), name)
    trail["detail"]["export"] = {"format": "csv", "filename": filename,
                                 "sort": [[k.column, "desc" if k.descending else "asc"]
                                          for k in run.page.sort] if run.page else [],
                                 "filter": len(run.page.filter) if run.page else 0}
    finish = _finisher(stream, trail, started, who)
    indexes, header = layout(stream.columns, table_columns(loaded.spec, name))

    def generate() -> Iterator[bytes]:
        try:
            yield from csv_chunks(header, indexes, stream.batches())
        except GeneratorExit:
            finish("aborted", None)
            raise
        except Exception as exc:
            log.exception("export of %s.%s failed after it started", slug, name)
            finish("error", exc)
            raise
        finish("ok", None)

    response = Response(ClosingIterator(stream_with_context(generate()),
                                        [lambda: finish("aborted", None)]),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = _disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Export-Max-Rows"] = str(MAX_EXPORT_ROWS)
    return response


def _finisher(stream: RowStream, trail: dict[str, Any], started: float, who: Any) -> Any:
    """``finish(outcome, error)``: end the stream and write the audit record, once."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    done: list[bool] = []

    def finish(outcome: str, error: BaseException | None) -> None:
        if done:
            return
        done.append(True)
        detail = {**trail.pop("detail", {})}
        try:
            stream.close(error)
        except QueryError as exc:
            detail["error"] = exc.message
            outcome = exc.code
        except Exception as exc:  # noqa: BLE001 - the download is already broken off
            detail["error"] = str(exc)
        detail["export"] = {**detail.get("export", {}), "truncated": stream.truncated}
        fields = dict(who=who, rows=stream.rows, duration_ms=elapsed_ms(started),
                      detail=detail, **trail)
        if has_app_context():
            audit.record("query", outcome=outcome, **fields)
        else:  # closed by the server after the request ended (client went away early)
            with app.app_context():
                audit.record("query", outcome=outcome, **fields)

    return finish


def _disposition(filename: str) -> str:
    fallback = filename.encode("ascii", "ignore").decode().replace('"', "")
    if not any(c.isalnum() for c in fallback[:-4]):  # "全部订单.csv" has no ASCII name
        fallback = "export.csv"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
