"""The authorization matrix: every route of the app, every kind of caller, the expected answer.

The routes come from ``app.url_map``, so a new route cannot be forgotten: it must be listed in
ROUTES below, or belong to an admin-only blueprint (``admin_*``), whose every route is then checked
to refuse everyone but admins. Anything else fails ``test_every_route_is_in_the_matrix``.

Callers: anonymous, an operator granted the flagship app, an operator without it, a developer, an
admin, a user disabled after signing in, a revoked API token, and the first operator's valid API
token. Session callers send their CSRF token, so what is checked is authorization, not CSRF.

Besides the route table: an operator cannot run a query of an app they were not granted, a query
of another app, an unknown query, a query that exists only in an unpublished draft, or smuggle
values for names the server fills (``current_user``) or the query does not read; and an operator's
run executes the published SQL even when a newer draft says something else.

Everything runs on this module's own small demo instance (each xdist worker builds its own).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text
from werkzeug.routing import Rule

from builder.security import grants as access
from builder.security import users as people
from builder.security.tokens import create_token, revoke_token
from builder.store import apps as app_records
from builder.store.models import AppRecord
from builder.store.people_models import ApiToken, AppGrant, Group, GroupMember, User
from builder.store.policy_models import AuditEvent
from tests.auth_helpers import DEMO_ADMIN_PASSWORD, DEMO_OPERATOR_PASSWORD, bearer, ensure_user
from tests.conftest import make_demo_app

FLAGSHIP = "order-shipping"
OTHER = "other-shop"
PASSWORD = "password-123"
PAGE = {"state": {}, "page": {"size": 5, "number": 1}}

# --- callers -------------------------------------------------------------------------------------

ANON, OP, OP_NO_APP, DEV, ADMIN, DISABLED, REVOKED, TOKEN = (
    "anonymous", "operator with the app", "operator without the app", "developer", "admin",
    "disabled user", "revoked token", "operator's token")
PRINCIPALS = (ANON, OP, OP_NO_APP, DEV, ADMIN, DISABLED, REVOKED, TOKEN)
SIGNED_OUT = (ANON, DISABLED, REVOKED)


class Caller:
    """A test client acting as one principal: its session cookie or bearer token, its CSRF token."""

    def __init__(self, app: Flask, *, login: str | None = None, password: str | None = None,
                 token: str | None = None) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.headers: dict[str, str] = bearer(token) if token else {}
        self.csrf = ""
        if login is not None:
            csrf = _csrf_of(self.client.get("/login"))
            answer = self.client.post("/login", data={"login": login, "password": password,
                                                      "csrf_token": csrf})
            assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
            self.csrf = _csrf_of(self.client.get("/account/tokens"))
        elif token is None:
            self.csrf = _csrf_of(self.client.get("/login"))

    def clone(self) -> Caller:
        """The same principal in a new client (for routes that change the session)."""
        twin = object.__new__(Caller)
        twin.app, twin.headers, twin.csrf = self.app, dict(self.headers), self.csrf
        twin.client = self.app.test_client()
        cookie = self.client.get_cookie("session")
        if cookie is not None:
            twin.client.set_cookie("session", cookie.value)
        return twin

    def send(self, method: str, url: str, *, data: dict[str, str] | None = None,
             json_body: Any = None) -> Any:
        headers = {**self.headers, **({"X-CSRFToken": self.csrf} if self.csrf else {})}
        response = self.client.open(url, method=method, data=data, json=json_body,
                                    headers=headers)
        response.get_data()  # read streamed bodies (CSV exports) to the end, then let go
        response.close()
        return response


def _csrf_of(response: Any) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:300]
    return match.group(1)


# --- the instance --------------------------------------------------------------------------------


@dataclass
class World:
    app: Flask
    shop_url: str
    callers: dict[str, Caller]
    ids: dict[str, int] = field(default_factory=dict)

    def shop(self, sql: str, **params: Any) -> list[Any]:
        engine = create_engine(self.shop_url)
        try:
            with engine.begin() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()

    def admin_changes(self) -> int:
        with self.app.extensions["toolcrib"].store.session() as session:
            return session.scalar(select(func.count(AuditEvent.id)).where(
                AuditEvent.kind == "admin")) or 0

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything an admin, owner or account route can change (not sign-in/use times)."""
        with self.app.extensions["toolcrib"].store.session() as session:
            return (
                session.execute(select(User.id, User.username, User.email, User.role,
                                       User.disabled, User.session_epoch, User.password_hash)
                                .order_by(User.id)).all(),
                session.execute(select(Group.id, Group.name).order_by(Group.id)).all(),
                session.execute(select(GroupMember.group_id, GroupMember.user_id)
                                .order_by(GroupMember.group_id, GroupMember.user_id)).all(),
                session.execute(select(AppGrant.id, AppGrant.app_id, AppGrant.user_id,
                                       AppGrant.group_id).order_by(AppGrant.id)).all(),
                session.execute(select(ApiToken.id, ApiToken.revoked_at)
                                .order_by(ApiToken.id)).all(),
                session.execute(select(AppRecord.id, AppRecord.published_version_id,
                                       AppRecord.owner_id).order_by(AppRecord.id)).all(),
                self.admin_changes(),
            )


