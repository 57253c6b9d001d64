"""``toolcrib demo``: the demo shop database, its data source, the bundled apps and two users."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import yaml

from builder.app_files import import_directory
from builder.context import Toolcrib
from builder.datasource_admin import add_datasource
from builder.errors import UserError
from builder.security.grants import GrantError, app_by_slug, grant
from builder.security.users import create_user, find_user
from builder.store import datasources as records

DEMO_DATASOURCE = "shop"
MONGO_DATASOURCE = "shop_mongo"
DEMO_ADMIN = "admin"
DEMO_OPERATOR = "ops"
FLAGSHIP = "order-shipping"
CREDENTIALS_FILE = "demo-credentials.txt"


def set_up_demo(tc: Toolcrib, *, orders: int = 1500, admin_password: str | None = None,
                operator_password: str | None = None,
                mongo_url: str | None = None) -> Iterator[str]:
    """Set up (or reuse) the demo; ``mongo_url`` adds the MongoDB shop and its app.

    Bundled apps whose data sources are not set up (the MongoDB one without ``mongo_url``) are
    skipped with a message; the others are imported and published.
    """
    from builder.demo.seed import seed_shop
    from builder.demo.seed_oms import seed_oms

    shop_path = tc.settings.instance_path / "shop.db"
    shop_url = f"sqlite:///{shop_path}"
    if not shop_path.exists():
        count = seed_shop(shop_url, orders=orders)
        yield f"created demo shop database {shop_path} with {count} orders"
    else:
        yield f"using demo shop database {shop_path}"
    added = seed_oms(shop_url)
    if any(added.values()):
        counts = ", ".join(f"{n:,} {table.replace('_', ' ')}" for table, n in added.items())
        yield f"added {counts} for the OMS apps"
    with tc.store.session() as session:
        have_shop = DEMO_DATASOURCE in records.names(session)
    if not have_shop:
        yield from add_datasource(tc, DEMO_DATASOURCE, shop_url)
    if mongo_url:
        yield from _mongo_shop(tc, mongo_url, orders)
    skipped = False
    for line in import_directory(tc, tc.settings.apps_path, publish=True,
                                 skip_missing_datasources=True):
        skipped = skipped or ": skipped " in line
        yield line
    if skipped and not mongo_url:
        yield ("(the MongoDB app needs a MongoDB server: toolcrib demo --mongo-url "
               "mongodb://HOST:27017/shop)")
    yield from _demo_users(tc, admin_password, operator_password)
    yield from _grant_bundled_apps(tc)


def _mongo_shop(tc: Toolcrib, mongo_url: str, orders: int) -> Iterator[str]:
    """Seed the MongoDB shop (unless it has orders) and register it as ``shop_mongo``."""
    from pymongo.errors import PyMongoError

    from builder.demo.seed_mongo import seed_mongo, with_database

    url = with_database(mongo_url)
    with tc.store.session() as session:
        registered = MONGO_DATASOURCE in records.names(session)
    if not registered:  # test first: a wrong URL stops here, before anything is written
        yield from add_datasource(tc, MONGO_DATASOURCE, url)
    try:
        count = seed_mongo(url, orders=orders)
    except PyMongoError as exc:  # e.g. registered earlier, down now
        from datasources.mongo_support import driver_text, parse_url, where

        raise UserError(f"cannot seed the MongoDB orders at {where(parse_url(url))}: "
                        f"{driver_text(exc)}") from None
    yield (f"seeded the MongoDB orders collection with {count} orders" if count
           else "using the MongoDB orders collection as it is")


def _grant_bundled_apps(tc: Toolcrib) -> Iterator[str]:
    """The demo operator may use every bundled app that is published here (the MongoDB one
    once it is there): the OMS apps are ops' tools as much as the shipping screen."""
    slugs = bundled_app_slugs(tc.settings.apps_path)
    granted = []
    with tc.store.session() as session:
        operator = find_user(session, DEMO_OPERATOR)
        if operator is None or operator.role != "operator":
            return
        for slug in slugs:
            try:
                app = app_by_slug(session, slug)
            except GrantError:
                continue  # skipped (its data source is not set up here)
            if app.published_version_id is None:
                continue
            grant(session, app, user_id=operator.id)
            granted.append(slug)
    if granted:
        yield f"{DEMO_OPERATOR!r} may use {', '.join(granted)}"


def bundled_app_slugs(apps_path: Path) -> list[str]:
    """The ``app:`` slug of each YAML file in the bundled apps folder."""
    slugs = []
    for path in sorted(apps_path.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("app"), str):
            slugs.append(data["app"])
    return slugs


def _demo_users(tc: Toolcrib, admin_password: str | None,
                operator_password: str | None) -> Iterator[str]:
    created: list[tuple[str, str, str]] = []
    with tc.store.session() as session:
        for username, role, password in ((DEMO_ADMIN, "admin", admin_password),
                                         (DEMO_OPERATOR, "operator", operator_password)):
            if find_user(session, username) is not None:
                continue
            password = password or secrets.token_urlsafe(9)
            user = create_user(session, username=username, password=password, role=role)
            if role == "operator":
                grant(session, app_by_slug(session, FLAGSHIP), user_id=user.id)
            created.append((username, role, password))
    credentials = tc.settings.instance_path / CREDENTIALS_FILE
    if created:
        _write_private(credentials, "".join(f"{u} ({r}): {p}\n" for u, r, p in created))
        for username, role, password in created:
            yield f"created {role} user {username!r} with password {password}"
        yield f"(saved in {credentials}; change them with `toolcrib user reset-password`)"
    elif credentials.exists():
        yield f"demo users exist; their first passwords are in {credentials}"


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(text)
