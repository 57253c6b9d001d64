"""The editor's JSON API: who may use it, saving with conflicts and validation, history, diff,
rollback, publish, ad-hoc and preview runs, data sources. On the demo (shop data source, admin and
ops users); each test creates its own apps so the bundled ones stay as they are."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from builder.cli import main as cli_main
from builder.store.policy_models import AuditEvent
from tests.auth_helpers import (
    DEMO_ADMIN_PASSWORD,
    DEMO_OPERATOR_PASSWORD,
    SessionClient,
    bearer,
    ensure_user,
    token_for,
)
from tests.conftest import Demo

API = "/api/editor"
_counter = itertools.count(1)

APP_WITH_QUERY = """\
format: 1
app: {slug}
title: Orders
pages:
  - name: main
    widgets:
      - {{name: ordersTable, type: table, at: [0, 0, 8, 8], data: <<getOrders.data>>}}
      - {{name: idInput, type: input, at: [8, 0, 4, 1], label: Id}}
queries:
  getOrders:
    datasource: shop
    sql: SELECT id, status FROM orders WHERE id <= <<idInput.value>> ORDER BY id
"""


def new_slug(prefix: str = "ed") -> str:
    return f"{prefix}-{next(_counter)}-{id(object()) % 10_000}"


@pytest.fixture(scope="module")
def admin(demo: Demo) -> SessionClient:
    return SessionClient(demo.app, "admin", DEMO_ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def ops(demo: Demo) -> SessionClient:
    return SessionClient(demo.app, "ops", DEMO_OPERATOR_PASSWORD)


@pytest.fixture(scope="module")
def dev(demo: Demo) -> SessionClient:
    ensure_user(demo.app, "dev-editor", "developer", "dev-editor-pass")
    return SessionClient(demo.app, "dev-editor", "dev-editor-pass")


def create(client: SessionClient, slug: str | None = None, title: str = "Test app") -> dict:
    response = client.post(f"{API}/apps", json={"slug": slug or new_slug(), "title": title})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def save(client: SessionClient, slug: str, source: str, based_on: int | None) -> Any:
    return client.post(f"{API}/apps/{slug}/versions",
                       json={"source": source, "based_on": based_on})


def audit_events(demo: Demo, action: str, target: str) -> list[dict[str, Any]]:
    with demo.toolcrib.store.session() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.kind == "admin")).all()
        details = [json.loads(r.detail) | {"actor": r.actor} for r in rows]
    return [d for d in details if d.get("action") == action and d.get("target") == target]


# --- who may use it --------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/apps", None),
    ("post", "/apps", {"slug": "nope", "title": "x"}),
    ("get", "/apps/order-shipping", None),
    ("post", "/apps/order-shipping/check", {"source": "format: 1"}),
    ("post", "/apps/order-shipping/versions", {"source": "format: 1", "based_on": 1}),
    ("get", "/apps/order-shipping/versions", None),
    ("get", "/apps/order-shipping/versions/1", None),
    ("get", "/apps/order-shipping/diff?from=1&to=1", None),
    ("post", "/apps/order-shipping/rollback", {"version": 1}),
    ("post", "/apps/order-shipping/publish", {}),
    ("get", "/datasources", None),
    ("get", "/datasources/shop/schema", None),
    ("post", "/run", {"query": {"datasource": "shop", "sql": "SELECT 1"}, "state": {}}),
    ("post", "/apps/order-shipping/preview/queries/getOrders/run", {"state": {}, "draft": ""}),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_operators_get_403_everywhere(ops: SessionClient, method: str, path: str,
                                      body: Any) -> None:
    response = getattr(ops, method)(API + path, **({"json": body} if body is not None else {}))
    assert response.status_code == 403, (path, response.get_json())
    assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS[:3])
def test_signed_out_gets_401(demo: Demo, method: str, path: str, body: Any) -> None:
    client = demo.app.test_client()
    response = getattr(client, method)(API + path, **({"json": body} if body else {}))
    assert response.status_code in (400, 401)  # a POST without a session also lacks CSRF


def test_operator_api_token_gets_403(demo: Demo) -> None:
    headers = bearer(token_for(demo.app, "ops"))
    client = demo.app.test_client()
    assert client.get(f"{API}/apps", headers=headers).status_code == 403
    response = client.post(f"{API}/run", headers=headers, json={
        "query": {"datasource": "shop", "sql": "SELECT 1"}, "state": {}})
    assert response.status_code == 403


def test_post_without_csrf_token_is_refused(demo: Demo, admin: SessionClient) -> None:
    response = admin.client.post(f"{API}/apps", json={"slug": new_slug(), "title": "x"})
    assert response.status_code == 400


def test_developers_and_admins_may_use_it(admin: SessionClient, dev: SessionClient) -> None:
    for client in (admin, dev):
        response = client.get(f"{API}/apps")
        assert response.status_code == 200
        assert "order-shipping" in {a["slug"] for a in response.get_json()["apps"]}


# --- create, load, save ----------------------------------------------------------------------

def test_create_an_empty_app_owned_by_its_creator(demo: Demo, dev: SessionClient) -> None:
    slug = new_slug()
    body = create(dev, slug, "发货 \"test\": #1")
    assert body["version"] == 1 and body["slug"] == slug
    assert body["owner"] == "dev-editor" and body["can_publish"] is True
    assert body["doc"]["title"] == "发货 \"test\": #1"
    assert body["doc"]["pages"] == [{"name": "main", "widgets": []}]
    loaded = dev.get(f"{API}/apps/{slug}").get_json()
    assert loaded["source"] == body["source"] and loaded["version"] == 1
    assert audit_events(demo, "app.create", slug)[0]["actor"] == "dev-editor"


@pytest.mark.parametrize(("slug", "status", "code"), [
    ("Bad Slug", 400, "bad_slug"), ("-x", 400, "bad_slug"), ("order-shipping", 409, "exists")])
def test_create_refuses_bad_or_taken_slugs(admin: SessionClient, slug: str, status: int,
                                           code: str) -> None:
    response = admin.post(f"{API}/apps", json={"slug": slug, "title": "x"})
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_unknown_app_is_404(admin: SessionClient) -> None:
    response = admin.get(f"{API}/apps/no-such-app")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_save_stores_a_new_version_based_on_the_loaded_one(demo: Demo,
                                                           admin: SessionClient) -> None:
    slug = new_slug()
    create(admin, slug)
    source = APP_WITH_QUERY.format(slug=slug)
    response = save(admin, slug, source, 1)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["number"], body["based_on"], body["created_by"]) == (2, 1, "admin")
    loaded = admin.get(f"{API}/apps/{slug}").get_json()
    assert loaded["source"] == source and loaded["version"] == 2
    assert loaded["doc"]["queries"]["getOrders"]["datasource"] == "shop"
    # The same text again stores nothing.
    again = save(admin, slug, source, 2)
    assert again.status_code == 200 and again.get_json() == {**body, "created": False}
    events = audit_events(demo, "app.save", slug)
    assert [e["after"] for e in events] == [{"version": 2}]


def test_invalid_save_answers_problems_with_line_and_col_and_stores_nothing(
        admin: SessionClient) -> None:
    slug = new_slug()
    create(admin, slug)
    broken = APP_WITH_QUERY.format(slug=slug).replace("type: table", "type: tabel").replace(
        "datasource: shop", "datasource: nowhere")
    response = save(admin, slug, broken, 1)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["code"] == "invalid_app"
    problems = {p["path"]: p for p in body["problems"]}
    assert problems["pages[0].widgets[0].type"]["line"] == 7
    assert problems["pages[0].widgets[0].type"]["col"] > 1
    assert "did you mean 'table'" in problems["pages[0].widgets[0].type"]["message"]
    assert problems["queries.getOrders.datasource"]["line"] == 11
    assert all(p["file"] == f"{slug.replace('-', '_')}.yaml" for p in body["problems"])
    assert admin.get(f"{API}/apps/{slug}/versions").get_json()["versions"][0]["number"] == 1


def test_yaml_syntax_errors_are_problems_too(admin: SessionClient) -> None:
    slug = new_slug()
    create(admin, slug)
    response = admin.post(f"{API}/apps/{slug}/check", json={"source": "format: 1\napp: [x\n"})
    problems = response.get_json()["problems"]
    assert response.status_code == 200 and problems
    assert problems[0]["line"] >= 2


def test_the_slug_cannot_change_through_a_save(admin: SessionClient) -> None:
    slug = new_slug()
    create(admin, slug)
    response = save(admin, slug, APP_WITH_QUERY.format(slug="other-slug"), 1)
    assert response.status_code == 400
    problem = response.get_json()["problems"][0]
    assert problem["path"] == "app" and problem["line"] == 2


def test_a_stale_save_from_a_second_tab_is_409_never_an_overwrite(
        demo: Demo, admin: SessionClient, dev: SessionClient) -> None:
    slug = new_slug()
    create(admin, slug)
    tab_a = admin.get(f"{API}/apps/{slug}").get_json()
    tab_b = dev.get(f"{API}/apps/{slug}").get_json()
    assert tab_a["version"] == tab_b["version"] == 1
    first = APP_WITH_QUERY.format(slug=slug)
    assert save(admin, slug, first, tab_a["version"]).status_code == 201
    mine = first.replace("title: Orders", "title: Mine")
    conflict = save(dev, slug, mine, tab_b["version"])
    assert conflict.status_code == 409
    body = conflict.get_json()
    assert body["error"]["code"] == "stale_version"
    assert body["newest"]["number"] == 2 and body["newest"]["created_by"] == "admin"
    assert "version 2 by admin" in body["error"]["message"]
    assert admin.get(f"{API}/apps/{slug}").get_json()["source"] == first
    # "Keep mine": save the same text on top of the newest version.
    kept = save(dev, slug, mine, body["newest"]["number"])
    assert kept.status_code == 201 and kept.get_json()["based_on"] == 2
    assert admin.get(f"{API}/apps/{slug}").get_json()["title"] == "Mine"


@pytest.mark.parametrize("based_on", [None, "1", True])
def test_save_needs_a_version_number(admin: SessionClient, based_on: Any) -> None:
    slug = new_slug()
    create(admin, slug)
    response = save(admin, slug, APP_WITH_QUERY.format(slug=slug), based_on)
    assert response.status_code in (400, 409)


def test_save_needs_json(admin: SessionClient) -> None:
    slug = new_slug()
    create(admin, slug)
    response = admin.post(f"{API}/apps/{slug}/versions", data="source=x")
    assert response.status_code == 415


# --- history, diff, rollback, publish --------------------------------------------------------

def test_history_diff_and_rollback(demo: Demo, admin: SessionClient) -> None:
    slug = new_slug()
    empty = create(admin, slug)["source"]
    v2 = APP_WITH_QUERY.format(slug=slug)
    save(admin, slug, v2, 1)
    v3 = v2.replace("title: Orders", "title: Orders v3")
    save(admin, slug, v3, 2)
    history = admin.get(f"{API}/apps/{slug}/versions").get_json()["versions"]
    assert [(v["number"], v["based_on"], v["created_by"]) for v in history] == [
        (3, 2, "admin"), (2, 1, "admin"), (1, None, "admin")]
    assert all(v["created_at"].endswith("Z") for v in history)

    diff = admin.get(f"{API}/apps/{slug}/diff?from=2&to=3").get_json()["diff"]
    assert "-title: Orders\n" in diff and "+title: Orders v3\n" in diff
    assert diff.startswith(f"--- {slug.replace('-', '_')}.yaml (version 2)")
    assert admin.get(f"{API}/apps/{slug}/diff?from=3&to=3").get_json()["diff"] == ""
    assert admin.get(f"{API}/apps/{slug}/diff?from=1&to=9").status_code == 404
    assert admin.get(f"{API}/apps/{slug}/diff").status_code == 400

    old = admin.get(f"{API}/apps/{slug}/versions/1").get_json()
    assert old["source"] == empty
    response = admin.post(f"{API}/apps/{slug}/rollback", json={"version": 1, "based_on": 3})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["number"] == 4 and response.get_json()["restored"] == 1
    assert admin.get(f"{API}/apps/{slug}").get_json()["source"] == empty
    assert audit_events(demo, "app.rollback", slug)[0]["after"] == {"version": 4, "text_of": 1}
    # A rollback from a stale tab is a conflict too; to the newest text, nothing to do.
    stale = admin.post(f"{API}/apps/{slug}/rollback", json={"version": 2, "based_on": 3})
    assert stale.status_code == 409
    same = admin.post(f"{API}/apps/{slug}/rollback", json={"version": 1})
    assert same.status_code == 400 and same.get_json()["error"]["code"] == "unchanged"


def test_publish_serves_the_version_to_the_runtime(demo: Demo, admin: SessionClient) -> None:
    slug = new_slug()
    create(admin, slug)
    save(admin, slug, APP_WITH_QUERY.format(slug=slug), 1)
    assert admin.get(f"/apps/{slug}").status_code == 404
    response = admin.post(f"{API}/apps/{slug}/publish", json={"version": 2})
    assert response.status_code == 200
    assert response.get_json()["published"] is True
    page = admin.get(f"/apps/{slug}")
    assert page.status_code == 200 and "ordersTable" in page.get_data(as_text=True)
    listed = {a["slug"]: a for a in admin.get(f"{API}/apps").get_json()["apps"]}
    assert listed[slug]["published_version"] == 2 and listed[slug]["version"] == 2
    assert audit_events(demo, "app.publish", slug)[0]["after"] == {"published": 2}
    assert admin.post(f"{API}/apps/{slug}/publish", json={"version": 7}).status_code == 404


def test_only_admins_and_the_owner_publish(admin: SessionClient, dev: SessionClient) -> None:
    theirs = new_slug()
    create(admin, theirs)
    response = dev.post(f"{API}/apps/{theirs}/publish", json={})
    assert response.status_code == 403
    mine = new_slug()
    create(dev, mine)
    assert dev.post(f"{API}/apps/{mine}/publish", json={}).status_code == 200
    assert admin.post(f"{API}/apps/{mine}/publish", json={}).status_code == 200


def test_what_the_editor_saves_passes_toolcrib_validate(
        admin: SessionClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    slug = new_slug()
    create(admin, slug)
    save(admin, slug, APP_WITH_QUERY.format(slug=slug), 1)
    path = tmp_path / "app.yaml"
    path.write_text(admin.get(f"{API}/apps/{slug}").get_json()["source"], encoding="utf-8")
    assert cli_main(["validate", str(path), "--datasource", "shop"]) == 0
    assert capsys.readouterr().out == ""


# --- data sources and runs -------------------------------------------------------------------

def test_datasources_show_names_and_kinds_only(admin: SessionClient) -> None:
    body = admin.get(f"{API}/datasources").get_json()
    shop = next(d for d in body["datasources"] if d["name"] == "shop")
    assert shop == {"name": "shop", "kind": "sqlite", "read_only": False}
    assert "sqlite:" not in json.dumps(body)


def test_schema_browser_lists_tables_and_columns(admin: SessionClient) -> None:
    body = admin.get(f"{API}/datasources/shop/schema").get_json()
    tables = {t["name"]: t for t in body["tables"]}
    columns = {c["name"] for c in tables["orders"]["columns"]}
    assert {"id", "status", "address", "shipping_company"} <= columns
    assert admin.get(f"{API}/datasources/nowhere/schema").status_code == 404


def run(client: SessionClient, sql: str, state: dict[str, Any] | None = None,
        **query: Any) -> Any:
    return client.post(f"{API}/run", json={
        "query": {"datasource": "shop", "sql": sql, **query}, "state": state or {},
        "app": "scratch", "name": "tryIt"})


def test_adhoc_run_binds_the_editor_state(demo: Demo, dev: SessionClient) -> None:
    response = run(dev, "SELECT id, status FROM orders WHERE id <= <<idInput.value>> "
                        "ORDER BY id", {"idInput": {"value": 3}, "other": {"value": "x"}})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [r["id"] for r in body["rows"]] == [1, 2, 3]
    assert body["columns"] == ["id", "status"] and body["duration_ms"] >= 0
    with demo.toolcrib.store.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.query_name == "tryIt")
                                .order_by(AuditEvent.id.desc())).first()
        assert event is not None and event.actor == "dev-editor" and event.outcome == "ok"
        detail = json.loads(event.detail)
    assert detail["adhoc"] is True and "orders WHERE id <=" in detail["query"]
    assert detail["values"] == {"idInput.value": 3}


def test_adhoc_run_is_capped_and_reports_affected_rows(dev: SessionClient) -> None:
    many = run(dev, "SELECT id FROM orders").get_json()
    assert len(many["rows"]) == 200 and many["truncated"] is True
    update = run(dev, "UPDATE orders SET quantity = quantity WHERE id < 0").get_json()
    assert update["rowcount"] == 0 and update["rows"] == []


def test_adhoc_run_shows_the_database_error(dev: SessionClient) -> None:
    response = run(dev, "SELECT nope FROM orders")
    assert response.status_code == 502
    error = response.get_json()["error"]
    assert error["code"] == "query_failed" and "nope" in error["message"]


@pytest.mark.parametrize(("query", "state", "needle"), [
    ({"sql": "SELECT <<idInput.value>>"}, {}, "idInput.value>> has no value"),
    ({"sql": "SELECT <<idInput.value"}, {}, "binding syntax error"),
    ({"sql": "SELECT 1", "datasource": ""}, {}, "pick a data source"),
    ({"sql": "SELECT 1", "datasource": "nowhere"}, {}, "no data source 'nowhere'"),
    ({"sql": "SELECT <<t.selectedRow>>"}, {"t": {"selectedRow": {"id": 1}}}, "SQL parameters"),
    ({"sql": "SELECT 1", "expectRows": "x"}, {}, "not valid at expectRows"),
])
def test_adhoc_run_explains_bad_input(dev: SessionClient, query: dict[str, Any],
                                      state: dict[str, Any], needle: str) -> None:
    response = dev.post(f"{API}/run", json={"query": {"datasource": "shop", **query},
                                            "state": state})
    assert response.status_code == 400, response.get_json()
    assert needle in response.get_json()["error"]["message"]


def test_adhoc_server_names_come_from_the_server(dev: SessionClient) -> None:
    response = run(dev, "SELECT <<current_user.email>> AS email, <<current_user.id>> AS who",
                   {"current_user": {"email": "forged@x", "id": 0}})
    row = response.get_json()["rows"][0]
    assert row["email"] != "forged@x" and row["who"] != 0


def test_preview_runs_a_named_query_of_the_draft(dev: SessionClient) -> None:
    slug = new_slug()
    create(dev, slug)
    draft = APP_WITH_QUERY.format(slug=slug)
    url = f"{API}/apps/{slug}/preview/queries/getOrders/run"
    response = dev.post(url, json={"state": {"idInput": {"value": 2}}, "draft": draft,
                                   "page": {"size": 5, "number": 1}})
    assert response.status_code == 200, response.get_json()
    assert [r["id"] for r in response.get_json()["rows"]] == [1, 2]
    broken = dev.post(url, json={"state": {}, "draft": draft.replace("table", "tabel")})
    assert broken.status_code == 400 and "problems" in broken.get_json()["error"]["message"]
    missing = dev.post(url.replace("getOrders", "nope"), json={"state": {}, "draft": draft})
    assert missing.status_code == 404


def test_preview_run_audit_masks_what_a_password_input_holds(demo: Demo,
                                                            dev: SessionClient) -> None:
    slug = new_slug()
    create(dev, slug)
    draft = APP_WITH_QUERY.format(slug=slug).replace(
        "label: Id}", "label: Id, inputType: password}")
    response = dev.post(f"{API}/apps/{slug}/preview/queries/getOrders/run",
                        json={"state": {"idInput": {"value": 2}}, "draft": draft})
    assert response.status_code == 200, response.get_json()
    with demo.toolcrib.store.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.app_slug == slug)
                                .order_by(AuditEvent.id.desc())).first()
        assert event is not None and event.outcome == "ok"
        detail = json.loads(event.detail)
    assert detail["preview"] is True and detail["values"] == {"idInput.value": "•••"}


def test_preview_refuses_to_run_an_import_query_without_its_file(dev: SessionClient) -> None:
    slug = new_slug()
    create(dev, slug)
    draft = (Path(__file__).parent.parent / "apps" / "order_import.yaml").read_text(
        encoding="utf-8").replace("app: order-import", f"app: {slug}", 1)
    response = dev.post(f"{API}/apps/{slug}/preview/queries/importOrders/run",
                        json={"state": {}, "draft": draft})
    assert response.status_code == 400, response.get_json()
    assert "imports a file" in response.get_json()["error"]["message"]


def test_what_the_editor_saves_exports_byte_for_byte_and_imports_as_unchanged(
        demo: Demo, admin: SessionClient, tmp_path: Path) -> None:
    from builder.app_files import export_directory, import_directory

    slug = new_slug("rt")
    create(admin, slug)
    source = "# kept: comments and layout are the author's\n" + APP_WITH_QUERY.format(slug=slug)
    assert save(admin, slug, source, 1).status_code == 201
    written = {p.name: p for p in export_directory(demo.toolcrib, tmp_path)}
    exported = written[f"{slug.replace('-', '_')}.yaml"].read_text(encoding="utf-8")
    assert exported == source
    messages = list(import_directory(demo.toolcrib, tmp_path, publish=False))
    assert f"{slug}: unchanged (version 2)" in messages
