"""IP allowlists: the three levels with IPv4 and IPv6, X-Forwarded-For with and without trusted
proxies, what a refused request learns, lockout protection on the admin page, and the CLI.

Each test runs on its own small demo instance (30 orders), so the lists set here never touch the
shared demo the other tests use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from builder.cli import main
from builder.security import allowlists
from builder.security.allowlists import AllowlistError
from builder.store.policy_models import AllowlistEntry, AuditEvent
from tests.auth_helpers import (
    DEMO_ADMIN_PASSWORD,
    DEMO_OPERATOR_PASSWORD,
    SessionClient,
    bearer,
    token_for,
)
from tests.conftest import make_demo_app

FLAGSHIP = "order-shipping"
TITLE = "订单发货"
RUN = f"/api/apps/{FLAGSHIP}/queries/getOrders/run"
PAGE = {"state": {}, "page": {"size": 5, "number": 1}}
OUTSIDE_V4, OUTSIDE_V6 = "192.0.2.10", "2001:db9::10"


@pytest.fixture
def proxied_app(tmp_path: Path) -> Iterator[Flask]:
    """The demo behind one trusted reverse proxy (TOOLCRIB_TRUSTED_PROXIES=1)."""
    flask_app = make_demo_app(tmp_path / "instance", trusted_proxies=1)
    yield flask_app
    flask_app.extensions["toolcrib"].close()


@pytest.fixture
def ops_token(shop_app: Flask) -> str:
    return token_for(shop_app, "ops")


def allow(app: Flask, scope: str, target: str, *cidrs: str) -> None:
    with app.extensions["toolcrib"].store.session() as session:
        for cidr in cidrs:
            allowlists.add_entry(session, scope, target, cidr, note="test")


def entries(app: Flask) -> list[tuple[str, str, str]]:
    with app.extensions["toolcrib"].store.session() as session:
        return [(e.scope, e.target, e.cidr) for e in session.scalars(
            select(AllowlistEntry).order_by(AllowlistEntry.id))]


def client_from(app: Flask, address: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def admin_from(app: Flask, address: str) -> SessionClient:
    """The demo admin, signed in (from 127.0.0.1), then browsing from ``address``."""
    admin = SessionClient(app, "admin", DEMO_ADMIN_PASSWORD)
    admin.client.environ_base["REMOTE_ADDR"] = address
    return admin


def last_query_event(app: Flask) -> AuditEvent:
    with app.extensions["toolcrib"].store.session() as session:
        found = session.scalar(select(AuditEvent).where(AuditEvent.kind == "query")
                               .order_by(AuditEvent.id.desc()).limit(1))
        assert found is not None
        return found


def admin_events(app: Flask, action: str) -> list[dict[str, Any]]:
    with app.extensions["toolcrib"].store.session() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.kind == "admin")
                               .order_by(AuditEvent.id))
        details = [{"actor": e.actor, "ip": e.client_ip, **json.loads(e.detail)} for e in rows]
    return [d for d in details if d.get("action") == action]


def assert_refusal_json(response: Any, address: str) -> None:
    assert response.status_code == 403
    assert response.get_json() == {"error": {
        "message": f"your address {address} is not allowed here", "code": "forbidden"}}


def assert_refusal_page(response: Any, address: str) -> None:
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert f"your address {address} is not allowed here" in html
    for secret in (TITLE, FLAGSHIP, "shop", "getOrders"):
        assert secret not in html, f"the refusal page mentions {secret!r}"


# --- addresses and networks -------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "stored"), [
    ("10.0.0.0/8", "10.0.0.0/8"),
    (" 203.0.113.7 ", "203.0.113.7/32"),
    ("192.168.1.10/24", "192.168.1.0/24"),
    ("2001:DB8::/32", "2001:db8::/32"),
    ("2001:db8::1", "2001:db8::1/128"),
    ("0.0.0.0/0", "0.0.0.0/0"),
    ("::/0", "::/0"),
])
def test_networks_and_single_addresses_are_normalized(typed: str, stored: str) -> None:
    assert allowlists.validate_cidr(typed) == stored


@pytest.mark.parametrize(("typed", "says"), [
    ("", "enter an IP address or network"),
    ("10.0.0.300", "“10.0.0.300” is not an IPv4 or IPv6 address"),
    ("office", "“office” is not an IPv4 or IPv6 address"),
    ("10.0.0.0/33", "“/33” is not a prefix length for IPv4: use a whole number from 0 to 32"),
    ("2001:db8::/129", "from 0 to 128"),
    ("10.0.0.0/x", "“/x” is not a prefix length"),
    ("fe80::1%eth0", "zone indexes"),
])
def test_bad_entries_say_what_is_wrong(typed: str, says: str) -> None:
    with pytest.raises(AllowlistError) as caught:
        allowlists.validate_cidr(typed)
    assert says in str(caught.value)
    assert "for example 203.0.113.7" in str(caught.value) or "zone" in says or not typed


def test_matching_ipv4_ipv6_and_mapped_addresses() -> None:
    assert allowlists.allows("203.0.113.9", []) is True  # an empty list does not restrict
    assert allowlists.allows("10.1.2.3", ["10.0.0.0/8"])
    assert not allowlists.allows("11.1.2.3", ["10.0.0.0/8"])
    assert allowlists.allows("2001:db8::5", ["10.0.0.0/8", "2001:db8::/32"])
    assert not allowlists.allows("2001:db9::5", ["10.0.0.0/8", "2001:db8::/32"])
    # A dual-stack socket reports IPv4 clients as IPv4-mapped IPv6 addresses.
    assert allowlists.allows("::ffff:10.1.2.3", ["10.0.0.0/8"])
    assert not allowlists.allows("::ffff:11.1.2.3", ["10.0.0.0/8"])
    assert not allowlists.allows(None, ["0.0.0.0/0"])
    assert not allowlists.allows("not-an-address", ["0.0.0.0/0"])
    # A stored entry that cannot be parsed matches nothing but still restricts.
    assert not allowlists.allows("10.1.2.3", ["garbage"])
    assert allowlists.would_lock_out("192.0.2.1", [], ["10.0.0.0/8"])
    assert not allowlists.would_lock_out("10.0.0.1", [], ["10.0.0.0/8"])
    assert not allowlists.would_lock_out("192.0.2.1", ["10.0.0.0/8"], [])


# --- the three levels -------------------------------------------------------------------------

@pytest.mark.parametrize(("cidrs", "inside", "outside"), [
    (("10.0.0.0/8", "203.0.113.7"), "10.200.0.1", OUTSIDE_V4),
    (("2001:db8::/32",), "2001:db8:ffff::1", OUTSIDE_V6),
    (("2001:db8::/32",), "2001:db8::1", "10.0.0.1"),  # IPv6-only list refuses IPv4
])
def test_instance_list(shop_app: Flask, ops_token: str, cidrs: tuple[str, ...], inside: str,
                       outside: str) -> None:
    allow(shop_app, "instance", "", *cidrs)
    assert client_from(shop_app, inside).get("/login").status_code == 200
    assert client_from(shop_app, inside).post(RUN, json=PAGE, headers=bearer(ops_token)
                                              ).status_code == 200
    refused = client_from(shop_app, outside)
    assert_refusal_page(refused.get("/login"), outside)
    assert_refusal_page(refused.get(f"/apps/{FLAGSHIP}", headers=bearer(ops_token)), outside)
    assert_refusal_json(refused.post(RUN, json=PAGE, headers=bearer(ops_token)), outside)
    # Static files and sign-in are behind the instance list too.
    assert refused.get("/static/css/pages.css").status_code == 403
    assert refused.post("/login", data={"login": "ops", "password": DEMO_OPERATOR_PASSWORD}
                        ).status_code == 403


@pytest.mark.parametrize(("cidr", "inside", "outside"), [
    ("10.0.0.0/8", "10.1.1.1", OUTSIDE_V4),
    ("2001:db8::/48", "2001:db8::42", OUTSIDE_V6),
])
def test_app_list(shop_app: Flask, ops_token: str, cidr: str, inside: str, outside: str) -> None:
    allow(shop_app, "app", FLAGSHIP, cidr)
    ok = client_from(shop_app, inside)
    assert ok.get(f"/apps/{FLAGSHIP}", headers=bearer(ops_token)).status_code == 200
    assert ok.post(RUN, json=PAGE, headers=bearer(ops_token)).status_code == 200
    refused = client_from(shop_app, outside)
    assert refused.get("/login").status_code == 200  # the instance is open
    assert_refusal_page(refused.get(f"/apps/{FLAGSHIP}", headers=bearer(ops_token)), outside)
    assert_refusal_json(refused.post(RUN, json=PAGE, headers=bearer(ops_token)), outside)
    logged = last_query_event(shop_app)
    assert (logged.outcome, logged.client_ip, logged.query_name) == ("forbidden", outside,
                                                                     "getOrders")
    assert json.loads(logged.detail)["refused_by"] == f"app {FLAGSHIP}"
    # The app list does not hide the app list of apps, only the app.
    index = refused.get("/", headers=bearer(ops_token))
    assert index.status_code == 200


@pytest.mark.parametrize(("cidrs", "inside", "outside"), [
    (("10.0.0.0/8",), "10.3.3.3", OUTSIDE_V4),
    (("10.0.0.0/8", "2001:db8::/32"), "2001:db8::7", OUTSIDE_V6),
])
def test_datasource_list(shop_app: Flask, ops_token: str, cidrs: tuple[str, ...], inside: str,
                         outside: str) -> None:
    allow(shop_app, "datasource", "shop", *cidrs)
    assert client_from(shop_app, inside).post(RUN, json=PAGE, headers=bearer(ops_token)
                                              ).status_code == 200
    refused = client_from(shop_app, outside)
    # The app opens; its queries on that data source do not.
    assert refused.get(f"/apps/{FLAGSHIP}", headers=bearer(ops_token)).status_code == 200
    assert_refusal_json(refused.post(RUN, json=PAGE, headers=bearer(ops_token)), outside)
    logged = last_query_event(shop_app)
    assert logged.outcome == "forbidden" and logged.datasource == "shop"
    assert json.loads(logged.detail)["refused_by"] == "datasource shop"


def test_refusals_reveal_nothing_to_those_without_the_app(shop_app: Flask) -> None:
    """An app's list only answers people who may use the app; others get the usual 404."""
    allow(shop_app, "app", FLAGSHIP, "10.0.0.0/8")
    stranger = token_for(shop_app, "stranger")  # an operator without a grant
    refused = client_from(shop_app, OUTSIDE_V4)
    for slug in (FLAGSHIP, "no-such-app"):
        page = refused.get(f"/apps/{slug}", headers=bearer(stranger))
        assert page.status_code == 404
        assert TITLE not in page.get_data(as_text=True)
        run = refused.post(f"/api/apps/{slug}/queries/getOrders/run", json=PAGE,
                           headers=bearer(stranger))
        assert run.status_code == 404 and run.get_json()["error"]["code"] == "not_found"