def _other_app_source(flagship: str) -> str:
    """A second app on the same data source, with a query that reads server-filled names."""
    source = flagship.replace(f"app: {FLAGSHIP}", f"app: {OTHER}").replace(
        "title: 订单发货", "title: 另一个应用")
    return source + (
        "  whoAmI:\n"
        "    datasource: shop\n"
        "    sql: SELECT <<current_user.id>> AS uid, <<current_user.email>> AS email\n")


PUBLISHED_UPDATE = "      UPDATE orders\n"
DRAFT_UPDATE = """      DELETE FROM orders
      WHERE  id = <<ordersTable.selectedRow.id>>
        AND  <<shippingCompany.value>> IS NOT NULL
        AND  <<shippingNumberInput.value>> IS NOT NULL
        AND  <<ordersTable.selectedRow.version>> IS NOT NULL
"""


def _draft_source(flagship: str) -> str:
    """A newer, unpublished flagship whose updateOrder deletes the row, plus a draft-only query."""
    head, _, tail = flagship.partition(PUBLISHED_UPDATE)
    assert tail, "the flagship's updateOrder changed: update this test's draft"
    tail = tail.split("\n", 5)[5]  # drop the rest of the UPDATE statement (5 lines)
    return head + DRAFT_UPDATE + tail + (
        "  draftOnly:\n"
        "    datasource: shop\n"
        "    sql: DELETE FROM orders\n")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    instance = tmp_path_factory.mktemp("authz") / "instance"
    app = make_demo_app(instance, orders=60)
    tc = app.extensions["toolcrib"]
    ids: dict[str, int] = {}
    for name, role in (("ops2", "operator"), ("dev", "developer"), ("gone", "operator"),
                       ("target", "operator"), ("bystander", "operator"),
                       ("walk-in", "operator")):
        ids[name] = ensure_user(app, name, role, PASSWORD)
    with tc.store.session() as session:
        flagship = app_records.latest_version(session, FLAGSHIP)
        assert flagship is not None
        other = app_records.save_version(session, slug=OTHER, title="另一个应用",
                                         source=_other_app_source(flagship.source))
        app_records.publish(session, other)
        other_app = session.get(AppRecord, other.app_id)
        assert other_app is not None
        other_app.owner_id = ids["dev"]  # the developer owns this one, not the flagship
        draft = app_records.save_version(session, slug=FLAGSHIP, title="订单发货",
                                         source=_draft_source(flagship.source),
                                         created_by="dev")
        ids["draft"] = draft.number
        ids["other_version"] = other.number
        flagship_app = access.app_by_slug(session, FLAGSHIP)
        access.grant(session, flagship_app, user_id=ids["gone"])
        ids["grant"] = access.grant(session, flagship_app, user_id=ids["bystander"]).id
        group = people.create_group(session, "matrix-group")
        ids["group"] = group.id
        ids["ops"] = people.require_user(session, "ops").id
        ids["admin"] = people.require_user(session, "admin").id
        _, valid = create_token(session, user_id=ids["ops"], name="matrix")
        revoked_row, revoked = create_token(session, user_id=ids["ops"], name="matrix-revoked")
        revoke_token(session, user_id=ids["ops"], token_id=revoked_row.id)

    callers = {
        ANON: Caller(app),
        OP: Caller(app, login="ops", password=DEMO_OPERATOR_PASSWORD),
        OP_NO_APP: Caller(app, login="ops2", password=PASSWORD),
        DEV: Caller(app, login="dev", password=PASSWORD),
        ADMIN: Caller(app, login="admin", password=DEMO_ADMIN_PASSWORD),
        DISABLED: Caller(app, login="gone", password=PASSWORD),
        REVOKED: Caller(app, token=revoked),
        TOKEN: Caller(app, token=valid),
    }
    assert callers[DISABLED].send("GET", f"/apps/{FLAGSHIP}").status_code == 200
    with tc.store.session() as session:
        people.set_disabled(session, people.get_user(session, ids["gone"]), True)
    yield World(app, f"sqlite:///{instance / 'shop.db'}", callers, ids)
    tc.close()


