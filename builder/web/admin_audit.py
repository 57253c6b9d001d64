"""Admin page for the audit log: filters, keyset pages, one event's details, streamed CSV export
and the retention setting."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from builder.context import toolcrib
from builder.security import audit
from builder.security.audit_search import (
    COLUMNS,
    EXPORT_BATCH,
    KNOWN_OUTCOMES,
    OUTCOME_FAILED,
    AuditFilters,
    detail_of,
    iter_batches,
    page,
)
from builder.security.auth import roles_required
from builder.store.models import AppRecord, utcnow
from builder.store.people_models import User
from builder.store.policy_models import AuditEvent
from builder.web import error_page
from builder.web.page_helpers import me

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")

#: Events per chunk of the CSV export (one query and one write each).
CSV_BATCH = EXPORT_BATCH
#: Cells a spreadsheet would run as a formula get a leading apostrophe (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cursor(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() else None


@bp.get("", endpoint="audit")
@roles_required("admin")
def audit_page() -> ResponseReturnValue:
    filters, problems = AuditFilters.from_args(request.args)
    store = toolcrib().store
    with store.session() as session:
        result = page(session, filters, before=_cursor("before"), after=_cursor("after"))
        retention = audit.retention_days(session)
        oldest = session.scalar(select(func.min(AuditEvent.at)))
        usernames = list(session.scalars(select(User.username).order_by(User.username)))
        slugs = list(session.scalars(select(AppRecord.slug).order_by(AppRecord.slug)))
    for problem in problems:
        flash(problem, "error")
    return render_template(
        "admin_audit.html",
        filters=filters,
        args=filters.as_args(),
        result=result,
        kinds=audit.KINDS,
        outcomes=KNOWN_OUTCOMES,
        outcome_failed=OUTCOME_FAILED,
        retention=retention,
        max_retention=audit.MAX_RETENTION_DAYS,
        oldest=oldest,
        usernames=usernames,
        slugs=slugs,
    )


@bp.get("/<int:event_id>")
@roles_required("admin")
def event_page(event_id: int) -> ResponseReturnValue:
    with toolcrib().store.session() as session:
        event = session.get(AuditEvent, event_id)
    if event is None:
        abort(404)
    detail = detail_of(event)
    changes = _changes(detail) if event.kind == "admin" else []
    back = request.args.get("back", "")
    if not back.startswith(bp.url_prefix or "/admin/audit") or "\\" in back:
        back = url_for(".audit")  # only back to the log's own pages (no open redirect)
    return render_template("admin_audit_event.html", event=event, detail=detail,
                           changes=changes, pretty=_pretty, back=back)


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1, default=str)


def _changes(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of a before/after table: one per field, marking the ones that changed."""
    before, after = detail.get("before"), detail.get("after")
    if not isinstance(before, dict) and not isinstance(after, dict):
        return []
    before_d = before if isinstance(before, dict) else {}
    after_d = after if isinstance(after, dict) else {}
    keys = list(dict.fromkeys([*before_d, *after_d]))
    missing = object()
    rows = []
    for key in keys:
        old, new = before_d.get(key, missing), after_d.get(key, missing)
        rows.append({
            "field": key,
            "before": "—" if old is missing or before is None else _pretty(old),
            "after": "—" if new is missing or after is None else _pretty(new),
            "changed": old != new,
        })
    return rows


@bp.get("/export.csv")
@roles_required("admin")
def export_csv() -> ResponseReturnValue:
    filters, problems = AuditFilters.from_args(request.args)
    if problems:
        return error_page(400, "; ".join(problems))
    who = me()
    audit.record("admin", outcome="ok", who=who, detail={
        "action": "audit.export", "target": "audit log", "filters": filters.as_args()})
    store = toolcrib().store
    response = Response(stream_with_context(_csv_lines(store, filters)),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="audit-{utcnow().strftime("%Y%m%d-%H%M%S")}.csv"')
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # let nginx pass the stream on as it comes
    return response


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_row(event: AuditEvent) -> list[Any]:
    row: list[Any] = []
    for column in COLUMNS:
        value = getattr(event, column)
        if column == "at":
            value = value.isoformat(sep=" ", timespec="milliseconds")
        row.append("" if value is None else _csv_cell(value))
    return row


def _csv_lines(store: Any, filters: AuditFilters) -> Iterator[str]:
    """The CSV, one chunk per batch of events: nothing but one batch is ever in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # A byte-order mark so that spreadsheet programs read the UTF-8 (names, Chinese text) right.
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    yield buffer.getvalue()
    for batch in iter_batches(store, filters, batch=CSV_BATCH):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_csv_row(event) for event in batch)
        yield buffer.getvalue()


@bp.post("/retention")
@roles_required("admin")
def retention() -> ResponseReturnValue:
    who = me()
    store = toolcrib().store
    try:
        days = audit.parse_retention_days(request.form.get("days", ""))
        with store.session() as session:
            previous = audit.set_retention_days(session, days)
    except audit.RetentionError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".audit"))
    if previous != days:
        audit.admin_change(who, "audit.retention", "audit log", before={"days": previous},
                           after={"days": days})
    deleted, complete = audit.run_purge(who=who, max_batches=audit.AUTO_PURGE_BATCHES)
    message = f"Audit events are kept for {days} days."
    if deleted:
        message += f" {deleted} older events were deleted"
        message += "." if complete else "; the rest follow with the next writes."
    flash(message, "success")
    return redirect(url_for(".audit"))
