"""``toolcrib`` command line: serve, demo, validate, db, datasource, apps, user, allowlist,
audit."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from builder import commands
from builder.errors import UserError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _later(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """The handler ``builder.<module>.<name>``, imported when its command runs: those modules
    import the whole app, which `toolcrib serve` would load for nothing (its process becomes
    gunicorn's master; each worker imports the app)."""

    def handler(args: argparse.Namespace) -> int:
        run: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(f"builder.{module}"), name)
        return run(args)

    return handler


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn worker processes (default: one per CPU core)")
    parser.add_argument("--dev", action="store_true",
                        help="single-process development server with reloading off")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toolcrib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    _add_server_options(serve)
    serve.set_defaults(handler=commands.serve)

    demo = sub.add_parser("demo", help="set up the demo shop and the bundled apps, then serve")
    _add_server_options(demo)
    demo.add_argument("--orders", type=int, default=1500, help="orders in a new demo database")
    demo.add_argument("--no-serve", action="store_true", help="set up only")
    demo.add_argument("--mongo-url", default=None, metavar="URL",
                      help="also seed a MongoDB shop there and add the MongoDB app "
                           "(mongodb://host:27017/shop)")
    demo.set_defaults(handler=commands.demo)

    validate = sub.add_parser("validate", help="check app files (exit status 1 on problems)")
    validate.add_argument("paths", nargs="+", type=Path, help="app files or folders")
    validate.add_argument("--datasource", action="append", default=None, metavar="NAME",
                          help="a data-source name apps may use (default: the instance's)")
    validate.add_argument("--write-schema", type=Path, default=None, metavar="FILE",
                          help="also write the generated JSON Schema to FILE")
    validate.set_defaults(handler=commands.validate)

    db = sub.add_parser("db", help="metadata database").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply schema migrations").set_defaults(
        handler=commands.db_upgrade)

    ds = sub.add_parser("datasource", help="data sources").add_subparsers(
        dest="ds", required=True)
    add = ds.add_parser("add", help="register a data source")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--url", required=True,
                     help="SQLAlchemy-style URL, e.g. postgresql://user:pw@host/db")
    add.add_argument("--read-only", action="store_true")
    add.add_argument("--no-test", action="store_true", help="skip the connection test")
    add.set_defaults(handler=commands.datasource_add)
    ds.add_parser("list", help="list data sources").set_defaults(handler=commands.datasource_list)
    test = ds.add_parser("test", help="test a data source's connection")
    test.add_argument("name", metavar="NAME")
    test.set_defaults(handler=commands.datasource_test)
    remove = ds.add_parser("remove", help="remove a data source")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=commands.datasource_remove)

    apps = sub.add_parser("apps", help="apps as YAML files").add_subparsers(
        dest="apps", required=True)
    imp = apps.add_parser("import", help="import app files as new versions")
    imp.add_argument("directory", type=Path)
    imp.add_argument("--publish", action="store_true", help="publish what was imported")
    imp.set_defaults(handler=commands.apps_import)
    exp = apps.add_parser("export", help="write each app's newest version to DIR/<slug>.yaml")
    exp.add_argument("directory", type=Path)
    exp.set_defaults(handler=commands.apps_export)
    apps.add_parser("list", help="list apps").set_defaults(handler=commands.apps_list)
    _add_user_commands(sub)
    _add_policy_commands(sub)
    return parser


