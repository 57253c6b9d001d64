"""``toolcrib`` command line: serve, demo, validate, db, datasource, apps."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from builder import commands
from builder.errors import UserError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


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
    add.add_argument("name")
    add.add_argument("--url", required=True,
                     help="SQLAlchemy-style URL, e.g. postgresql://user:pw@host/db")
    add.add_argument("--read-only", action="store_true")
    add.add_argument("--no-test", action="store_true", help="skip the connection test")
    add.set_defaults(handler=commands.datasource_add)
    ds.add_parser("list", help="list data sources").set_defaults(handler=commands.datasource_list)
    test = ds.add_parser("test", help="test a data source's connection")
    test.add_argument("name")
    test.set_defaults(handler=commands.datasource_test)
    remove = ds.add_parser("remove", help="remove a data source")
    remove.add_argument("name")
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
    return parser


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
