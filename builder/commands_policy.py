"""``toolcrib allowlist ...`` and ``toolcrib audit ...`` (arguments are parsed in ``cli.py``).

Whoever runs the server needs no sign-in here: this is the way back in after an allowlist locks
everyone out. Changes are written to the audit log with the operating-system user as the actor.
"""

from __future__ import annotations

import argparse
import shlex

from builder.cli_instance import instance_toolcrib
from builder.security import allowlists, audit
from builder.security.allowlists import AllowlistError, EntryView, level_label
from builder.store.policy_models import ALLOWLIST_SCOPES


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    scopes = ", ".join(ALLOWLIST_SCOPES)
    allow = sub.add_parser(
        "allowlist", help="IP allowlists of the instance, apps and data sources",
        description="An empty list does not restrict. SCOPE is one of: " + scopes + "; apps and "
                    "data sources need a TARGET (app slug or data-source name).",
    ).add_subparsers(dest="allowlist", required=True)
    show = allow.add_parser("list", help="show the entries")
    show.add_argument("scope", nargs="?", choices=ALLOWLIST_SCOPES, metavar="SCOPE")
    show.add_argument("target", nargs="?", metavar="TARGET")
    show.set_defaults(handler=allowlist_list)
    add = allow.add_parser("add", help="allow an address or network",
                           usage="toolcrib allowlist add SCOPE [TARGET] CIDR [--note NOTE]")
    add.add_argument("scope", choices=ALLOWLIST_SCOPES, metavar="SCOPE")
    add.add_argument("rest", nargs="+", metavar="[TARGET] CIDR",
                     help="e.g. `instance 10.0.0.0/8` or `app order-shipping 2001:db8::/32`")
    add.add_argument("--note", default="", help="why this entry is there")
    add.set_defaults(handler=allowlist_add)
    remove = allow.add_parser("remove", help="remove an entry",
                              usage="toolcrib allowlist remove SCOPE [TARGET] CIDR")
    remove.add_argument("scope", choices=ALLOWLIST_SCOPES, metavar="SCOPE")
    remove.add_argument("rest", nargs="+", metavar="[TARGET] CIDR")
    remove.set_defaults(handler=allowlist_remove)
    reset = allow.add_parser(
        "reset", help="remove every entry of a list (all lists without SCOPE): the way back in "
                      "after a lockout; prints the commands that would restore them")
    reset.add_argument("scope", nargs="?", choices=ALLOWLIST_SCOPES, metavar="SCOPE")
    reset.add_argument("target", nargs="?", metavar="TARGET")
    reset.set_defaults(handler=allowlist_reset)

    log = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit",
                                                                       required=True)
    purge = log.add_parser("purge", help="delete events older than the retention period now")
    purge.set_defaults(handler=audit_purge)
    retention = log.add_parser("retention", help="show or set the retention period (days)")
    retention.add_argument("days", nargs="?", metavar="DAYS")
    retention.set_defaults(handler=audit_retention)


def _target_and_cidr(scope: str, rest: list[str]) -> tuple[str, str]:
    expected = 1 if scope == "instance" else 2
    if len(rest) != expected:
        shape = "instance CIDR" if scope == "instance" else f"{scope} TARGET CIDR"
        raise AllowlistError(f"expected `{shape}`, got `{scope} {' '.join(rest)}`")
    return ("", rest[0]) if scope == "instance" else (rest[0], rest[1])


def _line(entry: EntryView) -> str:
    level = level_label(entry.scope, entry.target)
    note = f"  # {entry.note}" if entry.note else ""
    by = f" by {entry.created_by}" if entry.created_by else ""
    return f"{level:<32} {entry.cidr:<43} added {entry.created_at}{by}{note}"


def _restore_command(entry: EntryView) -> str:
    words = ["toolcrib", "allowlist", "add", entry.scope]
    if entry.target:
        words.append(entry.target)
    words.append(entry.cidr)
    if entry.note:
        words += ["--note", entry.note]
    return " ".join(shlex.quote(w) for w in words)


