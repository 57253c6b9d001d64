"""``toolcrib demo``: the demo shop database, its data source, the bundled apps and two users."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from builder.app_files import import_directory
from builder.context import Toolcrib
from builder.datasource_admin import add_datasource
from builder.security.grants import app_by_slug, grant
from builder.security.users import create_user, find_user
from builder.store import datasources as records

DEMO_DATASOURCE = "shop"
DEMO_ADMIN = "admin"
DEMO_OPERATOR = "ops"
FLAGSHIP = "order-shipping"
CREDENTIALS_FILE = "demo-credentials.txt"


def set_up_demo(tc: Toolcrib, *, orders: int = 1500, admin_password: str | None = None,
                operator_password: str | None = None) -> Iterator[str]:
    from builder.demo.seed import seed_shop

    shop_path = tc.settings.instance_path / "shop.db"
    shop_url = f"sqlite:///{shop_path}"
    if not shop_path.exists():
        count = seed_shop(shop_url, orders=orders)
        yield f"created demo shop database {shop_path} with {count} orders"
    else:
        yield f"using demo shop database {shop_path}"
    with tc.store.session() as session:
        have_shop = DEMO_DATASOURCE in records.names(session)
    if not have_shop:
        yield from add_datasource(tc, DEMO_DATASOURCE, shop_url)
    yield from import_directory(tc, tc.settings.apps_path, publish=True)
    yield from _demo_users(tc, admin_password, operator_password)


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
