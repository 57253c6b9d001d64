"""Shared fixtures: Toolcrib apps on temporary instances, the demo, a live server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from builder import create_app
from builder.context import Toolcrib
from tests.auth_helpers import DEMO_ADMIN_PASSWORD, DEMO_OPERATOR_PASSWORD

pytest_plugins = ["tests.dbservers", "tests.mongoserver"]


def make_toolcrib_app(instance: Path) -> Flask:
    app = create_app({"instance_path": instance,
                      "database_url": f"sqlite:///{instance / 'toolcrib.db'}"})
    app.extensions["toolcrib"].store.upgrade()
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """An empty Toolcrib on a fresh instance folder."""
    flask_app = make_toolcrib_app(tmp_path / "instance")
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
    from builder.demo.setup import set_up_demo

    instance = tmp_path_factory.mktemp("demo") / "instance"
    flask_app = make_toolcrib_app(instance)
    tc: Toolcrib = flask_app.extensions["toolcrib"]
    list(set_up_demo(tc, orders=1500, admin_password=DEMO_ADMIN_PASSWORD,
                     operator_password=DEMO_OPERATOR_PASSWORD))
    yield Demo(flask_app, f"sqlite:///{instance / 'shop.db'}")
    tc.close()


@dataclass
class LiveServer:
    url: str
    shop_url: str
    app: Flask


@pytest.fixture(scope="session")
def live_server(demo: Demo) -> Iterator[LiveServer]:
    """The demo served over HTTP from a thread on 127.0.0.1."""
    server = make_server("127.0.0.1", 0, demo.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", demo.shop_url, demo.app)
    server.shutdown()
    thread.join(timeout=5)