def test_allowlists_are_read_once_and_again_only_after_a_change(shop_app: Flask,
                                                                ops_token: str) -> None:
    allow(shop_app, "instance", "", "10.0.0.0/8")
    allow(shop_app, "app", FLAGSHIP, "10.0.0.0/8")
    allow(shop_app, "datasource", "shop", "10.0.0.0/8")
    engine = shop_app.extensions["toolcrib"].store.engine
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "allowlist_entries" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        client = client_from(shop_app, "10.0.0.1")
        assert client.get(f"/apps/{FLAGSHIP}", headers=bearer(ops_token)).status_code == 200
        assert len(seen) == 1, seen  # instance and app levels in one query
        seen.clear()
        assert client.post(RUN, json=PAGE, headers=bearer(ops_token)).status_code == 200
        assert len(seen) == 1, seen  # only the data source's level is new
        seen.clear()
        assert client.post(RUN, json=PAGE, headers=bearer(ops_token)).status_code == 200
        assert client.get("/login").status_code == 200
        assert seen == []  # nothing changed: nothing read
        # A change made elsewhere (here: directly in the store, like another worker or the CLI)
        # applies to the very next request.
        with shop_app.extensions["toolcrib"].store.session() as session:
            session.query(AllowlistEntry).filter_by(scope="instance").delete()
            session.add(AllowlistEntry(scope="instance", target="", cidr="192.0.2.0/24"))
        seen.clear()
        assert client.get("/login").status_code == 403
        assert len(seen) == 1, seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


