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
