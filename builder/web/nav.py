"""The navigation of the server-rendered pages: which page each role sees."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from builder.security.auth import Principal


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: tuple[str, ...]


NAV: list[NavItem] = [
    NavItem("editor.index", "Editor", ("admin", "developer")),
    NavItem("admin_apps.apps", "App access", ("admin", "developer")),
    NavItem("admin_users.users", "Users", ("admin",)),
    NavItem("admin_datasources.datasources", "Data sources", ("admin",)),
    NavItem("admin_allowlists.allowlists", "Allowlists", ("admin",)),
    NavItem("admin_audit.audit", "Audit log", ("admin",)),
    NavItem("account.tokens", "API tokens", ("admin", "developer", "operator")),
]


def admin_nav(who: Principal) -> list[NavItem]:
    """Items for this role whose page exists (blueprints register their endpoints)."""
    return [item for item in NAV
            if who.role in item.roles and item.endpoint in current_app.view_functions]
