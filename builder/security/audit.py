"""Writing the audit log: query runs, sign-ins and failed sign-ins, admin changes.

Every write is its own short transaction, so an event is recorded even when the request that
caused it fails. The application only inserts rows (and purges past the retention period).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from flask import has_request_context, request
from sqlalchemy import func, or_, select

from builder.context import toolcrib
from builder.security.auth import Principal
from builder.store.models import utcnow
from builder.store.policy_models import AuditEvent

log = logging.getLogger(__name__)

#: Names whose values never reach the log (matched anywhere in a binding path or a field name).
SECRET_MARKERS = ("password", "passwd", "secret", "token", "apikey", "api_key", "credential")
MASK = "•••"


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


def client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def record(kind: str, *, outcome: str, who: Principal | None = None, actor: str | None = None,
           detail: dict[str, Any] | None = None, **fields: Any) -> None:
    event = AuditEvent(
        kind=kind,
        outcome=outcome,
        actor_id=who.id if who else None,
        actor=who.username if who else actor,
        client_ip=client_ip(),
        detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
        **fields,
    )
    with toolcrib().store.session() as session:
        session.add(event)


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
    record("admin", outcome=outcome, who=who, detail={
        "action": action,
        "target": target,
        "before": redact(before) if before is not None else None,
        "after": redact(after) if after is not None else None,
    })
