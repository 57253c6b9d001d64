"""Signing in from tests: API tokens for API tests, a CSRF-aware session client for pages."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from builder.security.tokens import create_token
from builder.security.users import create_user, find_user

DEMO_ADMIN_PASSWORD = "admin-demo-pass"
DEMO_OPERATOR_PASSWORD = "ops-demo-pass"


def ensure_user(app: Flask, username: str, role: str, password: str = "password-123") -> int:
    with app.extensions["toolcrib"].store.session() as session:
        user = find_user(session, username)
        if user is None:
            user = create_user(session, username=username, password=password, role=role)
        return user.id


def token_for(app: Flask, username: str, role: str = "operator") -> str:
    user_id = ensure_user(app, username, role)
    with app.extensions["toolcrib"].store.session() as session:
        return create_token(session, user_id=user_id, name="tests")[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class SessionClient:
    """A test client signed in through the login form, adding the CSRF token to every POST."""

    def __init__(self, app: Flask, login: str, password: str) -> None:
        self.client: FlaskClient = app.test_client()
        response = self.client.post("/login", data={
            "login": login, "password": password, "csrf_token": self._token("/login")})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self.csrf = self._token("/")

    def _token(self, path: str) -> str:
        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf-token" content="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.get(*args, **kwargs)

    def post(self, *args: Any, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.post(*args, headers={"X-CSRFToken": self.csrf, **(headers or {})},
                                **kwargs)