# --- expected answers ----------------------------------------------------------------------------

LOGIN = "login"  # pages: 302 to /login; API: 401
REDIRECT = "redirect"  # 302 somewhere else than /login (after a form post)


def expect(default: Any, **by_caller: Any) -> dict[str, Any]:
    """Expected answers: anyone signed out must sign in; ``default`` for signed-in callers."""
    keys = {"op": OP, "op_no_app": OP_NO_APP, "dev": DEV, "admin": ADMIN, "token": TOKEN,
            "anon": ANON, "disabled": DISABLED, "revoked": REVOKED}
    table = {p: (LOGIN if p in SIGNED_OUT else default) for p in PRINCIPALS}
    table.update({keys[k]: v for k, v in by_caller.items()})
    return table


ADMIN_PAGE = expect(403, admin=200)
ADMIN_FORM = expect(403, admin=REDIRECT)
BUILDER_PAGE = expect(403, dev=200, admin=200)
EVERYONE = {p: 200 for p in PRINCIPALS}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    url: str  # str.format()ed with World.ids
    expected: dict[str, Any]
    data: dict[str, str] | None = None
    json_body: Any = None
    #: The route changes the caller's session (sign-in, sign-out): use a copy of the caller.
    fresh: bool = False
    why: str = ""

    @property
    def label(self) -> str:
        return f"{self.method} {self.url} {self.why}".strip()


def run(slug: str, query: str) -> str:
    return f"/api/apps/{slug}/queries/{query}/run"


