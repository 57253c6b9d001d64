"""Policy caches: a change made by another process applies to this process's next request.

Each server process keeps users, tokens, grants, allowlists, published versions and data-source
records in memory (builder/store/generation.py). These tests make the change through a second
app on the same metadata database or through the ``toolcrib`` command, as another gunicorn worker
or an admin's shell would, and check the first app's very next request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from builder.cli import main
from builder.security import grants
from builder.security.users import find_user
from builder.store import generation
from builder.store.people_models import ApiToken, AppGrant
from tests.auth_helpers import DEMO_OPERATOR_PASSWORD, SessionClient, bearer, token_for
from tests.conftest import make_demo_app, make_toolcrib_app

FLAGSHIP = "order-shipping"
RUN = f"/api/apps/{FLAGSHIP}/queries/getOrders/run"
PAGE = {"state": {}, "page": {"size": 5, "number": 1}}


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def worker(instance: Path) -> Iterator[Flask]:
    """The demo as one server process sees it."""
    app = make_demo_app(instance)
    yield app
    app.extensions["toolcrib"].close()


@pytest.fixture
def other_worker(instance: Path, worker: Flask) -> Iterator[Flask]:
    """A second process on the same metadata database (its own engine and caches)."""
    app = make_toolcrib_app(instance)
    yield app
    app.extensions["toolcrib"].close()


def counter(app: Flask) -> int:
    return generation.read(app.extensions["toolcrib"].store.engine)


def test_a_token_revoked_elsewhere_stops_at_the_next_request(worker: Flask,
                                                              other_worker: Flask) -> None:
    token = token_for(worker, "ops")
    client = worker.test_client()
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200  # cached
    with other_worker.extensions["toolcrib"].store.session() as session:
        for row in session.scalars(select(ApiToken)):
            row.revoked_at = row.created_at
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 401


def test_a_user_disabled_with_the_cli_stops_at_the_next_request(
        worker: Flask, instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = token_for(worker, "ops")
    client = worker.test_client()
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200
    monkeypatch.setenv("TOOLCRIB_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("TOOLCRIB_DATABASE_URL", f"sqlite:///{instance / 'toolcrib.db'}")
    assert main(["user", "disable", "ops"]) == 0
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 401


def test_a_grant_revoked_elsewhere_stops_at_the_next_request(worker: Flask,
                                                              other_worker: Flask) -> None:
    token = token_for(worker, "ops")
    client = worker.test_client()
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200
    with other_worker.extensions["toolcrib"].store.session() as session:
        app_record = grants.app_by_slug(session, FLAGSHIP)
        ops = find_user(session, "ops")
        assert ops is not None
        for grant in session.scalars(select(AppGrant).where(AppGrant.user_id == ops.id,
                                                            AppGrant.app_id == app_record.id)):
            grants.revoke(session, app_record, grant.id)
    response = client.post(RUN, json=PAGE, headers=bearer(token))
    assert response.status_code in (403, 404)


def test_queries_and_token_use_do_not_count_as_policy_changes(worker: Flask) -> None:
    token = token_for(worker, "ops")
    client = worker.test_client()
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200  # notes use
    before = counter(worker)
    for _ in range(3):
        assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200
    assert counter(worker) == before  # audit events were written, the caches stay
    with worker.extensions["toolcrib"].store.session() as session:
        assert session.scalar(select(ApiToken.last_used_at)) is not None


def test_a_version_published_elsewhere_is_served_at_the_next_request(
        worker: Flask, instance: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = token_for(worker, "ops")
    client = worker.test_client()
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 200
    source = (Path(__file__).parents[1] / "apps" / "order_shipping.yaml").read_text("utf-8")
    folder = tmp_path / "changed"
    folder.mkdir()
    (folder / "order_shipping.yaml").write_text(
        source.replace("getOrders:", "getOrdersRenamed:").replace("getOrders.", "getOrdersRenamed.")
        .replace("refresh: getOrders", "refresh: getOrdersRenamed"), "utf-8")
    monkeypatch.setenv("TOOLCRIB_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("TOOLCRIB_DATABASE_URL", f"sqlite:///{instance / 'toolcrib.db'}")
    assert main(["apps", "import", str(folder), "--publish"]) == 0
    assert client.post(RUN, json=PAGE, headers=bearer(token)).status_code == 404
    renamed = f"/api/apps/{FLAGSHIP}/queries/getOrdersRenamed/run"
    assert client.post(renamed, json=PAGE, headers=bearer(token)).status_code == 200


def test_a_request_that_read_policy_before_a_change_fills_only_the_old_caches() -> None:
    """Threads: one still serving the old counter must not put what it read into the caches of
    the new one (it would stay there until the next change)."""
    caches = generation.PolicyCaches()
    before = caches.for_generation(1)
    after = caches.for_generation(2)
    before.setdefault("tokens", {})["tc_x"] = "read before the change"
    assert caches.for_generation(2) is after and "tokens" not in after


def test_a_sign_in_records_its_time_without_emptying_the_caches(worker: Flask) -> None:
    """Operators signing in at the start of a shift must not make every worker re-read policy."""
    before = counter(worker)
    SessionClient(worker, "ops", DEMO_OPERATOR_PASSWORD)  # the login form, CSRF token and all
    assert counter(worker) == before
    with worker.extensions["toolcrib"].store.session() as session:
        ops = find_user(session, "ops")
        assert ops is not None and ops.last_login_at is not None
