"""Web security: CSRF, cookie flags, the sign-in rate limit, open redirects, security headers.

Failed sign-ins count per client address, and every test client comes from 127.0.0.1: the tests
that fail sign-ins use their own instance (the `app` fixture), never the shared demo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from builder import create_app
from tests.auth_helpers import (
    DEMO_ADMIN_PASSWORD,
    DEMO_OPERATOR_PASSWORD,
    SessionClient,
    bearer,
    ensure_user,
    token_for,
)
from tests.conftest import Demo

RUN = "/api/apps/order-shipping/queries/getOrders/run"
PAGE = {"state": {}, "page": {"size": 5, "number": 1}}


def login_form_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def sign_in(client: FlaskClient, login: str, password: str, next_url: str | None = None) -> Any:
    data = {"login": login, "password": password, "csrf_token": login_form_token(client)}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


# --- CSRF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "data"), [
    ("/admin/users/new", {"username": "csrf-victim", "role": "admin"}),
    ("/admin/users/groups", {"name": "csrf-group"}),
    ("/account/tokens", {"name": "csrf-made-token"}),
    ("/logout", {}),
])
def test_a_form_post_without_the_csrf_token_is_refused(demo: Demo, path: str,
                                                       data: dict[str, str]) -> None:
    admin = SessionClient(demo.app, "admin", DEMO_ADMIN_PASSWORD)
    for token in (None, "forged-token", login_form_token(demo.app.test_client())):
        body = dict(data) if token is None else {**data, "csrf_token": token}
        response = admin.client.post(path, data=body)  # the raw client: no X-CSRFToken header
        assert response.status_code == 400, (path, token)
        assert "security token" in response.get_data(as_text=True)
    # Nothing happened: still signed in, no user, group or token was made.
    assert admin.get("/admin/users").status_code == 200
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "csrf-victim" not in listing and "csrf-group" not in listing
    assert "csrf-made-token" not in admin.get("/account/tokens").get_data(as_text=True)


def test_json_api_with_a_session_cookie_needs_the_csrf_token(demo: Demo) -> None:
    ops = SessionClient(demo.app, "ops", DEMO_OPERATOR_PASSWORD)
    refused = ops.client.post(RUN, json=PAGE)
    assert refused.status_code == 400
    assert refused.is_json and "security token" in refused.get_json()["error"]["message"]
    wrong = ops.client.post(RUN, json=PAGE, headers={"X-CSRFToken": "not-the-token"})
    assert wrong.status_code == 400
    assert ops.post(RUN, json=PAGE).status_code == 200  # with the page's token


def test_a_bearer_token_needs_no_csrf_token(demo: Demo) -> None:
    token = token_for(demo.app, "ops")
    client = demo.app.test_client()
    response = client.post(RUN, json=PAGE, headers=bearer(token))
    assert response.status_code == 200 and response.get_json()["rows"]
    assert "Set-Cookie" not in response.headers  # a script gets no session
    # ... and a form POST with a token works the same way (the owner's permissions).
    assert client.post("/account/tokens/999999/revoke", headers=bearer(token)).status_code == 302


def test_a_bogus_bearer_header_does_not_bypass_csrf_for_a_cookie_session(app: Flask) -> None:
    ensure_user(app, "root", "admin", "password-123")
    admin = SessionClient(app, "root", "password-123")
    response = admin.client.post("/admin/users/new", data={"username": "sneaky", "role": "admin"},
                                 headers={"Authorization": "Bearer tc_not-a-real-token"})
    assert response.status_code in (400, 401, 302)
    assert "sneaky" not in admin.get("/admin/users").get_data(as_text=True)


def test_a_csrf_token_of_another_session_is_refused(demo: Demo) -> None:
    ops = SessionClient(demo.app, "ops", DEMO_OPERATOR_PASSWORD)
    admin = SessionClient(demo.app, "admin", DEMO_ADMIN_PASSWORD)
    response = ops.client.post(RUN, json=PAGE, headers={"X-CSRFToken": admin.csrf})
    assert response.status_code == 400


# --- cookies -------------------------------------------------------------------------------------


@pytest.fixture
def secure_app(tmp_path: Path) -> Iterator[Flask]:
    """A production-like app: Secure cookies (the default of `toolcrib serve`)."""
    instance = tmp_path / "instance"
    flask_app = create_app({"instance_path": instance, "secure_cookies": True,
                            "database_url": f"sqlite:///{instance / 'toolcrib.db'}"})
    flask_app.extensions["toolcrib"].store.upgrade()
    yield flask_app
    flask_app.extensions["toolcrib"].close()


def test_session_cookie_is_secure_httponly_and_samesite(secure_app: Flask) -> None:
    ensure_user(secure_app, "kim", "operator", "password-123")
    client = secure_app.test_client()
    response = sign_in(client, "kim", "password-123")
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in
             session_cookie.split(";")[1:]}
    assert "secure" in flags and "httponly" in flags
    assert flags["samesite"].lower() in ("samesite=lax", "samesite=strict")
    assert not any(c.startswith("remember_token=") for c in cookies)


# --- sign-in -------------------------------------------------------------------------------------


def test_login_is_rate_limited_after_five_failures(app: Flask) -> None:
    ensure_user(app, "lee", "operator", "password-123")
    client = app.test_client()
    for attempt in range(5):
        response = sign_in(client, "lee", f"wrong-{attempt}")
        assert response.status_code == 401, attempt
        assert "Wrong username or password" in response.get_data(as_text=True)
    blocked = sign_in(client, "lee", "password-123")  # even the right password, for now
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.get_data(as_text=True)
    # The same address trying another name is limited too.
    assert sign_in(app.test_client(), "someone-else", "whatever-1").status_code == 429


def test_unknown_user_and_wrong_password_look_the_same(app: Flask) -> None:
    ensure_user(app, "lee", "operator", "password-123")
    unknown = sign_in(app.test_client(), "nobody", "password-123")
    wrong = sign_in(app.test_client(), "lee", "password-999")
    assert unknown.status_code == wrong.status_code == 401
    assert _without_tokens(unknown).replace("nobody", "lee") == _without_tokens(wrong)


def _without_tokens(response: Any) -> str:
    return re.sub(r'(content|value)="[\w.-]{40,}"', "", response.get_data(as_text=True))


EVIL_NEXT = [
    "https://evil.example",
    "https://evil.example/apps/order-shipping",
    "//evil.example",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(document.domain)",
    "evil.example",
    "http:/evil.example",
]


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_no_open_redirect_after_sign_in(app: Flask, target: str) -> None:
    ensure_user(app, "lee", "operator", "password-123")
    client = app.test_client()
    response = sign_in(client, "lee", "password-123", next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    # Already signed in, the login page's GET redirect is just as safe.
    again = client.get("/login", query_string={"next": target})
    assert again.status_code == 302 and again.headers["Location"] == "/"


def test_a_local_next_path_is_kept(app: Flask) -> None:
    ensure_user(app, "lee", "operator", "password-123")
    client = app.test_client()
    page = client.get("/account/tokens")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=")
    response = sign_in(client, "lee", "password-123", next_url="/account/tokens")
    assert response.headers["Location"] == "/account/tokens"


# --- headers -------------------------------------------------------------------------------------


def _assert_security_headers(response: Any, what: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, what
    assert "script-src" in csp or "default-src 'self'" in csp, what
    assert "'unsafe-eval'" not in csp and "script-src 'unsafe-inline'" not in csp, what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("X-Frame-Options") == "DENY", what


def test_security_headers_on_pages_and_api(demo: Demo) -> None:
    anonymous = demo.app.test_client()
    admin = SessionClient(demo.app, "admin", DEMO_ADMIN_PASSWORD)
    ops = SessionClient(demo.app, "ops", DEMO_OPERATOR_PASSWORD)
    token = token_for(demo.app, "ops")
    checks = [
        ("login page", anonymous.get("/login"), 200),
        ("redirect to sign-in", anonymous.get("/admin/users"), 302),
        ("app list", ops.get("/"), 200),
        ("runtime page", ops.get("/apps/order-shipping"), 200),
        ("users admin", admin.get("/admin/users"), 200),
        ("app access", admin.get("/admin/apps"), 200),
        ("api tokens", ops.get("/account/tokens"), 200),
        ("forbidden page", ops.get("/admin/users"), 403),
        ("unknown page", ops.get("/no/such/page"), 404),
        ("api ok", anonymous.post(RUN, json=PAGE, headers=bearer(token)), 200),
        ("api without csrf token", anonymous.post(RUN, json=PAGE), 400),
        ("api unauthorized", anonymous.post(RUN, json=PAGE, headers={
            "X-CSRFToken": login_form_token(anonymous)}), 401),
        ("api not found", anonymous.post("/api/apps/nope/queries/q/run", json=PAGE,
                                         headers=bearer(token)), 404),
        ("widget script", anonymous.get("/widgets/table.js"), 200),
    ]
    for what, response, status in checks:
        assert response.status_code == status, what
        _assert_security_headers(response, what)
    answers = {what: response for what, response, _ in checks}
    assert answers["api ok"].mimetype == "application/json"
    assert answers["api unauthorized"].get_json()["error"]["code"] == "unauthorized"
    assert answers["api without csrf token"].is_json


def test_pages_with_secrets_are_not_cached(demo: Demo) -> None:
    ops = SessionClient(demo.app, "ops", DEMO_OPERATOR_PASSWORD)
    created = ops.post("/account/tokens", data={"name": "cache check"})
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    token = re.search(r'data-secret>([^<]+)<', created.get_data(as_text=True)).group(1)  # type: ignore
    row = re.search(r'data-token="cache check".*?/account/tokens/(\d+)/revoke',
                    ops.get("/account/tokens").get_data(as_text=True), re.S)
    assert row is not None
    assert ops.post(f"/account/tokens/{row.group(1)}/revoke").status_code == 302
    assert demo.app.test_client().post(RUN, json=PAGE, headers=bearer(token.strip())
                                       ).status_code == 401