ROUTES: list[Route] = [
    # Public: the sign-in page, static files, widget scripts.
    Route("static", "GET", "/static/css/pages.css", EVERYONE),
    Route("runtime.widget_script", "GET", "/widgets/table.js", EVERYONE),
    Route("runtime.widget_script", "GET", "/widgets/nope.js", {p: 404 for p in PRINCIPALS},
          why="(unknown widget type)"),
    Route("auth.login", "GET", "/login",
          {**expect(REDIRECT), ANON: 200, DISABLED: 200, REVOKED: 200}),
    Route("auth.login", "POST", "/login", {p: REDIRECT for p in PRINCIPALS},
          data={"login": "walk-in", "password": PASSWORD}, fresh=True),
    Route("auth.logout", "POST", "/logout",
          {p: LOGIN for p in PRINCIPALS}, fresh=True, why="(lands on the sign-in page)"),
    # Runtime pages and the run API: published apps, per-app grants.
    Route("runtime.index", "GET", "/", expect(200)),
    Route("runtime.app_page", "GET", f"/apps/{FLAGSHIP}", expect(200, op_no_app=404)),
    Route("runtime.app_page", "GET", f"/apps/{OTHER}", expect(404, dev=200, admin=200),
          why="(an app not granted to the operators)"),
    Route("runtime.app_page", "GET", "/apps/no-such-app", expect(404)),
    Route("runtime.app_subpage", "GET", f"/apps/{FLAGSHIP}/shipping", expect(200, op_no_app=404),
          why="(a page by name)"),
    Route("runtime.app_subpage", "GET", f"/apps/{FLAGSHIP}/no-such-page", expect(404)),
    Route("runtime.app_subpage", "GET", f"/apps/{OTHER}/shipping",
          expect(404, dev=200, admin=200), why="(an app not granted to the operators)"),
    Route("api.run_query", "POST", run(FLAGSHIP, "getOrders"), expect(200, op_no_app=404),
          json_body=PAGE),
    Route("api.run_query", "POST", run(OTHER, "getOrders"), expect(404, dev=200, admin=200),
          json_body=PAGE, why="(a query of another app)"),
    Route("api.run_query", "POST", run(FLAGSHIP, "dropOrders"), expect(404), json_body=PAGE,
          why="(an unknown query name)"),
    Route("api.run_query", "POST", run(FLAGSHIP, "draftOnly"), expect(404), json_body=PAGE,
          why="(a query only in the unpublished draft)"),
    Route("api.run_query", "POST", run(FLAGSHIP, "getOrders"), expect(200, op_no_app=404),
          json_body={**PAGE, "state": {"current_user": {"id": 1, "roles": ["admin"]},
                                       "getOrders": {"sql": "DELETE FROM orders"},
                                       "ghost": {"value": "1; DROP TABLE orders"}},
                     "sql": "DELETE FROM orders", "datasource": "metadata"},
          why="(extra values in the body and state are ignored)"),
    # CSV export: the run API's checks (a streamed body, read to the end by Caller.send).
    Route("export.export_query", "POST", f"/api/apps/{FLAGSHIP}/queries/getOrders/export",
          expect(200, op_no_app=404), json_body=PAGE),
    Route("export.export_query", "POST", f"/api/apps/{OTHER}/queries/getOrders/export",
          expect(404, dev=200, admin=200), json_body=PAGE, why="(a query of another app)"),
    Route("export.export_query", "POST", f"/api/apps/{FLAGSHIP}/queries/draftOnly/export",
          expect(404), json_body=PAGE, why="(a query only in the unpublished draft)"),
    # Bulk import: the run API's checks; getOrders is no import query, an unknown one is 404.
    Route("imports.import_file", "POST", f"/api/apps/{FLAGSHIP}/queries/getOrders/import",
          expect(400, op_no_app=404), why="(not an import query)"),
    Route("imports.import_file", "POST", f"/api/apps/{OTHER}/queries/getOrders/import",
          expect(404, dev=400, admin=400), why="(a query of another app)"),
    Route("imports.import_file", "POST", f"/api/apps/{FLAGSHIP}/queries/dropOrders/import",
          expect(404), why="(an unknown query name)"),
    # Users admin: admins only.
    Route("admin_users.users", "GET", "/admin/users", ADMIN_PAGE),
    Route("admin_users.create", "POST", "/admin/users/new", expect(403, admin=200),
          data={"username": "matrix-new", "role": "admin"}, why="(password shown once)"),
    Route("admin_users.set_role", "POST", "/admin/users/{target}/role", ADMIN_FORM,
          data={"role": "admin"}),
    Route("admin_users.set_disabled", "POST", "/admin/users/{target}/disabled", ADMIN_FORM,
          data={"disabled": "1"}),
    Route("admin_users.reset_password", "POST", "/admin/users/{target}/password",
          expect(403, admin=200)),
    Route("admin_users.create_group", "POST", "/admin/users/groups", ADMIN_FORM,
          data={"name": "matrix-made"}),
    Route("admin_users.add_member", "POST", "/admin/users/groups/{group}/members", ADMIN_FORM,
          data={"user_id": "{ops2}"}),
    Route("admin_users.remove_member", "POST",
          "/admin/users/groups/{group}/members/{ops2}/remove", ADMIN_FORM),
    # App access: developers look; admins and the owner (the developer owns OTHER) change.
    Route("admin_apps.apps", "GET", "/admin/apps", BUILDER_PAGE),
    Route("admin_apps.app", "GET", f"/admin/apps/{FLAGSHIP}", BUILDER_PAGE),
    Route("admin_apps.app", "GET", "/admin/apps/no-such-app", expect(403, dev=404, admin=404)),
    Route("admin_apps.grant", "POST", f"/admin/apps/{FLAGSHIP}/grants", ADMIN_FORM,
          data={"user_id": "{ops2}"}, why="(an imported app: admins only)"),
    Route("admin_apps.grant", "POST", f"/admin/apps/{OTHER}/grants",
          expect(403, dev=REDIRECT, admin=REDIRECT), data={"user_id": "{target}"},
          why="(the developer's own app)"),
    Route("admin_apps.revoke", "POST", f"/admin/apps/{FLAGSHIP}/grants/{{grant}}/revoke",
          ADMIN_FORM),
    Route("admin_apps.publish", "POST", f"/admin/apps/{FLAGSHIP}/publish", ADMIN_FORM,
          data={"version": "0"}, why="(a stale version number: refused with a message)"),
    Route("admin_apps.publish", "POST", f"/admin/apps/{OTHER}/publish",
          expect(403, dev=REDIRECT, admin=REDIRECT), data={"version": "{other_version}"}),
    Route("admin_apps.set_owner", "POST", f"/admin/apps/{OTHER}/owner", ADMIN_FORM,
          data={"owner_id": "{dev}"}),
    # API tokens: any signed-in user, for themselves; a token cannot create tokens.
    Route("account.tokens", "GET", "/account/tokens", expect(200)),
    Route("account.create", "POST", "/account/tokens", expect(200, token=403),
          data={"name": "matrix"}),
    Route("account.revoke", "POST", "/account/tokens/999999/revoke", expect(REDIRECT)),
]

