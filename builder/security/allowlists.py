"""IP allowlists at three levels: the whole instance, an app, a data source.

A level with no entries does not restrict. The client address is ``request.remote_addr``: the
socket's peer, or, with ``TOOLCRIB_TRUSTED_PROXIES=N``, the address N proxies back in
X-Forwarded-For (Werkzeug's ProxyFix, installed by ``create_app``).

Checks run on every request. What a level holds is kept in this process's policy cache
(``builder/store/generation.py``), which every request first checks against the policy counter
that each change bumps: so a change still applies to the next request on every worker, and an
unchanged policy costs no query. On a miss ``prefetch`` loads several levels in one query (the
instance level and, on an app's page or API call, that app's level).

The entry functions (``list_entries``, ``add_entry``, ``remove_entry``, ``reset``) are shared by
the admin page and ``toolcrib allowlist``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from flask import request
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from builder.context import toolcrib
from builder.errors import UserError
from builder.store.generation import policy_cache
from builder.store.models import AppRecord, DataSourceRecord
from builder.store.policy_models import ALLOWLIST_SCOPES, AllowlistEntry

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Level = tuple[str, str]

#: Endpoints whose ``slug`` view argument names an app: its level is loaded with the instance's.
APP_ENDPOINTS = frozenset({"runtime.app_page", "runtime.app_subpage", "api.run_query",
                           "export.export_query", "imports.import_file"})
EXAMPLES = "for example 203.0.113.7, 10.0.0.0/8, 2001:db8::1 or 2001:db8::/32"


class AddressNotAllowed(Exception):
    def __init__(self, address: str | None, scope: str = "instance", target: str = "") -> None:
        super().__init__(f"your address {address or 'unknown'} is not allowed here")
        self.address = address
        #: Which list refused (for the audit log and the server's logs; never shown to the client).
        self.scope = scope
        self.target = target

    @property
    def level(self) -> str:
        return level_label(self.scope, self.target)


class AllowlistError(UserError):
    """An entry cannot be added or removed; the message says why and what to type instead."""


def level_label(scope: str, target: str = "") -> str:
    return "instance" if scope == "instance" else f"{scope} {target}"


# --- addresses and networks -------------------------------------------------------------------

def parse_network(text: str) -> Network:
    """``10.0.0.0/8``, ``2001:db8::/32`` or a single address; raises ValueError with a reason."""
    return ipaddress.ip_network(text.strip(), strict=False)


def validate_cidr(text: str) -> str:
    """The normalized form of a network or single address, or AllowlistError saying what is wrong.

    Host bits are dropped (``192.168.1.10/24`` becomes ``192.168.1.0/24``); a single address
    becomes a /32 or /128 network.
    """
    raw = text.strip()
    if not raw:
        raise AllowlistError(f"enter an IP address or network ({EXAMPLES})")
    if "%" in raw:
        raise AllowlistError(f"“{raw}”: zone indexes (%eth0) cannot be used in an allowlist")
    address, slash, prefix = raw.partition("/")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise AllowlistError(
            f"“{address}” is not an IPv4 or IPv6 address ({EXAMPLES})") from None
    if slash:
        top = ip.max_prefixlen
        if not prefix.isdigit() or not 0 <= int(prefix) <= top:
            raise AllowlistError(
                f"“/{prefix}” is not a prefix length for IPv{ip.version}: use a whole number "
                f"from 0 to {top} ({EXAMPLES})")
    return str(parse_network(raw))


@lru_cache(maxsize=4096)
def _parsed(cidr: str) -> Network | None:
    """A stored entry, parsed once per process; None if it is not a network (matches nothing)."""
    try:
        return parse_network(cidr)
    except ValueError:
        return None


def _candidates(address: str | None) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    if not address:
        return []
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return []
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(address.split("%", 1)[0])
        if ip.ipv4_mapped:
            # ::ffff:192.0.2.1 (a dual-stack socket) is 192.0.2.1 for IPv4 entries.
            return [ip.ipv4_mapped, ip]
    return [ip]


def address_in(address: str | None, networks: Iterable[Network | None]) -> bool:
    candidates = _candidates(address)
    return any(net is not None and ip.version == net.version and ip in net
               for net in networks for ip in candidates)


def allows(address: str | None, cidrs: Sequence[str]) -> bool:
    """Whether a level with these entries lets ``address`` in (no entries: no restriction)."""
    return not cidrs or address_in(address, (_parsed(c) for c in cidrs))


def would_lock_out(address: str | None, before: Sequence[str], after: Sequence[str]) -> bool:
    """A change that turns this address from allowed into refused."""
    return allows(address, before) and not allows(address, after)


# --- checking requests ------------------------------------------------------------------------

def _request_cache() -> dict[Level, list[str]] | None:
    return policy_cache(toolcrib().store, "allowlists")


def _load(session: Session, levels: Sequence[Level]) -> dict[Level, list[str]]:
    found: dict[Level, list[str]] = {level: [] for level in levels}
    if not levels:
        return found
    if len(levels) == 1:
        (scope, target), = levels
        where = and_(AllowlistEntry.scope == scope, AllowlistEntry.target == target)
    else:
        where = or_(*(and_(AllowlistEntry.scope == s, AllowlistEntry.target == t)
                      for s, t in levels))
    rows = session.execute(select(AllowlistEntry.scope, AllowlistEntry.target,
                                  AllowlistEntry.cidr).where(where))
    for scope, target, cidr in rows:
        found.setdefault((scope, target), []).append(cidr)
    return found


def prefetch(*levels: Level) -> None:
    """Load the entries of these levels for this request in one query."""
    cache = _request_cache()
    if cache is None:
        return
    missing = [level for level in levels if level not in cache]
    if missing:
        with toolcrib().store.session() as session:
            cache.update(_load(session, missing))


def cidrs_for(scope: str, target: str = "") -> list[str]:
    level = (scope, target)
    cache = _request_cache()
    if cache is not None and level in cache:
        return cache[level]
    with toolcrib().store.session() as session:
        cidrs = _load(session, [level])[level]
    if cache is not None:
        cache[level] = cidrs
    return cidrs


def check(address: str | None, scope: str, target: str = "") -> None:
    if not allows(address, cidrs_for(scope, target)):
        raise AddressNotAllowed(address, scope, target)


def check_request() -> None:
    """The instance level for this request (before_request), loading the app's level with it."""
    levels: list[Level] = [("instance", "")]
    slug = (request.view_args or {}).get("slug")
    if request.endpoint in APP_ENDPOINTS and isinstance(slug, str):
        levels.append(("app", slug))
    prefetch(*levels)
    check(request.remote_addr, "instance")


