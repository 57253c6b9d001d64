"""Writing the audit log: query runs, sign-ins and failed sign-ins, admin changes.

Every write is its own short transaction, so an event is recorded even when the request that
caused it fails.

The log is append-only from the application's side: it inserts rows and deletes them only in
``purge`` (past the retention period, ``audit.retention_days``, default 365). Updating an event
or deleting one any other way through the ORM raises ``AppendOnlyError`` (see the listeners at the
end of this module). The purge runs at most once an hour per server process, after a write, in
bounded batches; ``toolcrib audit purge`` runs it to the end.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import delete, event, func, or_, select
from sqlalchemy.orm import ORMExecuteState, Session

from builder import bindings
from builder.context import toolcrib
from builder.errors import UserError
from builder.security.auth import Principal
from builder.store import audit_inbox
from builder.store.models import utcnow
from builder.store.policy_models import AuditEvent, Setting

if TYPE_CHECKING:
    from builder.appspec.model import AppSpec
    from builder.store import Store

log = logging.getLogger(__name__)

#: What ``record`` sets: every column but the id.
_FIELDS = audit_inbox.FIELDS
_FIELD_SET = frozenset(_FIELDS)

#: Names whose values never reach the log (matched anywhere in a binding path or a field name).
SECRET_MARKERS = ("password", "passwd", "pwd", "secret", "token", "apikey", "api_key",
                  "credential", "private_key")
MASK = "•••"

KINDS = ("query", "signin", "signin_failed", "signout", "admin")
RETENTION_KEY = "audit.retention_days"
DEFAULT_RETENTION_DAYS = 365
MAX_RETENTION_DAYS = 36500
#: How often a server process purges on its own (after a write).
PURGE_INTERVAL_S = 3600.0
#: Rows per delete statement, and statements per automatic purge: a request never waits long.
PURGE_BATCH = 5000
AUTO_PURGE_BATCHES = 20


class AppendOnlyError(RuntimeError):
    """Something tried to change or delete an audit event outside the retention purge."""


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


def redact(values: dict[str, Any]) -> dict[str, Any]:
    """Bound values keyed by binding source, with secret-looking ones masked (recursively)."""
    return {key: MASK if is_secret_name(key) else _redact_value(value)
            for key, value in values.items()}


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return redact(value)
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    return value


def secret_widgets(spec: AppSpec) -> frozenset[str]:
    """Widgets whose values are secrets: password inputs and secret-looking names."""
    return frozenset(w.name for w in spec.all_widgets()
                     if w.props.get("inputType") == "password" or is_secret_name(w.name))


def redact_query_values(spec: AppSpec, values: dict[str, Any]) -> dict[str, Any]:
    """A query's bound values for the log: ``redact`` plus any value that reads a password input
    (``<<pinInput.value>>`` of an ``inputType: password`` input, whatever its name)."""
    sources = tuple(values)
    masked = spec.derived(("audit.masked_sources", sources),
                          lambda app: _masked_sources(app, sources))
    return {source: MASK if source in masked else _redact_value(value)
            for source, value in values.items()}


def _masked_sources(spec: AppSpec, sources: tuple[str, ...]) -> frozenset[str]:
    """The binding sources whose values the log masks: secret-looking ones, and those that read
    a secret widget (or cannot be parsed, so cannot be shown to be safe)."""
    hidden = secret_widgets(spec)
    masked = set()
    for source in sources:
        if is_secret_name(source):
            masked.add(source)
            continue
        if not hidden:
            continue
        try:
            refs = bindings.references(source)
        except Exception:  # noqa: BLE001 - unparsable here means: do not show it
            masked.add(source)
            continue
        if any(ref and ref[0] in hidden for ref in refs):
            masked.add(source)
    return frozenset(masked)


def client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def record(kind: str, *, outcome: str, who: Principal | None = None, actor: str | None = None,
           detail: dict[str, Any] | None = None, store: Store | None = None,
           **fields: Any) -> None:
    """Write one event to ``store`` (default: the current app's, which needs an app context)."""
    row = dict.fromkeys(_FIELDS)
    row.update(
        at=utcnow(),
        kind=kind,
        outcome=outcome,
        actor_id=who.id if who else None,
        actor=who.username if who else actor,
        client_ip=client_ip(),
        detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
        **fields,
    )
    unknown = row.keys() - _FIELD_SET
    if unknown:
        raise TypeError(f"audit events have no field {sorted(unknown)}")
    # Its own short transaction, into the index-less inbox; it reaches ``audit_events`` before
    # anything reads the log (builder/store/audit_inbox.py, docs/performance.md).
    engine = (store or toolcrib().store).engine
    audit_inbox.write(engine, row)
    audit_inbox.move_if_due(engine)
    _maybe_purge()


def recent_failed_signins(login: str, ip: str | None, window: timedelta) -> int:
    """Failed sign-ins for this login name or from this address within ``window``."""
    since = utcnow() - window
    with toolcrib().store.session() as session:
        return session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.kind == "signin_failed",
                AuditEvent.at >= since,
                or_(func.lower(AuditEvent.actor) == login.strip().lower(),
                    AuditEvent.client_ip == ip),
            )
        ) or 0


