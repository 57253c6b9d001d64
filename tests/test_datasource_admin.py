"""The data-source admin pages: add, edit, delete, secrets, audit, egress rules, a lost key."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, select

from builder import create_app
from builder import datasource_admin as admin
from builder.security import egress
from builder.store import apps as app_records
from builder.store.policy_models import AuditEvent
from datasources.base import ConnectionFailure
from datasources.sql_support import pg_failure_kind
from tests.auth_helpers import SessionClient, bearer, ensure_user, token_for

SECRET = "Sup3r-s3cret-pw!"
OTHER_SECRET = "An0ther-s3cret#"
BASE = "/admin/datasources"
JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def _no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Whatever a test does, no log line may contain a password it typed: not Toolcrib's, not
    SQLAlchemy's statement log (with its parameters), not a driver's."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    yield
    logged = "\n".join(record.getMessage() for when in ("setup", "call")
                       for record in caplog.get_records(when))  # type: ignore[arg-type]
    for secret in (SECRET, OTHER_SECRET):
        assert secret not in logged, "a secret reached the log"


@pytest.fixture
def boss(app: Flask) -> SessionClient:
    ensure_user(app, "boss", "admin", "password-123")
    return SessionClient(app, "boss", "password-123")


def mysql_form(**changes: Any) -> dict[str, Any]:
    form = {"kind": "mysql", "name": "shop", "cfg-host": "db.internal.example",
            "cfg-port": "3306", "cfg-database": "shop", "cfg-user": "app",
            "cfg-password": SECRET, "cfg-pool_size": "5", "cfg-connect_timeout_s": "10"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def sqlite_file(tmp_path: Path) -> str:
    path = tmp_path / "shop.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    engine.dispose()
    return str(path)


def audit_rows(app: Flask, action_prefix: str = "") -> list[dict[str, Any]]:
    with app.extensions["toolcrib"].store.session() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.kind == "admin")
                               .order_by(AuditEvent.id)).all()
        details = [{**json.loads(r.detail), "actor": r.actor, "outcome": r.outcome}
                   for r in rows]
    return [d for d in details if str(d.get("action", "")).startswith(action_prefix)]


def publish_app(app: Flask, slug: str, datasource: str, *, publish: bool = True) -> None:
    source = (f"format: 1\napp: {slug}\ntitle: {slug.title()}\npages:\n  - name: main\n"
              f"    widgets: []\nqueries:\n  one:\n    datasource: {datasource}\n"
              "    sql: SELECT 1 AS one\n")
    with app.extensions["toolcrib"].store.session() as session:
        version = app_records.save_version(session, slug=slug, title=slug.title(), source=source)
        if publish:
            app_records.publish(session, version)


def add_shop(boss: SessionClient, **changes: Any) -> Any:
    return boss.post(f"{BASE}/new?kind=mysql", data={**mysql_form(**changes), "action": "save"})


# --- access -------------------------------------------------------------------------------------


def test_only_admins_see_the_pages(app: Flask, boss: SessionClient) -> None:
    assert app.test_client().get(BASE).status_code == 302  # to sign-in
    ensure_user(app, "op", "operator", "password-123")
    ensure_user(app, "dev", "developer", "password-123")
    for who in ("op", "dev"):
        client = SessionClient(app, who, "password-123")
        assert client.get(BASE).status_code == 403
        assert client.get(f"{BASE}/new?kind=mysql").status_code == 403
        assert client.post(f"{BASE}/new?kind=mysql",
                           data={**mysql_form(), "action": "save"}).status_code == 403
        assert client.post(f"{BASE}/egress", data={"pattern": "10.0.0.0/8"}).status_code == 403
    page = boss.get(BASE)
    assert page.status_code == 200 and "Data sources" in page.get_data(as_text=True)
    assert 'href="/admin/datasources"' in boss.get("/").get_data(as_text=True)  # in the nav


def test_posts_need_the_csrf_token(app: Flask, boss: SessionClient) -> None:
    response = boss.client.post(f"{BASE}/new?kind=mysql", data={**mysql_form(), "action": "save"})
    assert response.status_code == 400
    assert admin.describe_all(app.extensions["toolcrib"]) == []


# --- add ----------------------------------------------------------------------------------------


def test_the_form_comes_from_the_config_schema(boss: SessionClient) -> None:
    html = boss.get(f"{BASE}/new?kind=mysql").get_data(as_text=True)
    for name in ("cfg-host", "cfg-port", "cfg-database", "cfg-user", "cfg-password",
                 "cfg-sslmode", "cfg-pool_size", "cfg-connect_timeout_s",
                 "cfg-statement_timeout_s", "cfg-read_only", "cfg-url"):
        assert f'name="{name}"' in html, name
    assert re.search(r'<input type="password" name="cfg-password"[^>]*value=""', html)
    assert re.search(r'<input type="password" name="cfg-url"[^>]*value=""', html)
    assert re.search(r'name="cfg-port"[^>]*value="3306"', html)  # the schema's default
    assert '<option value="verify_identity"' in html  # an enum is a select
    assert 'type="checkbox" name="cfg-read_only"' in html
    assert "<script>" not in html and "datasource-form.js" in html  # no inline script (CSP)
    sqlite = boss.get(f"{BASE}/new?kind=sqlite").get_data(as_text=True)
    assert 'name="cfg-path"' in sqlite and 'name="cfg-host"' not in sqlite


def test_add_stores_encrypted_and_never_echoes_the_password(
        app: Flask, boss: SessionClient, caplog: pytest.LogCaptureFixture) -> None:
    response = add_shop(boss, **{"cfg-read_only": "1"})
    assert "INSERT INTO datasources" in caplog.text  # the statement log is on (and clean)
    assert response.status_code == 302 and response.headers["Location"].endswith(BASE)
    stored = admin.load(app.extensions["toolcrib"], "shop")
    assert stored.config is not None and stored.config["password"] == SECRET
    assert stored.read_only and "read_only" not in stored.config
    assert stored.config["port"] == 3306 and stored.config["pool_size"] == 5
    raw = Path(app.extensions["toolcrib"].settings.instance_path / "toolcrib.db").read_bytes()
    assert SECRET.encode() not in raw, "credentials must be encrypted at rest"

    listing = boss.get(BASE).get_data(as_text=True)
    assert "app@db.internal.example:3306/shop" in listing and SECRET not in listing
    assert "read-only" in listing and "no app" in listing
    edit = boss.get(f"{BASE}/shop/edit").get_data(as_text=True)
    assert SECRET not in edit and "A value is stored" in edit
    assert 'name="clear-password"' in edit


def test_add_refuses_mistakes_without_echoing_secrets(app: Flask, boss: SessionClient) -> None:
    bad = boss.post(f"{BASE}/new?kind=mysql",
                    data={**mysql_form(**{"cfg-port": "abc", "name": "bad name!"}),
                          "action": "save"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and SECRET not in html
    assert "enter a whole number" in html and "a data source name starts with" in html
    assert 'value="abc"' in html  # the typo stays visible to be fixed
    assert "type it again" in html  # the password the person typed is not sent back

    missing = boss.post(f"{BASE}/new?kind=mysql", data={
        **mysql_form(**{"cfg-host": "", "cfg-database": ""}), "action": "save"})
    assert missing.status_code == 400
    assert "fill in Connection URL — or — Host and Database" in missing.get_data(as_text=True)

    assert add_shop(boss).status_code == 302
    again = add_shop(boss)
    assert again.status_code == 400 and "already exists" in again.get_data(as_text=True)


def test_a_url_fills_the_fields(app: Flask, boss: SessionClient) -> None:
    url = f"mysql://reader:{SECRET}@10.1.2.3:3307/reports?ssl_mode=required"
    response = boss.post(f"{BASE}/new?kind=mysql", data={
        **mysql_form(**{"cfg-url": url, "cfg-password": ""}), "action": "save"})
    assert response.status_code == 302
    stored = admin.load(app.extensions["toolcrib"], "shop").config
    assert stored is not None
    assert (stored["host"], stored["port"], stored["user"], stored["password"],
            stored["database"], stored["sslmode"]) == (
        "10.1.2.3", 3307, "reader", SECRET, "reports", "required")
    assert "url" not in stored

    wrong_kind = boss.post(f"{BASE}/new?kind=mysql", data={
        **mysql_form(**{"cfg-url": f"postgresql://u:{SECRET}@h/db", "name": "pg"}),
        "action": "save"})
    html = wrong_kind.get_data(as_text=True)
    assert wrong_kind.status_code == 400 and "postgresql URL" in html and SECRET not in html


# --- edit ---------------------------------------------------------------------------------------


def test_edit_keeps_an_empty_secret_and_clears_on_request(app: Flask,
                                                          boss: SessionClient) -> None:
    tc = app.extensions["toolcrib"]
    assert add_shop(boss).status_code == 302
    first = admin.load(tc, "shop")

    kept = boss.post(f"{BASE}/shop/edit", data={
        **mysql_form(**{"cfg-password": "", "cfg-pool_size": "9"}), "action": "save"})
    assert kept.status_code == 302
    after = admin.load(tc, "shop")
    assert after.config is not None and after.config["password"] == SECRET
    assert after.config["pool_size"] == 9 and after.updated_at != first.updated_at

    changed = boss.post(f"{BASE}/shop/edit", data={
        **mysql_form(**{"cfg-password": OTHER_SECRET}), "action": "save"})
    assert changed.status_code == 302
    assert admin.load(tc, "shop").config["password"] == OTHER_SECRET  # type: ignore[index]

    cleared = boss.post(f"{BASE}/shop/edit", data={
        **mysql_form(**{"cfg-password": "", "clear-password": "1"}), "action": "save"})
    assert cleared.status_code == 302
    assert "password" not in admin.load(tc, "shop").config  # type: ignore[operator]
    assert "A value is stored" not in boss.get(f"{BASE}/shop/edit").get_data(as_text=True)

    # The name and the kind cannot change on edit.
    boss.post(f"{BASE}/shop/edit", data={**mysql_form(name="renamed", kind="sqlite"),
                                         "action": "save"})
    assert [row[0] for row in admin.describe_all(tc)] == ["shop"]
    assert admin.load(tc, "shop").kind == "mysql"


def test_every_change_is_audited_with_secrets_masked(app: Flask, boss: SessionClient) -> None:
    add_shop(boss)
    boss.post(f"{BASE}/shop/edit", data={**mysql_form(**{"cfg-password": OTHER_SECRET,
                                                         "cfg-pool_size": "7"}),
                                         "action": "save"})
    boss.post(f"{BASE}/shop/delete")
    rows = audit_rows(app, "datasource.")
    assert [r["action"] for r in rows] == ["datasource.create", "datasource.update",
                                           "datasource.delete"]
    assert all(r["actor"] == "boss" and r["target"] == "shop" for r in rows)
    create, update, delete = rows
    assert create["before"] is None and create["after"]["config"]["password"] == "•••"
    assert create["after"]["config"]["host"] == "db.internal.example"
    assert update["before"]["config"]["pool_size"] == 5
    assert update["after"]["config"]["pool_size"] == 7
    assert update["after"]["config"]["password"] == "•••"
    assert update["after"]["write_only_changed"] == ["password"]  # which, never the value
    assert "write_only_changed" not in create["after"]
    assert delete["before"]["config"]["password"] == "•••" and delete["after"] is None
    with app.extensions["toolcrib"].store.session() as session:
        every_detail = " ".join(session.scalars(select(AuditEvent.detail)))
    assert SECRET not in every_detail and OTHER_SECRET not in every_detail


# --- delete -------------------------------------------------------------------------------------


def test_delete_is_refused_while_an_app_uses_it(app: Flask, boss: SessionClient) -> None:
    tc = app.extensions["toolcrib"]
    add_shop(boss)
    add_shop(boss, name="spare")
    publish_app(app, "orders", "shop")
    publish_app(app, "drafts", "shop", publish=False)  # only a draft names it

    listing = boss.get(BASE).get_data(as_text=True)
    assert "orders" in listing and "published and newest v1" in listing
    assert "drafts" in listing and "newest v1" in listing

    refused = boss.post(f"{BASE}/shop/delete", follow_redirects=True)
    html = refused.get_data(as_text=True)
    assert "cannot delete data source" in html and "orders (published and newest v1)" in html
    assert "drafts (newest v1)" in html
    assert [r[0] for r in admin.describe_all(tc)] == ["shop", "spare"]
    assert audit_rows(app, "datasource.delete")[-1]["outcome"] == "refused_in_use"
    with pytest.raises(admin.DataSourceInUse):  # the command line refuses too
        admin.remove_datasource(tc, "shop")

    # A newer draft that points elsewhere does not free it while the published one uses it.
    with tc.store.session() as session:
        app_records.save_version(session, slug="orders", title="Orders",
                                 source="format: 1\napp: orders\nqueries: {}\n")
    assert "orders (published v1)" in boss.post(
        f"{BASE}/shop/delete", follow_redirects=True).get_data(as_text=True)

    deleted = boss.post(f"{BASE}/spare/delete", follow_redirects=True)
    assert "deleted data source &#39;spare&#39;" in deleted.get_data(as_text=True)
    assert [r[0] for r in admin.describe_all(tc)] == ["shop"]


def test_a_broken_draft_still_counts_as_using(app: Flask) -> None:
    assert admin.datasources_named("queries: {a: {datasource: shop, sql: [") == {"shop"}
    assert admin.datasources_named(
        "format: 1\napp: x\nqueries:\n  a: {datasource: shop}\n  b: {datasource: 'crm'}\n"
    ) == {"shop", "crm"}


# --- test connection on the page ---------------------------------------------------------------


def test_test_connection_json_and_without_javascript(app: Flask, boss: SessionClient,
                                                     tmp_path: Path) -> None:
    path = sqlite_file(tmp_path)
    form = {"kind": "sqlite", "name": "local", "cfg-path": path, "action": "test"}
    answer = boss.post(f"{BASE}/new?kind=sqlite", data=form, headers=JSON)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(
        "application/json")
    data = answer.get_json()
    assert data["ok"] and data["server_version"].startswith("SQLite")
    assert data["latency_ms"] is not None
    assert admin.describe_all(app.extensions["toolcrib"]) == []  # testing saves nothing

    page = boss.post(f"{BASE}/new?kind=sqlite", data=form)  # the no-JavaScript fallback
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "tc-ds-result--ok" in html and "connected to SQLite" in html
    assert f'value="{path}"' in html

    missing = boss.post(f"{BASE}/new?kind=sqlite", headers=JSON, data={
        **form, "cfg-path": str(tmp_path / "nope.db")}).get_json()
    assert (missing["ok"], missing["kind"]) == (False, "missing_file")

    invalid = boss.post(f"{BASE}/new?kind=mysql", headers=JSON,
                        data={**mysql_form(**{"cfg-port": "x"}), "action": "test"})
    assert invalid.status_code == 400 and invalid.get_json()["errors"]["port"]


def test_test_connection_never_returns_the_password(app: Flask, boss: SessionClient) -> None:
    form = {**mysql_form(**{"cfg-host": "127.0.0.1", "cfg-port": "1"}), "action": "test"}
    data = boss.post(f"{BASE}/new?kind=mysql", data=form, headers=JSON)
    body = data.get_data(as_text=True)
    assert data.get_json()["kind"] == "connection_refused"
    assert SECRET not in body
    html = boss.post(f"{BASE}/new?kind=mysql", data=form).get_data(as_text=True)
    assert "Connection refused" in html and SECRET not in html


def test_test_connection_uses_the_stored_secret_on_edit(app: Flask, boss: SessionClient,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    add_shop(boss)
    seen: list[dict[str, Any]] = []

    def fake_run_test(source: Any, policy: Any, deadline_s: float = 0) -> admin.ProbeOutcome:
        seen.append(dict(source.config))
        return admin.ProbeOutcome(ok=True, title="Connected", message="ok")

    monkeypatch.setattr(admin, "run_test", fake_run_test)
    boss.post(f"{BASE}/shop/edit", data={**mysql_form(**{"cfg-password": ""}),
                                         "action": "test"}, headers=JSON)
    boss.post(f"{BASE}/shop/edit", data={**mysql_form(**{"cfg-password": "",
                                                         "clear-password": "1"}),
                                         "action": "test"}, headers=JSON)
    assert seen[0]["password"] == SECRET and "password" not in seen[1]


# --- egress -------------------------------------------------------------------------------------


def test_egress_rules_on_the_page(app: Flask, boss: SessionClient) -> None:
    page = boss.get(BASE).get_data(as_text=True)
    assert "no rules" in page and "This server connects from" in page

    assert boss.post(f"{BASE}/egress", data={"pattern": "10.0.0.0/8", "note": "office"}
                     ).status_code == 302
    boss.post(f"{BASE}/egress", data={"pattern": "*.Corp.Example."})
    bad = boss.post(f"{BASE}/egress", data={"pattern": "not a host!"}, follow_redirects=True)
    assert "egress rule not added" in bad.get_data(as_text=True)
    duplicate = boss.post(f"{BASE}/egress", data={"pattern": "10.1.0.0/8"},
                          follow_redirects=True)
    assert "already on the egress list" in duplicate.get_data(as_text=True)
    page = boss.get(BASE).get_data(as_text=True)
    assert "<code>10.0.0.0/8</code>" in page and "<code>*.corp.example</code>" in page

    with app.extensions["toolcrib"].store.session() as session:
        rules = {r.pattern: r.id for r in egress.list_rules(session)}
    boss.post(f"{BASE}/egress/{rules['10.0.0.0/8']}/delete")
    boss.post(f"{BASE}/egress/settings", data={"allow_link_local": "1"})
    with app.extensions["toolcrib"].store.session() as session:
        assert [r.pattern for r in egress.list_rules(session)] == ["*.corp.example"]
        assert egress.allow_link_local(session)
    actions = [(r["action"], r["target"]) for r in audit_rows(app, "egress.")]
    assert actions == [("egress.add", "10.0.0.0/8"), ("egress.add", "*.corp.example"),
                       ("egress.remove", "10.0.0.0/8"),
                       ("egress.settings", "egress.allow_link_local")]


def test_metadata_address_is_refused_everywhere(app: Flask, boss: SessionClient) -> None:
    tc = app.extensions["toolcrib"]
    meta = {"cfg-host": "169.254.169.254", "cfg-port": "80", "name": "meta"}
    answer = boss.post(f"{BASE}/new?kind=mysql", headers=JSON,
                       data={**mysql_form(**meta), "action": "test"}).get_json()
    assert answer["kind"] == "egress_refused"
    assert answer["message"] == ("this server may not connect to 169.254.169.254: cloud metadata "
                                 "addresses are refused; an admin can allow it under Data "
                                 "sources → Egress")
    saved = boss.post(f"{BASE}/new?kind=mysql", data={**mysql_form(**meta), "action": "save"})
    assert saved.status_code == 403 and "cloud metadata addresses are refused" in saved.get_data(
        as_text=True)
    with pytest.raises(admin.DataSourceAdminError, match="cloud metadata"):
        list(admin.add_datasource(tc, "meta", "mysql://u:p@169.254.169.254:80/x", test=False))
    for host in ("metadata.google.internal", "169.254.10.20", "[::ffff:169.254.169.254]"):
        refused = boss.post(f"{BASE}/new?kind=mysql", headers=JSON, data={
            **mysql_form(**{**meta, "cfg-host": host}), "action": "test"}).get_json()
        assert refused["kind"] == "egress_refused", (host, refused)

    # Saved behind the guard's back (an old record): running a query is refused (403).
    admin.save(tc, "meta", "mysql", {"host": "169.254.169.254", "port": 80, "database": "x"},
               False, new=True)
    publish_app(app, "meta-app", "meta")
    run = app.test_client().post("/api/apps/meta-app/queries/one/run", json={"state": {}},
                                 headers=bearer(token_for(app, "dev", "developer")))
    assert run.status_code == 403 and run.get_json()["error"]["code"] == "egress_refused"
    assert "cloud metadata" in run.get_json()["error"]["message"]

    # Listed exactly, it passes the guard (and then simply fails to connect here).
    boss.post(f"{BASE}/egress", data={"pattern": "169.254.169.254"})
    with tc.store.session() as session:
        egress.load_policy(session).check("169.254.169.254", 80)


def test_a_non_empty_list_allows_only_what_it_lists(app: Flask, boss: SessionClient) -> None:
    boss.post(f"{BASE}/egress", data={"pattern": "db.example.com"})
    refused = boss.post(f"{BASE}/new?kind=mysql", headers=JSON, data={
        **mysql_form(**{"cfg-host": "127.0.0.1", "cfg-port": "1"}), "action": "test"}).get_json()
    assert refused["kind"] == "egress_refused"
    assert "127.0.0.1: it is not on the egress list" in refused["message"]
    boss.post(f"{BASE}/egress", data={"pattern": "127.0.0.0/8"})
    allowed = boss.post(f"{BASE}/new?kind=mysql", headers=JSON, data={
        **mysql_form(**{"cfg-host": "127.0.0.1", "cfg-port": "1"}), "action": "test"}).get_json()
    assert allowed["kind"] == "connection_refused"


def test_egress_policy_rules() -> None:
    empty = egress.EgressPolicy()
    assert empty.check("127.0.0.1", 5432)
    with pytest.raises(ConnectionFailure, match="link-local"):
        empty.check("169.254.1.1")
    with pytest.raises(ConnectionFailure, match="cloud metadata"):
        empty.check("2852039166")  # 169.254.169.254 written as a number
    with pytest.raises(ConnectionFailure, match="cloud metadata"):
        empty.check("100.100.100.200")
    with pytest.raises(ConnectionFailure) as unknown:
        empty.check("no-such-host.invalid")
    assert unknown.value.kind == "unknown_host"

    link_local_on = egress.EgressPolicy(allow_link_local=True)
    assert link_local_on.check("169.254.1.1")
    with pytest.raises(ConnectionFailure, match="cloud metadata"):
        link_local_on.check("169.254.169.254")
    broad = egress.EgressPolicy(rules=(egress.parse_rule("0.0.0.0/0"),))
    with pytest.raises(ConnectionFailure, match="cloud metadata"):
        broad.check("169.254.169.254")  # a broad network is not an explicit listing
    with pytest.raises(ConnectionFailure, match="link-local"):
        broad.check("169.254.1.1")
    listed = egress.EgressPolicy(rules=(egress.parse_rule("169.254.1.0/24"),
                                        egress.parse_rule("*.example.com")))
    assert listed.check("169.254.1.9")
    assert listed.check_address("db.example.com", egress.ipaddress.ip_address("8.8.8.8")) is None
    with pytest.raises(ConnectionFailure, match="not on the egress list"):
        listed.check_address("example.com", egress.ipaddress.ip_address("8.8.8.8"))
    with pytest.raises(ValueError):
        egress.parse_rule("*")


def test_classifies_a_pg_hba_refusal() -> None:
    """Messages a cloud PostgreSQL answers (the local servers cannot play all of them)."""
    rds = ('connection to server at "db.x.rds.amazonaws.com" (10.0.0.5), port 5432 failed: '
           'FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "app", database "shop", '
           "no encryption")
    assert pg_failure_kind(rds)[0] == "tls_required"  # type: ignore[index]
    both = rds + ('\nconnection to server ... failed: FATAL: no pg_hba.conf entry for host '
                  '"10.0.0.9", user "app", database "shop", SSL encryption')
    assert pg_failure_kind(both)[0] == "not_allowed"  # type: ignore[index]
    azure = "FATAL: SSL connection is required. Please specify SSL options and retry."
    assert pg_failure_kind(azure)[0] == "tls_required"  # type: ignore[index]


# --- a lost secret key --------------------------------------------------------------------------


def test_a_lost_key_is_a_clear_state_not_a_crash(app: Flask, boss: SessionClient,
                                                 tmp_path: Path) -> None:
    add_shop(boss)
    publish_app(app, "orders", "shop")
    instance = app.extensions["toolcrib"].settings.instance_path
    lost = create_app({"instance_path": instance, "secret_key": "a-different-key",
                       "database_url": f"sqlite:///{instance / 'toolcrib.db'}"})
    try:
        ensure_user(lost, "boss2", "admin", "password-123")
        client = SessionClient(lost, "boss2", "password-123")
        listing = client.get(BASE)
        assert listing.status_code == 200 and "cannot decrypt" in listing.get_data(as_text=True)
        edit = client.get(f"{BASE}/shop/edit")
        html = edit.get_data(as_text=True)
        assert edit.status_code == 200 and "cannot be decrypted" in html
        tested = client.post(f"{BASE}/shop/edit", headers=JSON, data={
            **mysql_form(**{"cfg-password": "", "cfg-host": "127.0.0.1", "cfg-port": "1"}),
            "action": "test"})
        assert tested.status_code == 200 and tested.get_json()["ok"] is False

        run = lost.test_client().post("/api/apps/orders/queries/one/run", json={"state": {}},
                                      headers=bearer(token_for(lost, "dev", "developer")))
        assert run.status_code == 500 and run.get_json()["error"]["code"] == "secret_key"
        with pytest.raises(admin.DataSourceAdminError, match="cannot be decrypted"):
            admin.test_datasource(lost.extensions["toolcrib"], "shop")
        assert admin.describe_all(lost.extensions["toolcrib"])[0][2].startswith(
            "— stored settings cannot be decrypted")

        # Entering the settings again replaces them under the new key.
        saved = client.post(f"{BASE}/shop/edit", data={
            **mysql_form(**{"cfg-password": OTHER_SECRET}), "action": "save"})
        assert saved.status_code == 302
        stored = admin.load(lost.extensions["toolcrib"], "shop")
        assert stored.config is not None and stored.config["password"] == OTHER_SECRET
        update = audit_rows(lost, "datasource.update")[-1]
        assert update["before"]["config"] == "(cannot be decrypted)"
    finally:
        lost.extensions["toolcrib"].close()