#: Blueprints checked by policy rather than route by route (routes listed in ROUTES win):
#: every ``admin_*`` blueprint but App access is for admins only; the editor's pages and API
#: (free SQL, drafts, publishing) are for developers and admins only.
ADMIN_ONLY_PREFIX = "admin_"
LISTED_BLUEPRINTS_EXEMPT = ("admin_apps",)  # developers use it too: listed route by route
BUILDERS_ONLY = ("editor", "editor_api")


def _is_api(url: str) -> bool:
    return url.startswith("/api/")


def _matches(response: Any, expected: Any, url: str) -> bool:
    status = response.status_code
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        if _is_api(url):
            return status == 401
        return status == 302 and location.startswith("/login")
    if expected == REDIRECT:
        return status == 302 and not location.startswith("/login")
    return status == expected


def _describe(response: Any) -> str:
    location = response.headers.get("Location")
    return f"{response.status_code}" + (f" → {location}" if location else "")


def _format(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _format(v, ids) for k, v in value.items()}
    return value


# --- the tests -----------------------------------------------------------------------------------


def _route_keys(app: Flask) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}  # type: ignore[operator]


def _policy(endpoint: str) -> tuple[str, ...] | None:
    """The roles a policy-checked blueprint allows, or None when its routes must be listed."""
    blueprint, dot, _ = endpoint.partition(".")
    if not dot:
        return None
    if blueprint in BUILDERS_ONLY:
        return ("admin", "developer")
    if blueprint.startswith(ADMIN_ONLY_PREFIX) and blueprint not in LISTED_BLUEPRINTS_EXEMPT:
        return ("admin",)
    return None


def _policy_covered(endpoint: str) -> bool:
    return _policy(endpoint) is not None


def test_every_route_is_in_the_matrix(world: World) -> None:
    listed = {(r.endpoint, r.method) for r in ROUTES}
    existing = _route_keys(world.app)
    unlisted = sorted(key for key in existing - listed if not _policy_covered(key[0]))
    assert not unlisted, (
        "routes missing from the authorization matrix (add them to ROUTES with the expected "
        f"answer for every caller): {unlisted}")
    assert not listed - existing, f"ROUTES lists routes that no longer exist: {listed - existing}"
    for route in ROUTES:
        assert set(route.expected) == set(PRINCIPALS), route.label


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.label)
def test_route_answers_each_caller_as_expected(world: World, route: Route) -> None:
    url = route.url.format(**world.ids)
    wrong: list[str] = []
    for who in PRINCIPALS:
        caller = world.callers[who]
        if route.fresh:
            caller = caller.clone()
        expected = route.expected[who]
        refused = expected in (LOGIN, 401, 403, 404)
        before = world.fingerprint() if refused else None
        response = caller.send(route.method, url, data=_format(route.data, world.ids),
                               json_body=route.json_body)
        if not _matches(response, expected, url):
            wrong.append(f"{who}: expected {expected}, got {_describe(response)}")
        elif refused and world.fingerprint() != before:
            wrong.append(f"{who}: refused, yet users, groups, grants, tokens or apps changed")
    assert not wrong, f"{route.label}:\n  " + "\n  ".join(wrong)


