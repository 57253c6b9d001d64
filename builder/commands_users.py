"""``toolcrib user ...``: people from the command line (argument parsing is in ``builder/cli.py``).

The CLI is for whoever runs the server (the first admin, scripts, a locked-out instance), so it
needs no sign-in; its changes are audited like the admin pages', with the operating-system user as
the actor. Passwords and tokens are printed once and never logged.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sqlalchemy.orm import Session

from builder.cli_instance import instance_toolcrib
from builder.errors import UserError
from builder.security import audit
from builder.security import grants as access
from builder.security import users as people
from builder.security.tokens import create_token
from builder.store.people_models import User


def _password_from_stdin() -> str:
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise UserError("no password on standard input")
    return password


def user_create(args: argparse.Namespace) -> int:
    typed = _password_from_stdin() if args.password_stdin else None
    password = typed or people.generate_password()
    with instance_toolcrib() as tc:
        with tc.store.session() as session:
            user = people.create_user(session, username=args.name, password=password,
                                      role=args.role, email=args.email)
            after = people.describe(user)
        audit.cli_change("user.create", f"user:{after['username']}", after=after)
    print(f"created {after['role']} user {after['username']!r}")
    if typed is None:
        print(f"password (shown once): {password}")
    return 0


def user_list(args: argparse.Namespace) -> int:
    with instance_toolcrib() as tc, tc.store.session() as session:
        users = people.list_users(session)
    if not users:
        print("no users; add one with: toolcrib user create NAME --role admin")
    for user in users:
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
        state = "disabled" if user.disabled else "enabled"
        print(f"{user.username}  {user.role}  {state}  {user.email or '-'}  last sign-in {last}")
    return 0


def _change_user(name: str, action: str, change: Callable[[Session, User], str]) -> str:
    with instance_toolcrib() as tc:
        with tc.store.session() as session:
            user = people.require_user(session, name)
            before = people.describe(user)
            result = change(session, user)
            after = people.describe(user)
        if before != after:
            audit.cli_change(action, f"user:{before['username']}", before=before, after=after)
    return result


def user_set_role(args: argparse.Namespace) -> int:
    def change(session: Session, user: User) -> str:
        people.set_role(session, user, args.role)
        return f"{user.username} is now {user.role}"

    print(_change_user(args.name, "user.role", change))
    return 0


def user_disable(args: argparse.Namespace) -> int:
    def change(session: Session, user: User) -> str:
        people.set_disabled(session, user, True)
        return f"{user.username} is disabled (sessions ended, API tokens stopped working)"

    print(_change_user(args.name, "user.disable", change))
    return 0


def user_enable(args: argparse.Namespace) -> int:
    def change(session: Session, user: User) -> str:
        people.set_disabled(session, user, False)
        return f"{user.username} is enabled"

    print(_change_user(args.name, "user.enable", change))
    return 0


def user_reset_password(args: argparse.Namespace) -> int:
    typed = _password_from_stdin() if args.password_stdin else None
    with instance_toolcrib() as tc:
        with tc.store.session() as session:
            user = people.require_user(session, args.name)
            password = people.reset_password(session, user, typed)
            name = user.username
        audit.cli_change("user.reset_password", f"user:{name}",
                         after={"password": "changed", "sessions": "signed out"})
    print(f"new password set for {name!r}; their sessions were signed out")
    if typed is None:
        print(f"password (shown once): {password}")
    return 0


def user_token(args: argparse.Namespace) -> int:
    with instance_toolcrib() as tc:
        with tc.store.session() as session:
            user = people.require_user(session, args.name)
            if user.disabled:
                raise UserError(f"{user.username} is disabled: a token of theirs would not work")
            row, token = create_token(session, user_id=user.id, name=args.label)
            described = {"name": row.name, "prefix": row.prefix}
            name = user.username
        audit.cli_change("token.create", f"token:{name}/{described['name']}", after=described)
    print(f"API token {described['name']!r} for {name} (shown once; send it as "
          "'Authorization: Bearer <token>'):", file=sys.stderr)
    # The token alone on stdout, so scripts can capture it: TOKEN=$(toolcrib user token ...)
    print(token)
    return 0


def user_grant(args: argparse.Namespace) -> int:
    with instance_toolcrib() as tc:
        with tc.store.session() as session:
            user = people.require_user(session, args.name)
            record = access.app_by_slug(session, args.app)
            _, created = access.grant_to_user(session, record, user)
            name, slug = user.username, record.slug
        if created:
            audit.cli_change("app.grant", f"app:{slug}", after={"user": name})
    print(f"{name} may use {slug}" + ("" if created else " (already granted)"))
    return 0