# --- X-Forwarded-For --------------------------------------------------------------------------

def test_forwarded_for_is_ignored_without_trusted_proxies(shop_app: Flask,
                                                          ops_token: str) -> None:
    allow(shop_app, "instance", "", "10.0.0.0/8")
    spoofed = client_from(shop_app, OUTSIDE_V4)
    for header in ("10.0.0.1", "10.0.0.1, 10.0.0.2"):
        response = spoofed.post(RUN, json=PAGE, headers={**bearer(ops_token),
                                                         "X-Forwarded-For": header})
        assert_refusal_json(response, OUTSIDE_V4)
    inside = client_from(shop_app, "10.0.0.5")
    response = inside.post(RUN, json=PAGE, headers={**bearer(ops_token),
                                                    "X-Forwarded-For": OUTSIDE_V4})
    assert response.status_code == 200
    assert last_query_event(shop_app).client_ip == "10.0.0.5"


def test_forwarded_for_counts_the_trusted_hop_only(proxied_app: Flask) -> None:
    token = token_for(proxied_app, "ops")
    allow(proxied_app, "instance", "", "10.0.0.0/8", "2001:db8::/32")
    proxy = client_from(proxied_app, "172.16.0.2")  # the reverse proxy's own address

    def run(forwarded: str) -> Any:
        return proxy.post(RUN, json=PAGE, headers={**bearer(token), "X-Forwarded-For": forwarded})

    # The proxy appends the address it saw: the last hop is the client.
    assert run("10.0.0.7").status_code == 200
    assert last_query_event(proxied_app).client_ip == "10.0.0.7"
    assert run(f"{OUTSIDE_V4}, 10.0.0.7").status_code == 200
    # A client cannot spoof its way in by sending its own X-Forwarded-For first.
    assert_refusal_json(run(f"10.0.0.7, {OUTSIDE_V4}"), OUTSIDE_V4)
    assert run("2001:db8::9").status_code == 200
    assert_refusal_json(run(OUTSIDE_V6), OUTSIDE_V6)
    # Without the header the socket's address is what counts (the proxy's, not allowed here).
    assert_refusal_json(proxy.post(RUN, json=PAGE, headers=bearer(token)), "172.16.0.2")