# --- managing entries (admin page and CLI) ----------------------------------------------------

@dataclass(frozen=True)
class EntryView:
    id: int
    scope: str
    target: str
    cidr: str
    note: str
    created_by: str | None
    created_at: str

    @classmethod
    def of(cls, entry: AllowlistEntry) -> EntryView:
        return cls(entry.id, entry.scope, entry.target, entry.cidr, entry.note,
                   entry.created_by, entry.created_at.strftime("%Y-%m-%d %H:%M"))

    def as_audit(self) -> dict[str, str]:
        return {"scope": self.scope, "target": self.target, "cidr": self.cidr,
                "note": self.note}


def check_level(session: Session, scope: str, target: str, *, must_exist: bool = True) -> Level:
    """A valid (scope, target): the instance has no target, apps and data sources must exist."""
    scope, target = scope.strip().lower(), (target or "").strip()
    if scope not in ALLOWLIST_SCOPES:
        raise AllowlistError(f"unknown list {scope!r}; use one of {', '.join(ALLOWLIST_SCOPES)}")
    if scope == "instance":
        if target:
            raise AllowlistError("the instance list has no target (leave it out)")
        return scope, ""
    what = "an app slug" if scope == "app" else "a data-source name"
    if not target:
        raise AllowlistError(f"the {scope} list needs {what}")
    if must_exist:
        column = AppRecord.slug if scope == "app" else DataSourceRecord.name
        known = sorted(session.scalars(select(column)))
        if target not in known:
            hint = ", ".join(known) if known else "none yet"
            raise AllowlistError(f"there is no {scope} {target!r} (known: {hint})")
    return scope, target


def list_entries(session: Session, scope: str | None = None,
                 target: str | None = None) -> list[EntryView]:
    stmt = select(AllowlistEntry).order_by(AllowlistEntry.scope, AllowlistEntry.target,
                                           AllowlistEntry.id)
    if scope is not None:
        stmt = stmt.where(AllowlistEntry.scope == scope)
    if target is not None:
        stmt = stmt.where(AllowlistEntry.target == target)
    return [EntryView.of(e) for e in session.scalars(stmt)]


def level_cidrs(session: Session, scope: str, target: str) -> list[str]:
    return _load(session, [(scope, target)])[(scope, target)]


def add_entry(session: Session, scope: str, target: str, cidr: str, *, note: str = "",
              created_by: str | None = None) -> EntryView:
    scope, target = check_level(session, scope, target)
    normalized = validate_cidr(cidr)
    note = note.strip()
    if len(note) > 200:
        raise AllowlistError("the note is too long (200 characters at most)")
    if normalized in level_cidrs(session, scope, target):
        raise AllowlistError(f"{normalized} is already in the {level_label(scope, target)} list")
    entry = AllowlistEntry(scope=scope, target=target, cidr=normalized, note=note,
                           created_by=created_by)
    session.add(entry)
    session.flush()
    return EntryView.of(entry)


def find_entry(session: Session, entry_id: int) -> EntryView | None:
    entry = session.get(AllowlistEntry, entry_id)
    return EntryView.of(entry) if entry else None


def find_by_cidr(session: Session, scope: str, target: str, cidr: str) -> EntryView:
    scope, target = check_level(session, scope, target, must_exist=False)
    normalized = validate_cidr(cidr)
    entry = session.scalar(select(AllowlistEntry).where(
        AllowlistEntry.scope == scope, AllowlistEntry.target == target,
        AllowlistEntry.cidr == normalized))
    if entry is None:
        raise AllowlistError(f"{normalized} is not in the {level_label(scope, target)} list")
    return EntryView.of(entry)


def remove_entry(session: Session, entry_id: int) -> EntryView:
    entry = session.get(AllowlistEntry, entry_id)
    if entry is None:
        raise AllowlistError("that entry is no longer there (someone removed it already?)")
    view = EntryView.of(entry)
    session.delete(entry)
    session.flush()
    return view


def reset(session: Session, scope: str | None = None, target: str | None = None) -> list[EntryView]:
    """Remove every entry of the lists named (all lists when ``scope`` is None); returns them."""
    if scope is not None:
        scope = scope.strip().lower()
        if scope not in ALLOWLIST_SCOPES:
            raise AllowlistError(
                f"unknown list {scope!r}; use one of {', '.join(ALLOWLIST_SCOPES)}")
        if scope == "instance" and target:
            raise AllowlistError("the instance list has no target (leave it out)")
    removed = list_entries(session, scope, target)
    stmt = delete(AllowlistEntry)
    if scope is not None:
        stmt = stmt.where(AllowlistEntry.scope == scope)
    if target is not None:
        stmt = stmt.where(AllowlistEntry.target == target)
    session.execute(stmt)
    return removed