def allowlist_list(args: argparse.Namespace) -> int:
    with instance_toolcrib() as tc, tc.store.session() as session:
        entries = allowlists.list_entries(session, args.scope, args.target)
    if not entries:
        print("no entries (an empty list does not restrict)")
    for entry in entries:
        print(_line(entry))
    return 0


def allowlist_add(args: argparse.Namespace) -> int:
    target, cidr = _target_and_cidr(args.scope, args.rest)
    with instance_toolcrib() as tc:
        with tc.store.session() as session:
            before = allowlists.level_cidrs(session, args.scope, target)
            entry = allowlists.add_entry(session, args.scope, target, cidr, note=args.note,
                                         created_by=audit.cli_actor())
        audit.cli_change("allowlist.add", level_label(entry.scope, entry.target),
                         before={"entries": before},
                         after={"entries": [*before, entry.cidr], "note": entry.note})
    print(f"added {entry.cidr} to the {level_label(entry.scope, entry.target)} list")
    return 0


def allowlist_remove(args: argparse.Namespace) -> int:
    target, cidr = _target_and_cidr(args.scope, args.rest)
    with instance_toolcrib() as tc:
        with tc.store.session() as session:
            entry = allowlists.find_by_cidr(session, args.scope, target, cidr)
            before = allowlists.level_cidrs(session, entry.scope, entry.target)
            allowlists.remove_entry(session, entry.id)
        audit.cli_change("allowlist.remove", level_label(entry.scope, entry.target),
                         before={"entries": before},
                         after={"entries": [c for c in before if c != entry.cidr],
                                "note": entry.note})
    print(f"removed {entry.cidr} from the {level_label(entry.scope, entry.target)} list")
    return 0


def allowlist_reset(args: argparse.Namespace) -> int:
    if args.target and not args.scope:
        raise AllowlistError("name the SCOPE before a TARGET")
    with instance_toolcrib() as tc:
        with tc.store.session() as session:
            removed = allowlists.reset(session, args.scope, args.target)
        levels: dict[str, list[str]] = {}
        for entry in removed:
            levels.setdefault(level_label(entry.scope, entry.target), []).append(entry.cidr)
        for level, cidrs in levels.items():
            audit.cli_change("allowlist.reset", level, before={"entries": cidrs},
                             after={"entries": []})
    if args.scope is None:
        what = "allowlists"
    elif args.scope == "instance" or args.target:
        what = f"{level_label(args.scope, args.target or '')} list"
    else:
        what = f"{args.scope} lists"
    if not removed:
        print(f"nothing to reset: the {what} had no entries")
        return 0
    print(f"removed {len(removed)} entr{'y' if len(removed) == 1 else 'ies'} from the {what}; "
          "these commands put them back:")
    for entry in removed:
        print("  " + _restore_command(entry))
    return 0


def audit_purge(args: argparse.Namespace) -> int:
    with instance_toolcrib() as tc:
        with tc.store.session() as session:
            days = audit.retention_days(session)
        deleted, _complete = audit.run_purge(actor=audit.cli_actor())
    print(f"deleted {deleted} audit event{'' if deleted == 1 else 's'} older than {days} days")
    return 0


def audit_retention(args: argparse.Namespace) -> int:
    with instance_toolcrib() as tc:
        if args.days is None:
            with tc.store.session() as session:
                days = audit.retention_days(session)
            print(f"audit events are kept for {days} days")
            return 0
        days = audit.parse_retention_days(args.days)
        with tc.store.session() as session:
            previous = audit.set_retention_days(session, days)
        if previous != days:
            audit.cli_change("audit.retention", "audit log", before={"days": previous},
                             after={"days": days})
    print(f"audit events are kept for {days} days (was {previous}); "
          "`toolcrib audit purge` deletes older ones now")
    return 0