def test_admin_page_shows_the_forwarded_address(proxied_app: Flask) -> None:
    admin = SessionClient(proxied_app, "admin", DEMO_ADMIN_PASSWORD)
    admin.client.environ_base["REMOTE_ADDR"] = "172.16.0.2"
    html = admin.get("/admin/allowlists", headers={"X-Forwarded-For": "spoof, 198.51.100.4"}
                     ).get_data(as_text=True)
    assert re.search(r"Your address is <strong><code[^>]*>198\.51\.100\.4</code>", html)
    assert "through 1 trusted proxy" in html and "172.16.0.2" in html


# --- the admin page ---------------------------------------------------------------------------

def test_page_lists_every_level_and_shows_your_address(shop_app: Flask) -> None:
    allow(shop_app, "datasource", "shop", "2001:db8::/32")
    admin = admin_from(shop_app, "2001:db8::77")
    html = admin.get("/admin/allowlists").get_data(as_text=True)
    assert re.search(r"Your address is <strong><code[^>]*>2001:db8::77</code>", html)
    assert "Whole instance" in html and TITLE in html and FLAGSHIP in html
    assert "2001:db8::/32" in html and "your address is allowed" in html
    assert "X-Forwarded-For is ignored" in html
    # The nav links the page for admins.
    assert 'href="/admin/allowlists"' in html and 'href="/admin/audit"' in html


