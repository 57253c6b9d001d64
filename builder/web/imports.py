"""Bulk import of an uploaded file: ``POST /api/apps/<slug>/queries/<name>/import``.

A multipart request with the file in field ``file`` and the run API's body as JSON text in
field ``body`` (``{"state": {...}}``: the widget state the query's other bindings read). The
same checks as the run API (``checked_run`` in ``builder/web/api.py``): signed in, the app
published and granted, the app's and the data source's IP allowlists, CSRF for cookie sessions,
the widget state checked. Only then is the file read: its type and size against the
``fileinput`` widget's ``accept`` and ``maxSize``, its header against the query's
``import.columns``, then every cell (``builder/imports.py``).

* A file with bad rows is refused (422, code ``invalid_rows``) with ``problems``: every bad
  cell as ``{line, column, value, reason, code}`` (line 1 = the header), and nothing is written.
* Otherwise the query's SQL runs once per row in one transaction
  (``datasources/sql_import.py``); a database refusal rolls everything back and answers 422,
  code ``row_failed``, with that row's line as the one problem.
* Success answers like a run: ``rows: []``, ``rowcount`` = ``inserted`` = rows imported.

Each import writes one audit record (kind ``query``) with ``detail.import``: the file's name,
size and row count, and how many problems — never the file's content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from builder.context import toolcrib
from builder.import_files import FileRefused, extension_of, read_sheet
from builder.imports import Checked, ImportBody, check_sheet
from builder.query_runner import NotFound, RunInput, parse_run_body
from builder.security import audit
from builder.security.auth import login_required
from builder.web import accepts_large_body
from builder.web.api import (
    checked_run,
    elapsed_ms,
    error_response,
    http_error,
    json_response,
    unexpected_error,
)
from datasources.base import DataSource, QueryInputError, QueryRequest
from datasources.sql_import import ImportRowFailed, run_import
from widgets.fileinput import DEFAULT_MAX_SIZE, FILE_TYPES, MAX_SIZE_LIMIT

bp = Blueprint("imports", __name__, url_prefix="/api")
bp.register_error_handler(HTTPException, http_error)
bp.register_error_handler(Exception, unexpected_error)
#: Room for the multipart envelope and the ``body`` field around the largest file.
_ENVELOPE = 1024 * 1024


@dataclass
class _Upload:
    """What the request carried and what reading it found (filled once access is checked)."""

    slug: str
    name: str
    info: dict[str, Any] = field(default_factory=dict)
    checked: Checked | None = None


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _read_upload(upload: _Upload, raw_body: Any) -> RunInput:
    """``checked_run``'s parse step: runs after the grant and allowlist checks."""
    loaded = toolcrib().published.get(upload.slug)
    query = loaded.spec.queries.get(upload.name) if loaded else None
    if query is None:
        raise NotFound(f"app {upload.slug!r} has no query named {upload.name!r}")
    if not isinstance(query.body, ImportBody):
        raise QueryInputError(f"query {upload.name!r} does not import files (it has no "
                              "import:)")
    run = parse_run_body(raw_body)
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise QueryInputError("send the file as multipart/form-data in the field 'file'")
    spec = query.body.spec
    widget = loaded.spec.widget(spec.file).props if loaded else {}
    accept = widget.get("accept") or list(FILE_TYPES)
    max_size = int(widget.get("maxSize") or DEFAULT_MAX_SIZE)
    filename = PurePosixPath(sent.filename.replace("\\", "/")).name[:200]
    upload.info["file"] = filename
    if extension_of(filename) not in accept:
        raise FileRefused(f"{filename!r} is not a {' or '.join(accept)} file")
    data = sent.stream.read(max_size + 1)
    upload.info["bytes"] = len(data)
    if len(data) > max_size:
        raise FileRefused(f"the file is larger than {_mb(max_size)}, the most this import "
                          "takes")
    sheet = read_sheet(filename, data, max_rows=spec.max_rows)
    upload.info["rows"] = len(sheet.rows)
    upload.checked = check_sheet(spec, sheet)
    return RunInput(state=run.state, page=None)


@bp.post("/apps/<slug>/queries/<name>/import")
@accepts_large_body(MAX_SIZE_LIMIT + _ENVELOPE)  # the largest maxSize; signed-in callers only
@login_required
def import_file(slug: str, name: str) -> Response:
    upload = _Upload(slug, name)
    try:
        raw_body = json.loads(request.form.get("body") or "{}")
    except ValueError:
        return error_response("the 'body' field is not valid JSON", 400, "bad_json")

    def act(source: DataSource, query_request: QueryRequest) -> int | ImportRowFailed | None:
        assert upload.checked is not None
        if upload.checked.problem_count:
            return None  # refused before the database is touched
        try:
            return run_import(source, query_request, upload.checked.rows)
        except ImportRowFailed as exc:
            return exc

    outcome = checked_run(slug, name, raw_body, lambda body: _read_upload(upload, body), act,
                          detail={"import": upload.info})
    if isinstance(outcome, Response):
        return outcome
    checked, value = upload.checked, outcome.value
    assert checked is not None
    detail = {**outcome.trail.pop("detail", {}), "import": upload.info}
    record = dict(who=outcome.who, duration_ms=elapsed_ms(outcome.started), **outcome.trail)
    if value is None:
        upload.info["problems"] = checked.problem_count
        audit.record("query", outcome="invalid_rows", detail=detail, **record)
        rows = len({p["line"] for p in checked.problems})
        shown = "" if checked.problem_count == len(checked.problems) else \
            f" (the first {len(checked.problems)} are listed)"
        message = (f"{checked.problem_count} problem(s) in {rows} row(s){shown}; fix the file "
                   "and upload it again — nothing was imported")
        return json_response({"error": {"message": message, "code": "invalid_rows"},
                              "problems": checked.problems,
                              "problemCount": checked.problem_count}, 422)
    if isinstance(value, ImportRowFailed):
        audit.record("query", outcome=value.code, detail={**detail, "error": value.message},
                     **record)
        problem = {"line": value.line, "column": None, "value": None, "reason": value.reason,
                   "code": "database"}
        return json_response({"error": {"message": value.message, "code": value.code},
                              "problems": [problem], "problemCount": 1}, value.status)
    audit.record("query", outcome="ok", rows=value, detail=detail, **record)
    return json_response({"rows": [], "columns": [], "rowcount": value, "inserted": value,
                          "file": upload.info.get("file"), "truncated": False,
                          "duration_ms": record["duration_ms"]})
