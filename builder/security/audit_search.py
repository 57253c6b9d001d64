"""Reading the audit log: filters, keyset pages (newest first) and batches for the CSV export.

Built to stay fast at millions of events on SQLite, PostgreSQL and MariaDB:

- Events are ordered by id, which follows insertion order, so the primary key orders every page
  and each single-column index (kind, actor_id, actor, app_slug, query_name, outcome) is, on
  SQLite and InnoDB, already sorted by id within one value. Pages are keyset pages
  (``id < cursor``), never OFFSET.
- A time range becomes an id range first, with two lookups on the ``at`` index: it relies on
  clocks of the servers writing the log disagreeing by less than ``CLOCK_SKEW`` (the exact ``at``
  conditions are applied as well, so the bounds only narrow the scan).
- The user filter is an OR (the user's events by id, or failed sign-ins typed with their name);
  each side runs as its own indexed query and the pages are merged.
- Two filters that rarely meet (a kind and a user) can still read one filter's index to the end
  when nothing matches; at a million events that is well under a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from builder.security.audit import KINDS
from builder.store import Store
from builder.store.people_models import User
from builder.store.policy_models import AuditEvent

PAGE_SIZE = 50
EXPORT_BATCH = 1000
#: The most two writers' clocks may disagree by (see the module docstring).
CLOCK_SKEW = timedelta(minutes=5)
TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%d")
#: Outcome filter values that are not a single code.
OUTCOME_ANY, OUTCOME_FAILED = "", "failed"
KNOWN_OUTCOMES = ("ok", "bad_input", "not_found", "forbidden", "row_count_mismatch",
                  "datasource_unavailable", "datasource_missing", "query_failed", "timeout",
                  "read_only", "secret_key", "internal_error", "bad_credentials", "rate_limited")

COLUMNS = ("id", "at", "kind", "actor", "actor_id", "client_ip", "app_slug", "app_version",
           "query_name", "datasource", "outcome", "rows", "duration_ms", "detail")


@dataclass(frozen=True)
class AuditFilters:
    user: str = ""
    app: str = ""
    query: str = ""
    kind: str = ""
    outcome: str = ""
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> tuple[AuditFilters, list[str]]:
        """Filters from query-string arguments, and a message for each one that was ignored."""
        problems: list[str] = []

        def text(name: str, limit: int = 200) -> str:
            return (args.get(name) or "").strip()[:limit]

        def moment(name: str, label: str) -> datetime | None:
            raw = text(name, 40)
            if not raw:
                return None
            for fmt in TIME_FORMATS:
                try:
                    return datetime.strptime(raw, fmt)
                except ValueError:
                    continue
            problems.append(f"“{raw}” is not a time for {label}; use YYYY-MM-DD HH:MM (UTC)")
            return None

        kind = text("kind", 30)
        if kind and kind not in KINDS:
            problems.append(f"unknown kind “{kind}”; use one of {', '.join(KINDS)}")
            kind = ""
        filters = cls(user=text("user"), app=text("app", 100), query=text("query", 100),
                      kind=kind, outcome=text("outcome", 40), since=moment("since", "from"),
                      until=moment("until", "to"))
        if filters.since and filters.until and filters.since >= filters.until:
            problems.append("the time range is empty: “from” must be before “to”")
        return filters, problems

    def as_args(self) -> dict[str, str]:
        """Query-string arguments (for links and the export), empty ones left out."""
        out: dict[str, str] = {}
        for key, value in asdict(self).items():
            if isinstance(value, datetime):
                value = value.strftime("%Y-%m-%dT%H:%M")
            if value:
                out[key] = value
        return out

    @property
    def active(self) -> bool:
        return bool(self.as_args())


@dataclass
class Branch:
    conditions: list[ColumnElement[bool]]
    #: Few rows, found by an index: sort them rather than let the planner walk the primary key
    #: (PostgreSQL guesses wrong when the name is common but its failed sign-ins are not).
    few: bool = False


@dataclass
class Plan:
    """The OR-branches a filter set turns into."""

    branches: list[Branch] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.branches


def plan(session: Session, filters: AuditFilters) -> Plan:
    common: list[ColumnElement[bool]] = []
    if filters.kind:
        common.append(AuditEvent.kind == filters.kind)
    if filters.app:
        common.append(AuditEvent.app_slug == filters.app)
    if filters.query:
        common.append(AuditEvent.query_name == filters.query)
    if filters.outcome == OUTCOME_FAILED:
        common.append(AuditEvent.outcome != "ok")
    elif filters.outcome:
        common.append(AuditEvent.outcome == filters.outcome)
    if filters.since or filters.until:
        bounds = _time_bounds(session, filters.since, filters.until)
        if bounds is None:
            return Plan()
        common.extend(bounds)
    if not filters.user:
        return Plan([Branch(common)])
    user = _find_user(session, filters.user)
    if user is None:
        # Not a user (now): a name as the log wrote it, e.g. a failed sign-in, "system", "cli:…".
        return Plan([Branch([*common, AuditEvent.actor == filters.user])])
    names = sorted({filters.user, user.username, *([user.email] if user.email else [])})
    # Failed sign-ins (and anything else recorded without a user id) under their names.
    typed = Branch([*common, AuditEvent.actor_id.is_(None), AuditEvent.actor.in_(names)],
                   few=True)
    if filters.kind == "signin_failed":
        return Plan([typed])  # those never have a user id
    return Plan([Branch([*common, AuditEvent.actor_id == user.id]), typed])


def _find_user(session: Session, login: str) -> User | None:
    lowered = login.strip().lower()
    return session.scalar(select(User).where(or_(func.lower(User.username) == lowered,
                                                 func.lower(User.email) == lowered)).limit(1))


def _time_bounds(session: Session, since: datetime | None,
                 until: datetime | None) -> list[ColumnElement[bool]] | None:
    """Exact ``at`` conditions plus id bounds found on the ``at`` index; None if nothing fits."""
    conditions: list[ColumnElement[bool]] = []
    if since and until and since >= until:
        return None
    if since is not None:
        conditions.append(AuditEvent.at >= since)
        # Any event written before this one is older than ``since``, skew allowed for.
        below = session.scalar(select(AuditEvent.id).where(AuditEvent.at < since - CLOCK_SKEW)
                               .order_by(AuditEvent.at.desc()).limit(1))
        if below is not None:
            conditions.append(AuditEvent.id > below)
    if until is not None:
        conditions.append(AuditEvent.at < until)
        above = session.scalar(select(AuditEvent.id).where(AuditEvent.at >= until + CLOCK_SKEW)
                               .order_by(AuditEvent.at).limit(1))
        if above is not None:
            conditions.append(AuditEvent.id < above)
    return conditions


def _fetch(session: Session, the_plan: Plan, *, before: int | None = None,
           after: int | None = None, limit: int) -> list[AuditEvent]:
    """Up to ``limit`` events of the plan, newest first (``after``: the oldest ones above it)."""
    found: dict[int, AuditEvent] = {}
    for branch in the_plan.branches:
        conditions = list(branch.conditions)
        if before is not None:
            conditions.append(AuditEvent.id < before)
        if after is not None:
            conditions.append(AuditEvent.id > after)
        key = AuditEvent.id + 0 if branch.few else AuditEvent.id
        order = key.asc() if after is not None else key.desc()
        stmt = select(AuditEvent).where(*conditions).order_by(order)
        for event in session.scalars(stmt.limit(limit)):
            found[event.id] = event
    ids = sorted(found, reverse=after is None)[:limit]
    return sorted((found[i] for i in ids), key=lambda e: e.id, reverse=True)


@dataclass
class EventPage:
    events: list[AuditEvent]
    #: Cursor for the next (older) page, and for the previous (newer) one.
    older: int | None
    newer: int | None


def page(session: Session, filters: AuditFilters, *, before: int | None = None,
         after: int | None = None, size: int = PAGE_SIZE) -> EventPage:
    the_plan = plan(session, filters)
    if the_plan.empty:
        return EventPage([], None, None)
    if after is not None:
        events = _fetch(session, the_plan, after=after, limit=size + 1)
        more_newer = len(events) > size
        events = events[-size:] if more_newer else events
        return EventPage(events, older=events[-1].id if events else None,
                         newer=events[0].id if events and more_newer else None)
    events = _fetch(session, the_plan, before=before, limit=size + 1)
    more_older = len(events) > size
    events = events[:size]
    return EventPage(events, older=events[-1].id if more_older else None,
                     newer=events[0].id if events and before is not None else None)


def iter_batches(store: Store, filters: AuditFilters,
                 batch: int = EXPORT_BATCH) -> Iterator[list[AuditEvent]]:
    """Every matching event, newest first, ``batch`` at a time, each batch in its own short
    transaction (nothing is held open between batches, memory stays flat)."""
    with store.session() as session:
        the_plan = plan(session, filters)
    if the_plan.empty:
        return
    before: int | None = None
    while True:
        with store.session() as session:
            events = _fetch(session, the_plan, before=before, limit=batch)
        if not events:
            return
        yield events
        if len(events) < batch:
            return
        before = events[-1].id


def find(session: Session, event_id: int) -> AuditEvent | None:
    return session.get(AuditEvent, event_id)


def detail_of(event: AuditEvent) -> dict[str, Any]:
    try:
        value = json.loads(event.detail or "{}")
    except ValueError:
        return {"unreadable": event.detail}
    return value if isinstance(value, dict) else {"value": value}