def test_only_admins_reach_the_page(shop_app: Flask) -> None:
    ops = SessionClient(shop_app, "ops", DEMO_OPERATOR_PASSWORD)
    assert ops.get("/admin/allowlists").status_code == 403
    assert ops.post("/admin/allowlists/add", data={"scope": "instance", "cidr": "10.0.0.0/8"}
                    ).status_code == 403
    token = token_for(shop_app, "ops")
    assert shop_app.test_client().get("/admin/allowlists", headers=bearer(token)
                                      ).status_code == 403
    anonymous = shop_app.test_client().get("/admin/allowlists")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert entries(shop_app) == []


def test_add_and_remove_with_notes_are_audited(shop_app: Flask) -> None:
    admin = admin_from(shop_app, "10.0.0.1")
    response = admin.post("/admin/allowlists/add", data={
        "scope": "instance", "target": "", "cidr": "10.0.0.0/8", "note": "office VPN"})
    assert response.status_code == 302
    page = admin.get("/admin/allowlists").get_data(as_text=True)
    assert "Added 10.0.0.0/8 to the instance list." in page and "office VPN" in page
    response = admin.post("/admin/allowlists/add", data={
        "scope": "app", "target": FLAGSHIP, "cidr": "10.0.0.1", "note": "my desk"})
    assert response.status_code == 302
    assert entries(shop_app) == [("instance", "", "10.0.0.0/8"),
                                 ("app", FLAGSHIP, "10.0.0.1/32")]
    with shop_app.extensions["toolcrib"].store.session() as session:
        entry_id = session.scalar(select(AllowlistEntry.id).where(AllowlistEntry.scope == "app"))
    assert admin.post(f"/admin/allowlists/{entry_id}/remove").status_code == 302
    assert entries(shop_app) == [("instance", "", "10.0.0.0/8")]
    added = admin_events(shop_app, "allowlist.add")
    assert [a["target"] for a in added] == ["instance", f"app {FLAGSHIP}"]
    assert added[0]["before"] == {"entries": []}
    assert added[0]["after"] == {"entries": ["10.0.0.0/8"], "note": "office VPN"}
    assert added[0]["actor"] == "admin" and added[0]["ip"] == "10.0.0.1"
    removed = admin_events(shop_app, "allowlist.remove")
    assert removed[0]["before"] == {"entries": ["10.0.0.1/32"]}
    assert removed[0]["after"]["entries"] == []


@pytest.mark.parametrize(("form", "says"), [
    ({"scope": "instance", "cidr": "10.0.0.300"}, "is not an IPv4 or IPv6 address"),
    ({"scope": "instance", "cidr": "10.0.0.0/40"}, "from 0 to 32"),
    ({"scope": "app", "target": "nope", "cidr": "10.0.0.0/8"}, "there is no app"),
    ({"scope": "datasource", "target": "", "cidr": "10.0.0.0/8"}, "needs a data-source name"),
    ({"scope": "galaxy", "cidr": "10.0.0.0/8"}, "unknown list"),
    ({"scope": "instance", "cidr": "10.0.0.1", "note": "x" * 201}, "note is too long"),
])
def test_bad_input_is_refused_with_a_clear_message(shop_app: Flask, form: dict[str, str],
                                                   says: str) -> None:
    admin = admin_from(shop_app, "10.0.0.1")
    response = admin.post("/admin/allowlists/add", data=form)
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)
    assert entries(shop_app) == []


