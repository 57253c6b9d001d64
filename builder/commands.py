"""What each ``toolcrib`` command does (argument parsing lives in ``builder/cli.py``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from builder.cli_instance import instance_toolcrib, migrate_instance
from builder.config import load_settings
from builder.errors import UserError


class CommandError(UserError):
    """A command cannot do what was asked."""


def _serve(args: argparse.Namespace, config: dict[str, Any] | None = None) -> None:
    from builder.server import serve as run_server

    run_server(config, host=args.host, port=args.port, workers=args.workers, dev=args.dev)


def serve(args: argparse.Namespace) -> int:
    migrate_instance()  # once, before the workers start; building the app here cost ~0.5 s
    print(f"Toolcrib serving on http://{args.host}:{args.port}/", flush=True)
    _serve(args)
    return 0


def demo(args: argparse.Namespace) -> int:
    from builder.demo.setup import set_up_demo

    # The demo serves plain HTTP; Secure cookies would not come back from every browser there.
    # `toolcrib serve` (production, behind TLS) keeps them Secure unless told otherwise. Passed
    # to the server's app factory, not put in os.environ: nothing else in this process changes.
    plain_http = None if "TOOLCRIB_SECURE_COOKIES" in os.environ else {"secure_cookies": False}
    with instance_toolcrib() as tc:
        for line in set_up_demo(tc, orders=args.orders, mongo_url=args.mongo_url):
            print(line, flush=True)
    if args.no_serve:
        return 0
    print(f"\nOpen http://{args.host}:{args.port}/apps/order-shipping\n", flush=True)
    if args.mongo_url:
        print(f"MongoDB: http://{args.host}:{args.port}/apps/order-shipping-mongo\n", flush=True)
    _serve(args, plain_http)
    return 0


def validate(args: argparse.Namespace) -> int:
    import widgets
    from builder import appspec

    registry = widgets.build_registry()
    names: set[str] | None = set(args.datasource) if args.datasource else None
    if names is None:
        names = _instance_datasource_names()
        if names is None:
            print("note: data-source names not checked (no instance database here; "
                  "pass --datasource NAME)", file=sys.stderr)
    if args.write_schema:
        appspec.write_schema(args.write_schema, registry)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise CommandError(f"no such file or folder: {missing[0]}")
    problems = appspec.check_paths([str(p) for p in args.paths], widgets=registry,
                                   datasource_names=names)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


def _instance_datasource_names() -> set[str] | None:
    settings = load_settings()
    if settings.database_url.startswith("sqlite:///") and not Path(
            settings.database_url.removeprefix("sqlite:///")).exists():
        return None
    from builder.store import Store
    from builder.store import datasources as records

    store = Store(settings.database_url)
    try:
        with store.session() as session:
            return records.names(session) or None
    except Exception:  # noqa: BLE001 - no usable metadata DB: just don't check names
        return None
    finally:
        store.dispose()


def db_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    settings = migrate_instance()
    url = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"metadata database is up to date ({url})")
    return 0


def datasource_add(args: argparse.Namespace) -> int:
    from builder.datasource_admin import add_datasource

    with instance_toolcrib() as tc:
        for line in add_datasource(tc, args.name, args.url, read_only=args.read_only,
                                   test=not args.no_test):
            print(line)
    return 0


def datasource_list(args: argparse.Namespace) -> int:
    from builder.datasource_admin import describe_all

    with instance_toolcrib() as tc:
        rows = describe_all(tc)
    if not rows:
        print("no data sources; add one with: toolcrib datasource add NAME --url URL")
    for row in rows:
        print("  ".join(row))
    return 0


def datasource_test(args: argparse.Namespace) -> int:
    from builder.datasource_admin import test_datasource

    with instance_toolcrib() as tc:
        print(test_datasource(tc, args.name))
    return 0


def datasource_remove(args: argparse.Namespace) -> int:
    from builder.datasource_admin import remove_datasource

    with instance_toolcrib() as tc:
        remove_datasource(tc, args.name)
    print(f"removed data source {args.name!r}")
    return 0


def apps_import(args: argparse.Namespace) -> int:
    from builder.app_files import import_directory

    with instance_toolcrib() as tc:
        for line in import_directory(tc, args.directory, publish=args.publish):
            print(line)
    return 0


def apps_export(args: argparse.Namespace) -> int:
    from builder.app_files import export_directory

    with instance_toolcrib() as tc:
        written = export_directory(tc, args.directory)
    for path in written:
        print(f"wrote {path}")
    return 0


def apps_list(args: argparse.Namespace) -> int:
    from builder.store import apps as app_records

    with instance_toolcrib() as tc, tc.store.session() as session:
        for app in app_records.list_apps(session):
            newest = app.versions[-1].number if app.versions else 0
            published = app.published_version.number if app.published_version else None
            print(f"{app.slug}  {app.title}  newest v{newest}  "
                  f"published {f'v{published}' if published else '-'}")
    return 0