def admin_change(who: Principal, action: str, target: str, *,
                 before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
                 outcome: str = "ok") -> None:
    """Record an admin change (``action`` like ``datasource.update``), secrets masked."""
    record("admin", outcome=outcome, who=who, detail=change_detail(action, target, before, after))


def cli_change(action: str, target: str, *, before: dict[str, Any] | None = None,
               after: dict[str, Any] | None = None, outcome: str = "ok",
               store: Store | None = None) -> None:
    """An admin change made with the ``toolcrib`` command (actor ``cli:<OS user>``)."""
    record("admin", outcome=outcome, actor=cli_actor(), store=store,
           detail=change_detail(action, target, before, after))


def change_detail(action: str, target: str, before: dict[str, Any] | None,
                  after: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "action": action,
        "target": target,
        "before": redact(before) if before is not None else None,
        "after": redact(after) if after is not None else None,
    }


def cli_actor() -> str:
    """``cli:<operating-system user>``: who made a change with the ``toolcrib`` command."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "cli:unknown"


# --- retention --------------------------------------------------------------------------------

class RetentionError(UserError):
    pass


def retention_days(session: Session) -> int:
    raw = session.get(Setting, RETENTION_KEY)
    if raw is None:
        return DEFAULT_RETENTION_DAYS
    try:
        days = json.loads(raw.value)
    except ValueError:
        days = None
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_RETENTION_DAYS:
        log.warning("ignoring setting %s=%r; using %d days", RETENTION_KEY, raw.value,
                    DEFAULT_RETENTION_DAYS)
        return DEFAULT_RETENTION_DAYS
    return days


def parse_retention_days(text: str | int) -> int:
    try:
        days = int(str(text).strip())
    except ValueError:
        raise RetentionError(
            f"the retention period must be a whole number of days (1 to {MAX_RETENTION_DAYS})"
        ) from None
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise RetentionError(
            f"the retention period must be from 1 to {MAX_RETENTION_DAYS} days, not {days}")
    return days


def set_retention_days(session: Session, days: int) -> int:
    """Store a new retention period; returns the previous one."""
    days = parse_retention_days(days)
    previous = retention_days(session)
    row = session.get(Setting, RETENTION_KEY)
    if row is None:
        session.add(Setting(key=RETENTION_KEY, value=json.dumps(days)))
    else:
        row.value = json.dumps(days)
    return previous


def purge(store: Store, *, now: datetime | None = None, max_batches: int | None = None,
          batch: int = PURGE_BATCH) -> tuple[int, bool]:
    """Delete events older than the retention period, oldest first, ``batch`` rows per
    transaction. Returns (rows deleted, whether everything due was deleted)."""
    with store.session() as session:
        days = retention_days(session)
    cutoff = (now or utcnow()) - timedelta(days=days)
    deleted, batches = 0, 0
    while max_batches is None or batches < max_batches:
        with store.session() as session:
            # The (batch+1)-th oldest due event by id: delete everything before it. Ids follow
            # insertion order, so the primary key finds them without sorting.
            boundary = session.scalar(
                select(AuditEvent.id).where(AuditEvent.at < cutoff).order_by(AuditEvent.id)
                .offset(batch).limit(1))
            stmt = delete(AuditEvent).where(AuditEvent.at < cutoff)
            if boundary is not None:
                stmt = stmt.where(AuditEvent.id < boundary)
            result = session.execute(stmt.execution_options(audit_purge=True,
                                                             synchronize_session=False))
            deleted += result.rowcount or 0
        batches += 1
        if boundary is None:
            return deleted, True
    return deleted, False


def run_purge(*, who: Principal | None = None, actor: str | None = None,
              max_batches: int | None = None) -> tuple[int, bool]:
    """``purge`` on this app's store, leaving an ``audit.purge`` event when it deleted any."""
    store = toolcrib().store
    with store.session() as session:
        days = retention_days(session)
    deleted, complete = purge(store, max_batches=max_batches)
    if deleted:
        record("admin", outcome="ok", who=who, actor=actor, detail={
            "action": "audit.purge", "target": "audit log", "retention_days": days,
            "deleted": deleted})
    return deleted, complete


_purge_lock = threading.Lock()


def _maybe_purge() -> None:
    """After a write: purge if this process has not for an hour (never fails the write)."""
    if not has_app_context():
        return
    state = current_app.extensions.setdefault("toolcrib.audit_purge", {"next": 0.0})
    if time.monotonic() < state["next"] or not _purge_lock.acquire(blocking=False):
        return
    try:
        state["next"] = time.monotonic() + PURGE_INTERVAL_S
        _deleted, complete = run_purge(actor="system", max_batches=AUTO_PURGE_BATCHES)
        if not complete:
            state["next"] = 0.0  # more is due: the next write goes on
    except Exception:  # noqa: BLE001 - the event itself is written; purge again later
        log.exception("purging the audit log failed")
    finally:
        _purge_lock.release()


# --- append-only guard ------------------------------------------------------------------------

@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: AuditEvent) -> None:
    raise AppendOnlyError("audit events are append-only: they cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: AuditEvent) -> None:
    raise AppendOnlyError("audit events are only deleted by the retention purge")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is None or mapper.class_ is not AuditEvent:
        return
    if state.is_delete and state.execution_options.get("audit_purge"):
        return
    raise AppendOnlyError("audit events are append-only: only the retention purge deletes them")