def test_duplicates_are_refused(shop_app: Flask) -> None:
    admin = admin_from(shop_app, "10.0.0.1")
    data = {"scope": "instance", "cidr": "10.0.0.0/8"}
    assert admin.post("/admin/allowlists/add", data=data).status_code == 302
    again = admin.post("/admin/allowlists/add", data={**data, "cidr": "10.9.9.9/8"})
    assert again.status_code == 400
    assert "10.0.0.0/8 is already in the instance list" in again.get_data(as_text=True)


def test_instance_lockout_needs_confirmation(shop_app: Flask) -> None:
    admin = admin_from(shop_app, "203.0.113.5")
    form = {"scope": "instance", "target": "", "cidr": "10.0.0.0/8", "note": "office"}
    refused = admin.post("/admin/allowlists/add", data=form)
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "would lock you out" in html and "203.0.113.5" in html
    assert "toolcrib allowlist reset instance" in html
    assert 'name="confirm_lockout"' in html and "yes, I may lock myself out" in html
    assert 'value="10.0.0.0/8"' in html and 'value="office"' in html  # the form is kept
    assert entries(shop_app) == []
    # A list that includes the admin's address needs no confirmation.
    assert admin.post("/admin/allowlists/add", data={**form, "cidr": "203.0.113.0/24"}
                      ).status_code == 302
    assert admin.post("/admin/allowlists/add", data=form).status_code == 302
    # Removing the entry that lets the admin in needs it again.
    with shop_app.extensions["toolcrib"].store.session() as session:
        mine = session.scalar(select(AllowlistEntry.id).where(
            AllowlistEntry.cidr == "203.0.113.0/24"))
    pending = admin.post(f"/admin/allowlists/{mine}/remove")
    assert pending.status_code == 409
    assert "Removing 203.0.113.0/24 from the instance list would lock you out" in \
        pending.get_data(as_text=True)
    assert len(entries(shop_app)) == 2
    done = admin.post(f"/admin/allowlists/{mine}/remove", data={"confirm_lockout": "yes"})
    assert done.status_code == 302
    assert entries(shop_app) == [("instance", "", "10.0.0.0/8")]
    assert_refusal_page(admin.get("/admin/allowlists"), "203.0.113.5")
    assert admin_events(shop_app, "allowlist.remove")[0]["after"]["lockout_confirmed"] is True


def test_removing_the_last_entry_never_locks_out(shop_app: Flask) -> None:
    admin = admin_from(shop_app, "203.0.113.5")
    allow(shop_app, "instance", "", "203.0.113.0/24")
    with shop_app.extensions["toolcrib"].store.session() as session:
        only = session.scalar(select(AllowlistEntry.id))
    assert admin.post(f"/admin/allowlists/{only}/remove").status_code == 302
    assert entries(shop_app) == []


def test_confirmed_lockout_takes_effect(shop_app: Flask) -> None:
    admin = admin_from(shop_app, "203.0.113.5")
    form = {"scope": "instance", "cidr": "10.0.0.0/8", "confirm_lockout": "yes"}
    assert admin.post("/admin/allowlists/add", data=form).status_code == 302
    assert_refusal_page(admin.get("/admin/allowlists"), "203.0.113.5")
    assert admin_events(shop_app, "allowlist.add")[0]["after"]["lockout_confirmed"] is True


@pytest.mark.parametrize(("scope", "target", "where"), [
    ("app", FLAGSHIP, f"open the app {FLAGSHIP}"),
    ("datasource", "shop", "run queries on the data source shop"),
])
def test_app_and_datasource_lockouts_need_confirmation(shop_app: Flask, scope: str,
                                                       target: str, where: str) -> None:
    admin = admin_from(shop_app, "2001:db8::5")
    form = {"scope": scope, "target": target, "cidr": "10.0.0.0/8"}
    refused = admin.post("/admin/allowlists/add", data=form)
    assert refused.status_code == 409 and where in refused.get_data(as_text=True)
    assert entries(shop_app) == []
    assert admin.post("/admin/allowlists/add", data={**form, "confirm_lockout": "yes"}
                      ).status_code == 302
    assert entries(shop_app) == [(scope, target, "10.0.0.0/8")]


