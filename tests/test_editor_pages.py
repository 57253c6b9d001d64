"""The editor's pages: who may open them, the app list and its "New app" form, the editor page's
configuration, and the live preview of a draft (framed by the editor, nowhere else)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.auth_helpers import DEMO_ADMIN_PASSWORD, DEMO_OPERATOR_PASSWORD, SessionClient
from tests.conftest import Demo

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def admin(demo: Demo) -> SessionClient:
    return SessionClient(demo.app, "admin", DEMO_ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def ops(demo: Demo) -> SessionClient:
    return SessionClient(demo.app, "ops", DEMO_OPERATOR_PASSWORD)


def config_of(html: str) -> dict:
    match = re.search(r'<script id="ed-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no editor configuration on the page"
    return json.loads(match.group(1))


def test_operators_cannot_open_the_editor(ops: SessionClient) -> None:
    assert ops.get("/editor/").status_code == 403
    assert ops.get("/editor/apps/order-shipping").status_code == 403
    assert ops.post("/editor/", data={"slug": "x", "title": "x"}).status_code == 403
    response = ops.post("/editor/apps/order-shipping/preview", data={"draft": "format: 1"})
    assert response.status_code == 403
    assert "Editor" not in ops.get("/").get_data(as_text=True)


def test_signed_out_people_are_sent_to_sign_in(demo: Demo) -> None:
    response = demo.app.test_client().get("/editor/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_list_shows_apps_and_the_nav_links_it(admin: SessionClient) -> None:
    html = admin.get("/editor/").get_data(as_text=True)
    assert 'data-slug="order-shipping"' in html
    assert 'href="/editor/"' in admin.get("/").get_data(as_text=True)


def test_the_new_app_form_creates_and_opens_the_app(admin: SessionClient) -> None:
    response = admin.post("/editor/", data={"slug": "from-the-form", "title": "From the form"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/editor/apps/from-the-form")
    again = admin.post("/editor/", data={"slug": "from-the-form", "title": "Again"})
    assert again.status_code == 409 and "already exists" in again.get_data(as_text=True)
    bad = admin.post("/editor/", data={"slug": "No Good", "title": "x"})
    assert bad.status_code == 400 and "lowercase letters" in bad.get_data(as_text=True)


def test_the_editor_page_carries_its_configuration(admin: SessionClient) -> None:
    response = admin.get("/editor/apps/order-shipping")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    config = config_of(html)
    assert config["slug"] == "order-shipping"
    assert config["urls"]["app"] == "/api/editor/apps/order-shipping"
    table = config["widgets"]["table"]
    # The panel lists properties in the order the widget type declares them.
    assert list(table["properties"])[:3] == ["data", "columns", "pageSize"]
    assert table["defaultSize"] == [8, 8] and "selectedRow" in table["state"]
    assert config["user"]["roles"] == ["admin"]
    for name in ("gridstack/gridstack-all.js", "codemirror6/cm6-sql.min.js", "yaml/yaml.min.js",
                 "editor/main.js", "runtime/scope.js"):
        assert name in html
    assert admin.get("/editor/apps/no-such-app").status_code == 404


def test_every_editor_script_the_page_loads_exists_and_is_small(admin: SessionClient) -> None:
    html = admin.get("/editor/apps/order-shipping").get_data(as_text=True)
    scripts = re.findall(r'src="/static/(editor/[a-z]+\.js)"', html)
    assert len(scripts) >= 15
    for script in scripts:
        lines = (ROOT / "static" / script).read_text(encoding="utf-8").count("\n")
        assert lines < 400, f"{script} has {lines} lines"
    assert sorted(scripts) == sorted(f"editor/{p.name}" for p in (ROOT / "static" / "editor")
                                     .glob("*.js"))


def test_the_editors_action_verbs_and_reserved_names_are_the_validators() -> None:
    """static/editor keeps its own lists (the pure model is tested in Node without the page's
    configuration): an action kind or reserved word added to the schema must show up there."""
    from builder.appspec.scan import RESERVED_NAMES
    from builder.appspec.schema import ACTION_KEYS

    events = (ROOT / "static" / "editor" / "events.js").read_text(encoding="utf-8")
    verbs = re.search(r"var VERBS = \[(.*?)\];", events, re.S)
    assert verbs and sorted(re.findall(r'verb: "(\w+)"', verbs.group(1))) == sorted(ACTION_KEYS)
    model = (ROOT / "static" / "editor" / "model.js").read_text(encoding="utf-8")
    reserved = re.search(r"var RESERVED = \[(.*?)\];", model)
    assert reserved and sorted(re.findall(r'"(\w+)"', reserved.group(1))) == sorted(RESERVED_NAMES)


DRAFT = """\
format: 1
app: order-shipping
title: Draft title
pages:
  - name: main
    widgets:
      - {name: t, type: text, at: [0, 0, 4, 1], text: <<getOrders.data.length>>}
queries:
  getOrders:
    datasource: shop
    sql: SELECT id FROM orders
"""


def test_the_preview_renders_the_runtime_with_the_draft(admin: SessionClient) -> None:
    response = admin.post("/editor/apps/order-shipping/preview",
                          data={"draft": DRAFT, "version": "3"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    app = json.loads(re.search(r'<script id="toolcrib-app" type="application/json">(.*?)</script>',
                               html, re.S).group(1))
    assert app["title"] == "Draft title" and app["version"] == "3+"
    assert app["runUrl"] == "/api/editor/apps/order-shipping/preview/queries/{name}/run"
    assert app["runExtra"] == {"draft": DRAFT}
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    # Everything else still refuses to be framed.
    assert admin.get("/editor/apps/order-shipping").headers["X-Frame-Options"] == "DENY"


def test_a_draft_with_problems_previews_as_the_list_of_problems(admin: SessionClient) -> None:
    response = admin.post("/editor/apps/order-shipping/preview",
                          data={"draft": DRAFT.replace("type: text", "type: txt")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "cannot be previewed" in html and "did you mean" in html


def test_the_preview_needs_the_csrf_token(demo: Demo, admin: SessionClient) -> None:
    response = admin.client.post("/editor/apps/order-shipping/preview", data={"draft": DRAFT})
    assert response.status_code == 400