def _sample_url(rule: Rule) -> str:
    values = {}
    for name, converter in rule._converters.items():  # werkzeug has no public API for this
        values[name] = 999999 if type(converter).__name__ in ("IntegerConverter",
                                                               "NumberConverter") else "matrix"
    return rule.build(values, append_unknown=False)[1]  # type: ignore[index]


ROLE_OF = {OP: "operator", OP_NO_APP: "operator", TOKEN: "operator", DEV: "developer",
           ADMIN: "admin"}


@pytest.mark.parametrize("policy", ["admin", "builders"])
def test_policy_blueprints_refuse_everyone_else(world: World, policy: str) -> None:
    """Unlisted routes of admin-only and builders-only blueprints: others are refused first."""
    listed = {(r.endpoint, r.method) for r in ROUTES}
    wrong: list[str] = []
    for rule in world.app.url_map.iter_rules():
        allowed = _policy(rule.endpoint)
        if allowed is None or (allowed == ("admin",)) != (policy == "admin"):
            continue
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            if (rule.endpoint, method) in listed:
                continue
            for who in PRINCIPALS:
                may = ROLE_OF.get(who) in allowed
                if may and method != "GET":
                    continue  # an allowed POST with made-up values may really change things
                before = world.fingerprint()
                response = world.callers[who].send(method, url, data={}, json_body=None)
                if may:
                    ok = response.status_code not in (401, 403) and response.status_code < 500
                    expected: Any = "allowed"
                else:
                    expected = LOGIN if who in SIGNED_OUT else 403
                    ok = _matches(response, expected, url) and world.fingerprint() == before
                if not ok:
                    wrong.append(f"{method} {url} {who}: expected {expected}, "
                                 f"got {_describe(response)}")
    assert not wrong, "\n".join(wrong)


# --- queries: drafts, other apps, smuggled values ------------------------------------------------