# --- the CLI ----------------------------------------------------------------------------------

@pytest.fixture
def cli_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """A demo instance that ``toolcrib`` commands find through TOOLCRIB_INSTANCE_PATH."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("TOOLCRIB_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("TOOLCRIB_DATABASE_URL", raising=False)
    monkeypatch.delenv("TOOLCRIB_SECRET_KEY", raising=False)
    flask_app = make_demo_app(instance)
    yield flask_app
    flask_app.extensions["toolcrib"].close()


def test_cli_add_list_remove(cli_instance: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["allowlist", "add", "instance", "10.0.0.0/8", "--note", "office"]) == 0
    assert main(["allowlist", "add", "app", FLAGSHIP, "2001:db8::/32"]) == 0
    assert main(["allowlist", "add", "datasource", "shop", "192.168.1.7"]) == 0
    out = capsys.readouterr().out
    assert "added 10.0.0.0/8 to the instance list" in out
    assert f"added 2001:db8::/32 to the app {FLAGSHIP} list" in out
    assert main(["allowlist", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 3 and any("10.0.0.0/8" in line and "# office" in line
                                     for line in listing)
    assert main(["allowlist", "list", "app", FLAGSHIP]) == 0
    assert "2001:db8::/32" in capsys.readouterr().out
    assert main(["allowlist", "remove", "datasource", "shop", "192.168.1.7"]) == 0
    assert "removed 192.168.1.7/32" in capsys.readouterr().out
    assert [e[2] for e in entries(cli_instance)] == ["10.0.0.0/8", "2001:db8::/32"]
    added = admin_events(cli_instance, "allowlist.add")
    assert len(added) == 3 and added[0]["actor"].startswith("cli:") and added[0]["ip"] is None


@pytest.mark.parametrize(("argv", "says"), [
    (["allowlist", "add", "instance", "10.0.0.300"], "is not an IPv4 or IPv6 address"),
    (["allowlist", "add", "app", "10.0.0.0/8"], "expected `app TARGET CIDR`"),
    (["allowlist", "add", "instance", "x", "10.0.0.0/8"], "expected `instance CIDR`"),
    (["allowlist", "add", "app", "nope", "10.0.0.0/8"], "there is no app 'nope'"),
    (["allowlist", "remove", "instance", "10.0.0.0/8"], "10.0.0.0/8 is not in the instance"),
    (["audit", "retention", "0"], "from 1 to"),
])
def test_cli_errors_are_one_clear_line(cli_instance: Flask, capsys: pytest.CaptureFixture[str],
                                       argv: list[str], says: str) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("toolcrib: ") and says in err


def test_cli_reset_restores_access_after_a_lockout(cli_instance: Flask,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    admin = admin_from(cli_instance, "203.0.113.5")
    assert admin.post("/admin/allowlists/add", data={
        "scope": "instance", "cidr": "10.0.0.0/8", "note": "VPN", "confirm_lockout": "yes"}
    ).status_code == 302
    allow(cli_instance, "app", FLAGSHIP, "10.0.0.0/8")
    assert_refusal_page(admin.get("/admin/allowlists"), "203.0.113.5")

    assert main(["allowlist", "reset", "instance"]) == 0
    out = capsys.readouterr().out
    assert "removed 1 entry from the instance list" in out
    assert "toolcrib allowlist add instance 10.0.0.0/8 --note VPN" in out
    assert admin.get("/admin/allowlists").status_code == 200
    assert entries(cli_instance) == [("app", FLAGSHIP, "10.0.0.0/8")]  # the others stay
    reset = admin_events(cli_instance, "allowlist.reset")
    assert reset[0]["before"] == {"entries": ["10.0.0.0/8"]} and reset[0]["after"] == {
        "entries": []}

    assert main(["allowlist", "reset"]) == 0
    assert "removed 1 entry from the allowlists" in capsys.readouterr().out
    assert entries(cli_instance) == []
    assert main(["allowlist", "reset"]) == 0
    assert "nothing to reset" in capsys.readouterr().out
