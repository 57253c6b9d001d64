"""Users admin, app access and API tokens: the pages and the `toolcrib user` commands.

Each test runs on its own small demo instance (30 orders), so sign-ins, role changes and failed
attempts here never touch the shared demo the API and browser tests use.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from builder.cli import main
from builder.security.users import find_user
from builder.store import apps as app_records
from builder.store.models import AppRecord
from builder.store.people_models import ApiToken, User
from builder.store.policy_models import AuditEvent
from tests.auth_helpers import (
    DEMO_ADMIN_PASSWORD,
    DEMO_OPERATOR_PASSWORD,
    SessionClient,
    bearer,
    ensure_user,
    token_for,
)
from tests.conftest import make_toolcrib_app

FLAGSHIP = "order-shipping"
RUN = f"/api/apps/{FLAGSHIP}/queries/getOrders/run"
PAGE = {"state": {}, "page": {"size": 5, "number": 1}}


@pytest.fixture
def admin(shop_app: Flask) -> SessionClient:
    return SessionClient(shop_app, "admin", DEMO_ADMIN_PASSWORD)


def signs_in(app: Flask, login: str, password: str) -> bool:
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore
    response = client.post("/login", data={"login": login, "password": password,
                                           "csrf_token": token})
    return response.status_code == 302


def user_row(app: Flask, username: str) -> User:
    with app.extensions["toolcrib"].store.session() as session:
        user = find_user(session, username)
        assert user is not None
        return user


def audit_rows(app: Flask, action: str | None = None) -> list[dict[str, Any]]:
    with app.extensions["toolcrib"].store.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.kind == "admin")
                                 .order_by(AuditEvent.id)).all()
        rows = [{"actor": e.actor, "outcome": e.outcome, **json.loads(e.detail)} for e in events]
    mine = [r for r in rows if r["action"].startswith(("user.", "group.", "app.", "token."))]
    return [r for r in mine if action is None or r["action"] == action]


def all_audit_text(app: Flask) -> str:
    with app.extensions["toolcrib"].store.session() as session:
        return "\n".join(f"{e.actor} {e.detail}" for e in session.scalars(select(AuditEvent)))


def secret_on(html: str) -> str:
    match = re.search(r'<p class="tc-secret-once" id="tc-secret" data-secret>([^<]+)</p>', html)
    assert match, html[:2000]
    return match.group(1).strip()


def flashes(html: str, category: str) -> list[str]:
    return re.findall(rf'class="tc-flash tc-flash--{category}"[^>]*>([^<]+)<', html)


# --- users -------------------------------------------------------------------------------------


def test_add_user_with_a_generated_password_shown_once(shop_app: Flask,
                                                       admin: SessionClient) -> None:
    response = admin.post("/admin/users/new", data={
        "username": "alice", "email": "alice@example.com", "role": "operator", "password": ""})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = secret_on(response.get_data(as_text=True))
    assert len(password) >= 16
    assert signs_in(shop_app, "alice@example.com", password)

    listing = admin.get("/admin/users").get_data(as_text=True)
    assert 'data-user="alice"' in listing and "alice@example.com" in listing
    assert password not in listing
    stored = user_row(shop_app, "alice")
    assert stored.role == "operator" and stored.password_hash.startswith("scrypt:")
    assert password not in stored.password_hash
    [row] = audit_rows(shop_app, "user.create")
    assert row["actor"] == "admin" and row["target"] == "user:alice"
    assert row["after"] == {"username": "alice", "email": "alice@example.com",
                            "role": "operator", "disabled": False}
    assert password not in all_audit_text(shop_app)
    assert "scrypt" not in all_audit_text(shop_app)


def test_add_user_with_a_typed_password_and_refusals(shop_app: Flask,
                                                     admin: SessionClient) -> None:
    typed = "typed-password-42"
    response = admin.post("/admin/users/new", data={
        "username": "bob", "role": "developer", "password": typed})
    assert response.status_code == 302
    page = admin.get("/admin/users").get_data(as_text=True)
    assert any("bob (developer)" in m for m in flashes(page, "success"))
    assert typed not in page
    assert signs_in(shop_app, "bob", typed)

    for data, fragment in [
        ({"username": "BOB", "role": "operator"}, "already exists"),
        ({"username": "carol", "role": "root"}, "unknown role"),
        ({"username": "carol", "role": "operator", "password": "short"}, "at least 8"),
        ({"username": "", "role": "operator"}, "username is required"),
        ({"username": "carol", "email": "not-an-email", "role": "operator"}, "email"),
    ]:
        refused = admin.post("/admin/users/new", data=data)
        assert refused.status_code == 400, data
        html = refused.get_data(as_text=True)
        assert any(fragment in m for m in flashes(html, "error")), (data, flashes(html, "error"))
    assert typed not in all_audit_text(shop_app)
    assert len(audit_rows(shop_app, "user.create")) == 1


def test_change_role_is_audited_with_before_and_after(shop_app: Flask,
                                                      admin: SessionClient) -> None:
    ops_id = user_row(shop_app, "ops").id
    assert admin.post(f"/admin/users/{ops_id}/role", data={"role": "developer"}).status_code == 302
    assert user_row(shop_app, "ops").role == "developer"
    [row] = audit_rows(shop_app, "user.role")
    assert row["before"]["role"] == "operator" and row["after"]["role"] == "developer"
    bad = admin.post(f"/admin/users/{ops_id}/role", data={"role": "superuser"})
    assert bad.status_code == 302
    assert any("unknown role" in m for m in flashes(admin.get("/admin/users").get_data(
        as_text=True), "error"))
    assert user_row(shop_app, "ops").role == "developer"
    assert admin.post("/admin/users/9999/role", data={"role": "admin"}).status_code == 302


def test_disable_ends_sessions_and_tokens_and_enable_restores(shop_app: Flask,
                                                              admin: SessionClient) -> None:
    ops = SessionClient(shop_app, "ops", DEMO_OPERATOR_PASSWORD)
    token = token_for(shop_app, "ops")
    client = shop_app.test_client()
    assert ops.get("/").status_code == 200
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200
    epoch = user_row(shop_app, "ops").session_epoch

    ops_id = user_row(shop_app, "ops").id
    assert admin.post(f"/admin/users/{ops_id}/disabled", data={"disabled": "1"}
                      ).status_code == 302
    stored = user_row(shop_app, "ops")
    assert stored.disabled and stored.session_epoch == epoch + 1
    after = ops.get("/")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    assert ops.post(RUN, json=PAGE).status_code == 401
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 401
    assert not signs_in(shop_app, "ops", DEMO_OPERATOR_PASSWORD)
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "tc-badge--error\">disabled" in listing

    assert admin.post(f"/admin/users/{ops_id}/disabled", data={"disabled": "0"}
                      ).status_code == 302
    assert not user_row(shop_app, "ops").disabled
    assert signs_in(shop_app, "ops", DEMO_OPERATOR_PASSWORD)
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200
    actions = [r["action"] for r in audit_rows(shop_app)]
    assert actions == ["user.disable", "user.enable"]
    assert audit_rows(shop_app, "user.disable")[0]["after"]["disabled"] is True


def test_reset_password_shows_it_once_and_signs_the_user_out(shop_app: Flask,
                                                             admin: SessionClient) -> None:
    ops = SessionClient(shop_app, "ops", DEMO_OPERATOR_PASSWORD)
    ops_id = user_row(shop_app, "ops").id
    response = admin.post(f"/admin/users/{ops_id}/password")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = secret_on(response.get_data(as_text=True))
    assert ops.get("/").status_code == 302
    assert not signs_in(shop_app, "ops", DEMO_OPERATOR_PASSWORD)
    assert signs_in(shop_app, "ops", password)
    [row] = audit_rows(shop_app, "user.reset_password")
    assert row["target"] == "user:ops" and row["actor"] == "admin"
    text = all_audit_text(shop_app)
    assert password not in text and DEMO_OPERATOR_PASSWORD not in text and "scrypt" not in text

    # An admin resetting their own password stays signed in (with the new session epoch).
    admin_id = user_row(shop_app, "admin").id
    own = admin.post(f"/admin/users/{admin_id}/password")
    new_admin_password = secret_on(own.get_data(as_text=True))
    assert admin.get("/admin/users").status_code == 200
    assert signs_in(shop_app, "admin", new_admin_password)


def test_the_last_enabled_admin_cannot_be_demoted_or_disabled(shop_app: Flask,
                                                              admin: SessionClient) -> None:
    admin_id = user_row(shop_app, "admin").id
    for path, data in ((f"/admin/users/{admin_id}/role", {"role": "operator"}),
                       (f"/admin/users/{admin_id}/disabled", {"disabled": "1"})):
        assert admin.post(path, data=data).status_code == 302
        page = admin.get("/admin/users")
        assert page.status_code == 200
        errors = flashes(page.get_data(as_text=True), "error")
        assert any("last enabled admin" in m for m in errors), errors
    stored = user_row(shop_app, "admin")
    assert stored.role == "admin" and not stored.disabled
    assert audit_rows(shop_app) == []

    # A disabled admin does not count: with a second, disabled admin the guard still holds.
    other = ensure_user(shop_app, "admin2", "admin")
    assert admin.post(f"/admin/users/{other}/disabled", data={"disabled": "1"}).status_code == 302
    assert admin.post(f"/admin/users/{admin_id}/role", data={"role": "developer"}
                      ).status_code == 302
    assert user_row(shop_app, "admin").role == "admin"

    # Once another admin is enabled, an admin may step down; they land on the app list.
    assert admin.post(f"/admin/users/{other}/disabled", data={"disabled": "0"}).status_code == 302
    step_down = admin.post(f"/admin/users/{admin_id}/role", data={"role": "developer"})
    assert step_down.status_code == 302 and step_down.headers["Location"] == "/"
    assert user_row(shop_app, "admin").role == "developer"
    assert admin.get("/admin/users").status_code == 403


def test_groups_grant_apps_to_their_members(shop_app: Flask, admin: SessionClient) -> None:
    ensure_user(shop_app, "wang", "operator")
    wang = SessionClient(shop_app, "wang", "password-123")
    assert wang.post(RUN, json=PAGE).status_code == 404
    assert wang.get(f"/apps/{FLAGSHIP}").status_code == 404

    assert admin.post("/admin/users/groups", data={"name": "warehouse"}).status_code == 302
    again = admin.post("/admin/users/groups", data={"name": "Warehouse"})
    assert again.status_code == 302
    page = admin.get("/admin/users").get_data(as_text=True)
    assert any("already exists" in m for m in flashes(page, "error"))
    group_id = int(re.search(r'/admin/users/groups/(\d+)/members"', page).group(1))  # type: ignore
    wang_id = user_row(shop_app, "wang").id
    assert admin.post(f"/admin/users/groups/{group_id}/members",
                      data={"user_id": str(wang_id)}).status_code == 302
    assert 'data-group="warehouse"' in admin.get("/admin/users").get_data(as_text=True)

    assert admin.post(f"/admin/apps/{FLAGSHIP}/grants",
                      data={"group_id": str(group_id)}).status_code == 302
    assert 'data-grant="group:warehouse"' in admin.get(f"/admin/apps/{FLAGSHIP}").get_data(
        as_text=True)
    assert wang.post(RUN, json=PAGE).status_code == 200
    assert wang.get(f"/apps/{FLAGSHIP}").status_code == 200

    assert admin.post(f"/admin/users/groups/{group_id}/members/{wang_id}/remove"
                      ).status_code == 302
    assert wang.post(RUN, json=PAGE).status_code == 404
    actions = [(r["action"], r.get("after")) for r in audit_rows(shop_app)]
    assert actions == [
        ("group.create", {"name": "warehouse"}),
        ("group.add_member", {"members": ["wang"]}),
        ("app.grant", {"group": "warehouse"}),
        ("group.remove_member", {"members": []}),
    ]


def test_admin_pages_refuse_everyone_but_admins(shop_app: Flask) -> None:
    ensure_user(shop_app, "dev", "developer")
    dev = SessionClient(shop_app, "dev", "password-123")
    ops = SessionClient(shop_app, "ops", DEMO_OPERATOR_PASSWORD)
    for client in (dev, ops):
        assert client.get("/admin/users").status_code == 403
        assert client.post("/admin/users/new", data={"username": "x", "role": "admin"}
                           ).status_code == 403
    assert find_user_missing(shop_app, "x")
    anonymous = shop_app.test_client().get("/admin/users")
    assert anonymous.status_code == 302 and "/login?next=" in anonymous.headers["Location"]


def find_user_missing(app: Flask, username: str) -> bool:
    with app.extensions["toolcrib"].store.session() as session:
        return find_user(session, username) is None


# --- app access --------------------------------------------------------------------------------


def _own_app(app: Flask, slug: str, owner: str | None) -> None:
    with app.extensions["toolcrib"].store.session() as session:
        record = session.scalar(select(AppRecord).where(AppRecord.slug == slug))
        assert record is not None
        record.owner_id = user_row(app, owner).id if owner else None


def _save_draft(app: Flask, slug: str = FLAGSHIP, change: str = "") -> int:
    with app.extensions["toolcrib"].store.session() as session:
        newest = app_records.latest_version(session, slug)
        assert newest is not None
        version = app_records.save_version(session, slug=slug, title="订单发货",
                                           source=newest.source + change, created_by="test")
        return version.number


def test_app_access_lists_versions_and_owners(shop_app: Flask, admin: SessionClient) -> None:
    _save_draft(shop_app, change="\n# a draft\n")
    html = admin.get("/admin/apps").get_data(as_text=True)
    row = html.split(f'data-app="{FLAGSHIP}"')[1].split("</tr>")[0]
    assert "v2" in row and "draft" in row and "v1" in row and "admins only" in row
    detail = admin.get(f"/admin/apps/{FLAGSHIP}").get_data(as_text=True)
    assert 'data-grant="user:ops"' in detail and "Publish v2" in detail


def test_developers_manage_only_the_apps_they_own(shop_app: Flask, admin: SessionClient) -> None:
    ensure_user(shop_app, "dev", "developer")
    ensure_user(shop_app, "li", "operator")
    li_id = user_row(shop_app, "li").id
    dev = SessionClient(shop_app, "dev", "password-123")
    ops = SessionClient(shop_app, "ops", DEMO_OPERATOR_PASSWORD)
    grant = {"user_id": str(li_id)}

    # An imported app has no owner: a developer may look but not change.
    assert dev.get("/admin/apps").status_code == 200
    view = dev.get(f"/admin/apps/{FLAGSHIP}").get_data(as_text=True)
    assert "Only admins and this app" in view and "Revoke" not in view
    assert dev.post(f"/admin/apps/{FLAGSHIP}/grants", data=grant).status_code == 403
    assert ops.get("/admin/apps").status_code == 403
    assert ops.post(f"/admin/apps/{FLAGSHIP}/grants", data=grant).status_code == 403
    assert dev.post(f"/admin/apps/{FLAGSHIP}/owner", data={"owner_id": "1"}).status_code == 403

    # The admin hands the app to the developer, who may then grant, revoke and publish it.
    dev_id = user_row(shop_app, "dev").id
    assert admin.post(f"/admin/apps/{FLAGSHIP}/owner", data={"owner_id": str(dev_id)}
                      ).status_code == 302
    assert dev.post(f"/admin/apps/{FLAGSHIP}/grants", data=grant).status_code == 302
    li = SessionClient(shop_app, "li", "password-123")
    assert li.post(RUN, json=PAGE).status_code == 200
    detail = dev.get(f"/admin/apps/{FLAGSHIP}").get_data(as_text=True)
    grant_id = re.search(r'grants/(\d+)/revoke"', detail.split('data-grant="user:li"')[1])
    assert grant_id, detail
    assert dev.post(f"/admin/apps/{FLAGSHIP}/grants/{grant_id.group(1)}/revoke"
                    ).status_code == 302
    assert li.post(RUN, json=PAGE).status_code == 404

    # Granting to a developer or an admin makes no sense: they use every app already.
    refused = admin.post(f"/admin/apps/{FLAGSHIP}/grants", data={"user_id": str(dev_id)})
    assert refused.status_code == 302
    assert any("use every app already" in m for m in flashes(
        admin.get(f"/admin/apps/{FLAGSHIP}").get_data(as_text=True), "error"))
    # Only a developer may own an app.
    ops_id = user_row(shop_app, "ops").id
    admin.post(f"/admin/apps/{FLAGSHIP}/owner", data={"owner_id": str(ops_id)})
    with shop_app.extensions["toolcrib"].store.session() as session:
        record = session.scalar(select(AppRecord).where(AppRecord.slug == FLAGSHIP))
        assert record is not None and record.owner_id == dev_id

    actions = [(r["actor"], r["action"]) for r in audit_rows(shop_app)]
    assert actions == [("admin", "app.owner"), ("dev", "app.grant"), ("dev", "app.revoke")]


def test_publish_the_newest_version(shop_app: Flask, admin: SessionClient) -> None:
    number = _save_draft(shop_app, change="\n# draft two\n")
    stale = admin.post(f"/admin/apps/{FLAGSHIP}/publish", data={"version": str(number - 1)})
    assert stale.status_code == 302
    page = admin.get(f"/admin/apps/{FLAGSHIP}").get_data(as_text=True)
    assert any("was saved since this page was opened" in m for m in flashes(page, "error"))
    assert shop_app.extensions["toolcrib"].published.get(FLAGSHIP).version_number == 1

    assert admin.post(f"/admin/apps/{FLAGSHIP}/publish", data={"version": str(number)}
                      ).status_code == 302
    assert shop_app.extensions["toolcrib"].published.get(FLAGSHIP).version_number == number
    [row] = audit_rows(shop_app, "app.publish")
    assert row["before"] == {"published_version": 1}
    assert row["after"] == {"published_version": number}

    # A version with problems is not published.
    broken = _save_draft(shop_app, change="\nqueries: 3\n")
    admin.post(f"/admin/apps/{FLAGSHIP}/publish", data={"version": str(broken)})
    page = admin.get(f"/admin/apps/{FLAGSHIP}").get_data(as_text=True)
    assert any(f"version {broken} has problems" in m for m in flashes(page, "error")), page
    assert shop_app.extensions["toolcrib"].published.get(FLAGSHIP).version_number == number


# --- API tokens --------------------------------------------------------------------------------


def test_tokens_are_shown_once_stored_hashed_and_revocable(shop_app: Flask) -> None:
    ops = SessionClient(shop_app, "ops", DEMO_OPERATOR_PASSWORD)
    assert ops.get("/account/tokens").status_code == 200
    created = ops.post("/account/tokens", data={"name": "nightly export"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    token = secret_on(created.get_data(as_text=True))
    assert token.startswith("tc_") and len(token) > 40

    with shop_app.extensions["toolcrib"].store.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == "nightly export"))
        assert row is not None
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.prefix == token[:10] and row.last_used_at is None
    for stored in Path(shop_app.instance_path).glob("toolcrib.db*"):
        assert token.encode() not in stored.read_bytes(), stored
    listing = ops.get("/account/tokens").get_data(as_text=True)
    assert token not in listing and f"{token[:10]}…" in listing

    client = shop_app.test_client()
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200
    assert "never" not in ops.get("/account/tokens").get_data(as_text=True).split(
        'data-token="nightly export"')[1].split("</tr>")[0]

    # A token cannot mint more tokens; it has no more than its owner's permissions.
    minted = client.post("/account/tokens", data={"name": "more"}, headers=bearer(token))
    assert minted.status_code == 403
    assert client.get("/admin/users", headers=bearer(token)).status_code == 403

    # Someone else's token cannot be revoked (or even found) by id.
    ensure_user(shop_app, "other", "operator")
    other = SessionClient(shop_app, "other", "password-123")
    other.post(f"/account/tokens/{row.id}/revoke")
    assert "no such token" in other.get("/account/tokens").get_data(as_text=True)
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200

    revoke = ops.post(f"/account/tokens/{row.id}/revoke")
    assert revoke.status_code == 302
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 401
    assert "revoked" in ops.get("/account/tokens").get_data(as_text=True)
    actions = [(r["actor"], r["action"]) for r in audit_rows(shop_app)]
    assert actions == [("ops", "token.create"), ("ops", "token.revoke")]
    assert token not in all_audit_text(shop_app)


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "instance"
    monkeypatch.setenv("TOOLCRIB_INSTANCE_PATH", str(path))
    monkeypatch.delenv("TOOLCRIB_DATABASE_URL", raising=False)
    monkeypatch.delenv("TOOLCRIB_SECRET_KEY", raising=False)
    # `toolcrib demo` sets this for its plain-HTTP server; keep it from leaking to other tests.
    monkeypatch.setenv("TOOLCRIB_SECURE_COOKIES", "0")
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


def instance_app(instance: Path) -> Flask:
    return make_toolcrib_app(instance)


def test_cli_user_commands(instance: Path, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["demo", "--no-serve", "--orders", "20"]) == 0
    capsys.readouterr()

    status, out, _ = cli(capsys, "user", "create", "zhang", "--role", "operator",
                         "--email", "zhang@example.com")
    assert status == 0 and "created operator user 'zhang'" in out
    generated = re.search(r"password \(shown once\): (\S+)", out).group(1)  # type: ignore
    status, out, _ = cli(capsys, "user", "create", "li", "--role", "developer",
                         "--password-stdin", stdin="li-password-1\n", monkeypatch=monkeypatch)
    assert status == 0 and "shown once" not in out and "li-password-1" not in out
    status, _, err = cli(capsys, "user", "create", "Zhang", "--role", "operator")
    assert status == 1 and "already exists" in err

    status, out, _ = cli(capsys, "user", "list")
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert set(lines) >= {"admin", "ops", "zhang", "li"}
    assert "operator  enabled  zhang@example.com  last sign-in never" in lines["zhang"]

    assert cli(capsys, "user", "set-role", "zhang", "developer")[1].strip() == (
        "zhang is now developer")
    assert cli(capsys, "user", "set-role", "zhang", "operator")[0] == 0
    status, _, err = cli(capsys, "user", "set-role", "admin", "operator")
    assert status == 1 and "last enabled admin" in err
    status, _, err = cli(capsys, "user", "disable", "admin")
    assert status == 1 and "last enabled admin" in err
    status, _, err = cli(capsys, "user", "disable", "nobody")
    assert status == 1 and "there is no user 'nobody'" in err

    status, token, err = cli(capsys, "user", "token", "zhang", "--name", "bench")
    token = token.strip()
    assert status == 0 and token.startswith("tc_") and "shown once" in err
    status, out, err = cli(capsys, "user", "grant", "zhang", FLAGSHIP)
    assert status == 0 and out.strip() == f"zhang may use {FLAGSHIP}"
    assert "already granted" in cli(capsys, "user", "grant", "zhang", FLAGSHIP)[1]
    status, _, err = cli(capsys, "user", "grant", "li", FLAGSHIP)
    assert status == 1 and "use every app already" in err
    status, _, err = cli(capsys, "user", "grant", "zhang", "no-such-app")
    assert status == 1 and "unknown app" in err

    app = instance_app(instance)
    try:
        client = app.test_client()
        assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200
        assert signs_in(app, "zhang", generated) and signs_in(app, "li", "li-password-1")

        assert cli(capsys, "user", "disable", "zhang")[0] == 0
        assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 401
        assert not signs_in(app, "zhang", generated)
        status, _, err = cli(capsys, "user", "token", "zhang", "--name", "again")
        assert status == 1 and "disabled" in err
        assert cli(capsys, "user", "enable", "zhang")[0] == 0
        assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200

        status, out, _ = cli(capsys, "user", "reset-password", "zhang")
        fresh = re.search(r"password \(shown once\): (\S+)", out).group(1)  # type: ignore
        assert not signs_in(app, "zhang", generated) and signs_in(app, "zhang", fresh)
        status, out, _ = cli(capsys, "user", "reset-password", "zhang", "--password-stdin",
                             stdin="chosen-password-9\n", monkeypatch=monkeypatch)
        assert status == 0 and "chosen-password-9" not in out
        assert signs_in(app, "zhang", "chosen-password-9")
        status, _, err = cli(capsys, "user", "reset-password", "zhang", "--password-stdin",
                             stdin="short\n", monkeypatch=monkeypatch)
        assert status == 1 and "at least 8" in err

        rows = audit_rows(app)
        assert {r["actor"] for r in rows} == {rows[0]["actor"]}
        assert rows[0]["actor"].startswith("cli:")
        assert [r["action"] for r in rows] == [
            "user.create", "user.create", "user.role", "user.role", "token.create",
            "app.grant", "user.disable", "user.enable", "user.reset_password",
            "user.reset_password"]
        text = all_audit_text(app)
        for secret in (generated, fresh, "li-password-1", "chosen-password-9", token):
            assert secret not in text
    finally:
        app.extensions["toolcrib"].close()


def test_cli_first_admin_on_an_empty_instance(instance: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "user", "list")
    assert status == 0 and "toolcrib user create NAME --role admin" in out
    status, out, _ = cli(capsys, "user", "create", "root", "--role", "admin")
    password = re.search(r"password \(shown once\): (\S+)", out).group(1)  # type: ignore
    app = instance_app(instance)
    try:
        admin = SessionClient(app, "root", password)
        assert admin.get("/admin/users").status_code == 200
    finally:
        app.extensions["toolcrib"].close()