def _paid_row(world: World, offset: int) -> dict[str, Any]:
    """A paid order through the API as the operator sees it (ids from the end of the list)."""
    response = world.callers[OP].send("POST", run(FLAGSHIP, "getOrders"), json_body={
        "state": {}, "page": {"size": 10, "number": 1, "sort": [{"column": "id",
                                                                   "dir": "desc"}]}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["rows"][offset]


def _update_state(row: dict[str, Any], company: str, number: str) -> dict[str, Any]:
    return {"ordersTable": {"selectedRow": row}, "shippingCompany": {"value": company},
            "shippingNumberInput": {"value": number}}


def test_the_draft_is_saved_but_not_published(world: World) -> None:
    tc = world.app.extensions["toolcrib"]
    with tc.store.session() as session:
        newest = app_records.latest_version(session, FLAGSHIP)
        assert newest is not None and newest.number == world.ids["draft"]
        assert "DELETE FROM orders" in newest.source and "draftOnly" in newest.source
    published = tc.published.get(FLAGSHIP)
    assert published is not None and published.version_number < world.ids["draft"]
    assert "draftOnly" not in published.spec.queries
    html = world.callers[OP].send("GET", f"/apps/{FLAGSHIP}").get_data(as_text=True)
    embedded = json.loads(html.split('type="application/json">')[1].split("</script>")[0])
    assert embedded["version"] == published.version_number
    assert "draftOnly" not in embedded["queries"]


@pytest.mark.parametrize("who", [OP, TOKEN, DEV, ADMIN])
def test_a_run_executes_only_the_published_sql(world: World, who: str) -> None:
    """The draft's updateOrder deletes the row; the published one updates it. Run it."""
    offset = [OP, TOKEN, DEV, ADMIN].index(who)
    row = _paid_row(world, offset)
    total = world.shop("SELECT COUNT(*) FROM orders")[0][0]
    number = f"PUB-{offset}-{row['id']}"
    response = world.callers[who].send("POST", run(FLAGSHIP, "updateOrder"),
                                       json_body={"state": _update_state(row, "EMS", number)})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["rowcount"] == 1
    assert world.shop("SELECT COUNT(*) FROM orders")[0][0] == total
    stored = world.shop("SELECT shipping_company, shipping_tracking_number, version, status "
                        "FROM orders WHERE id = :id", id=row["id"])
    assert [tuple(r) for r in stored] == [("EMS", number, row["version"] + 1, "paid")]

    draft_only = world.callers[who].send("POST", run(FLAGSHIP, "draftOnly"),
                                         json_body={"state": {}})
    assert draft_only.status_code == 404
    assert world.shop("SELECT COUNT(*) FROM orders")[0][0] == total

    with world.app.extensions["toolcrib"].store.session() as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.kind == "query", AuditEvent.query_name == "updateOrder",
            AuditEvent.outcome == "ok").order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert event.app_version == world.app.extensions["toolcrib"].published.get(
            FLAGSHIP).version_number


def test_smuggled_state_values_are_never_used(world: World) -> None:
    row = _paid_row(world, 5)
    total = world.shop("SELECT COUNT(*) FROM orders")[0][0]
    state = {
        **_update_state(row, "SF", "SF-SMUGGLE-1"),
        # Names the server fills, other queries' results, widgets the query does not read,
        # properties the query does not read: none of them may reach the SQL.
        "current_user": {"id": 1, "username": "admin", "roles": ["admin"]},
        "now": {"value": "1970-01-01"},
        "updateOrder": {"sql": "DELETE FROM orders", "data": []},
        "getOrders": {"data": [{"id": 1}]},
        "ghost": {"value": "x'); DELETE FROM orders; --"},
        "shippingNumberInput": {"value": "SF-SMUGGLE-1", "sql": "DELETE FROM orders"},
    }
    state["ordersTable"] = {"selectedRow": row, "data": [{"id": 1}], "selectedRows": [row]}
    body = {"state": state, "sql": "DELETE FROM orders", "datasource": "metadata",
            "query": {"sql": "DELETE FROM orders"}, "values": {"id": 1}}
    response = world.callers[OP].send("POST", run(FLAGSHIP, "updateOrder"), json_body=body)
    assert response.status_code in (200, 400), response.get_json()
    assert world.shop("SELECT COUNT(*) FROM orders")[0][0] == total
    stored = world.shop("SELECT shipping_tracking_number FROM orders WHERE id = :id",
                        id=row["id"])
    if response.status_code == 200:
        assert stored[0][0] == "SF-SMUGGLE-1"
    with world.app.extensions["toolcrib"].store.session() as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.kind == "query", AuditEvent.query_name == "updateOrder")
            .order_by(AuditEvent.id.desc())).first()
        assert event is not None
        detail = json.loads(event.detail)
        values = detail.get("values", {})
        assert not any(k.split(".")[0] in ("current_user", "now", "updateOrder", "getOrders",
                                           "ghost") for k in values), values
        assert "DELETE" not in event.detail


def test_server_filled_names_cannot_be_spoofed(world: World) -> None:
    """`current_user` is who the server says, whatever the request claims."""
    admin_id = world.ids["admin"]
    for who, expected in ((DEV, world.ids["dev"]), (ADMIN, admin_id)):
        response = world.callers[who].send("POST", run(OTHER, "whoAmI"), json_body={
            "state": {"current_user": {"id": 0, "email": "root@evil.example",
                                       "roles": ["admin"]}}})
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["rows"][0]["uid"] == expected
        assert response.get_json()["rows"][0]["email"] != "root@evil.example"
    refused = world.callers[TOKEN].send("POST", run(OTHER, "whoAmI"), json_body={
        "state": {"current_user": {"id": admin_id}}})
    assert refused.status_code == 404


def test_a_grant_takes_effect_at_once_and_so_does_its_revocation(world: World) -> None:
    caller = Caller(world.app, login="bystander", password=PASSWORD)
    tc = world.app.extensions["toolcrib"]
    with tc.store.session() as session:
        record = access.app_by_slug(session, OTHER)
        grant_row, _ = access.grant_to_user(session, record,
                                            people.require_user(session, "bystander"))
        grant_id = grant_row.id
    assert caller.send("POST", run(OTHER, "getOrders"), json_body=PAGE).status_code == 200
    with tc.store.session() as session:
        access.revoke(session, access.app_by_slug(session, OTHER), grant_id)
    assert caller.send("POST", run(OTHER, "getOrders"), json_body=PAGE).status_code == 404
    assert caller.send("GET", f"/apps/{OTHER}").status_code == 404

