"""Shared fixtures: Toolcrib apps on temporary instances, the demo, a live server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from builder import create_app
from builder.context import Toolcrib
from tests.auth_helpers import DEMO_ADMIN_PASSWORD, DEMO_OPERATOR_PASSWORD

pytest_plugins = ["tests.dbservers", "tests.mongoserver"]


def make_toolcrib_app(instance: Path, **config: Any) -> Flask:
    app = create_app({"instance_path": instance,
                      "database_url": f"sqlite:///{instance / 'toolcrib.db'}", **config})
    app.extensions["toolcrib"].store.upgrade()
    return app


def make_demo_app(instance: Path, orders: int = 30, **config: Any) -> Flask:
    """A Toolcrib set up as ``toolcrib demo`` does it (``orders`` orders in ``instance/shop.db``,
    the flagship app, ``admin`` and ``ops`` with the demo passwords); the caller closes it."""
    from builder.demo.setup import set_up_demo

    flask_app = make_toolcrib_app(instance, **config)
    list(set_up_demo(flask_app.extensions["toolcrib"], orders=orders,
                     admin_password=DEMO_ADMIN_PASSWORD, operator_password=DEMO_OPERATOR_PASSWORD))
    return flask_app


@contextmanager
def serving(flask_app: Flask) -> Iterator[str]:
    """``flask_app`` served over HTTP from a thread on 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """An empty Toolcrib on a fresh instance folder."""
    flask_app = make_toolcrib_app(tmp_path / "instance")
    yield flask_app
    flask_app.extensions["toolcrib"].close()


@pytest.fixture
def shop_app(tmp_path: Path) -> Iterator[Flask]:
    """A small demo of the test's own (30 orders): the shop data source, the flagship app,
    ``admin`` and ``ops`` (granted it), for tests that write or sign in and out."""
    flask_app = make_demo_app(tmp_path / "instance")
    yield flask_app
    flask_app.extensions["toolcrib"].close()


@dataclass
class Demo:
    app: Flask
    shop_url: str

    @property
    def toolcrib(self) -> Toolcrib:
        return self.app.extensions["toolcrib"]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo set up as ``toolcrib demo`` does it: shop database, data source, flagship app."""
    instance = tmp_path_factory.mktemp("demo") / "instance"
    flask_app = make_demo_app(instance, orders=1500)
    yield Demo(flask_app, f"sqlite:///{instance / 'shop.db'}")
    flask_app.extensions["toolcrib"].close()


@dataclass
class LiveServer:
    url: str
    shop_url: str
    app: Flask


@pytest.fixture(scope="session")
def live_server(demo: Demo) -> Iterator[LiveServer]:
    """The demo served over HTTP from a thread on 127.0.0.1."""
    with serving(demo.app) as url:
        yield LiveServer(url, demo.shop_url, demo.app)