def _add_policy_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from builder.policy_terms import ALLOWLIST_SCOPES

    scopes = ", ".join(ALLOWLIST_SCOPES)
    allow = sub.add_parser(
        "allowlist", help="IP allowlists of the instance, apps and data sources",
        description="An empty list does not restrict. SCOPE is one of: " + scopes + "; apps and "
                    "data sources need a TARGET (app slug or data-source name).",
    ).add_subparsers(dest="allowlist", required=True)
    show = allow.add_parser("list", help="show the entries")
    show.add_argument("scope", nargs="?", choices=ALLOWLIST_SCOPES, metavar="SCOPE")
    show.add_argument("target", nargs="?", metavar="TARGET")
    show.set_defaults(handler=_later("commands_policy", "allowlist_list"))
    add = allow.add_parser("add", help="allow an address or network",
                           usage="toolcrib allowlist add SCOPE [TARGET] CIDR [--note NOTE]")
    add.add_argument("scope", choices=ALLOWLIST_SCOPES, metavar="SCOPE")
    add.add_argument("rest", nargs="+", metavar="[TARGET] CIDR",
                     help="e.g. `instance 10.0.0.0/8` or `app order-shipping 2001:db8::/32`")
    add.add_argument("--note", default="", help="why this entry is there")
    add.set_defaults(handler=_later("commands_policy", "allowlist_add"))
    remove = allow.add_parser("remove", help="remove an entry",
                              usage="toolcrib allowlist remove SCOPE [TARGET] CIDR")
    remove.add_argument("scope", choices=ALLOWLIST_SCOPES, metavar="SCOPE")
    remove.add_argument("rest", nargs="+", metavar="[TARGET] CIDR")
    remove.set_defaults(handler=_later("commands_policy", "allowlist_remove"))
    reset = allow.add_parser(
        "reset", help="remove every entry of a list (all lists without SCOPE): the way back in "
                      "after a lockout; prints the commands that would restore them")
    reset.add_argument("scope", nargs="?", choices=ALLOWLIST_SCOPES, metavar="SCOPE")
    reset.add_argument("target", nargs="?", metavar="TARGET")
    reset.set_defaults(handler=_later("commands_policy", "allowlist_reset"))

    log = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit",
                                                                       required=True)
    purge = log.add_parser("purge", help="delete events older than the retention period now")
    purge.set_defaults(handler=_later("commands_policy", "audit_purge"))
    retention = log.add_parser("retention", help="show or set the retention period (days)")
    retention.add_argument("days", nargs="?", metavar="DAYS")
    retention.set_defaults(handler=_later("commands_policy", "audit_retention"))


def _add_user_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from builder.policy_terms import ROLES

    user = sub.add_parser("user", help="users, roles, passwords, API tokens, app grants"
                          ).add_subparsers(dest="user", required=True)
    create = user.add_parser("create", help="add a user (prints a generated password once)")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--email", default=None)
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    create.set_defaults(handler=_later("commands_users", "user_create"))
    user.add_parser("list", help="list users").set_defaults(
        handler=_later("commands_users", "user_list"))
    set_role = user.add_parser("set-role", help="change a user's role")
    set_role.add_argument("name", metavar="NAME")
    set_role.add_argument("role", choices=ROLES)
    set_role.set_defaults(handler=_later("commands_users", "user_set_role"))
    for verb, handler, text in (
            ("disable", _later("commands_users", "user_disable"),
             "disable a user (ends sessions, stops tokens)"),
            ("enable", _later("commands_users", "user_enable"), "enable a disabled user")):
        command = user.add_parser(verb, help=text)
        command.add_argument("name", metavar="NAME")
        command.set_defaults(handler=handler)
    reset = user.add_parser("reset-password",
                            help="set a new password (generated and printed once by default)")
    reset.add_argument("name", metavar="NAME")
    reset.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    reset.set_defaults(handler=_later("commands_users", "user_reset_password"))
    token = user.add_parser("token", help="create an API token for a user (printed once)")
    token.add_argument("name", metavar="NAME")
    token.add_argument("--name", dest="label", required=True, metavar="LABEL",
                       help="what the token is for, e.g. 'nightly export'")
    token.set_defaults(handler=_later("commands_users", "user_token"))
    grant = user.add_parser("grant", help="let an operator use an app")
    grant.add_argument("name", metavar="NAME")
    grant.add_argument("app", metavar="APP_SLUG")
    grant.set_defaults(handler=_later("commands_users", "user_grant"))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except UserError as exc:
        print(f"toolcrib: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
