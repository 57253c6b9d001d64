"""MongoDB servers for the tests (a pytest plugin listed in ``tests/conftest.py``).

``mongo_url`` is a fresh, uniquely named database (one per test session and xdist worker) on the
server named by ``TOOLCRIB_TEST_MONGO_URL`` (a real mongod, Atlas...), or else on a SecantusDB
started for the session: the ``secantusd-py`` program of the ``test`` extra, run as a separate
process on a free port in a temporary folder, waited for until it answers ``ping`` and stopped
by its PID. SecantusDB is GPL-2.0: it is only ever run, never imported.

Tests that stop and restart a server (a database going down) or need ``--auth`` get their own
SecantusDB (``start_secantus``), so they never disturb the shared one. A server that cannot be
started skips its tests, or fails them when ``CI=true``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from pymongo import MongoClient

ENV_URL = "TOOLCRIB_TEST_MONGO_URL"
PROGRAM = "secantusd-py"
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15


class MongoServerError(RuntimeError):
    """The test server could not be started."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def secantus_program() -> str | None:
    beside = Path(sys.executable).with_name(PROGRAM)  # the interpreter's own scripts first
    if beside.exists():
        return str(beside)
    return shutil.which(PROGRAM)


def ping(url: str, timeout_ms: int = 500) -> bool:
    client: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=timeout_ms,
                                                      connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not up yet"
        return False
    finally:
        client.close()


@dataclass
class SecantusServer:
    """One SecantusDB process on 127.0.0.1; ``stop``/``start`` keep its data folder."""

    folder: Path
    port: int = field(default_factory=free_port)
    auth: bool = False
    #: Announce a standalone server (no replica set, so no transactions), like a lone mongod.
    standalone: bool = False
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.folder / "secantusd.log"

    def url(self, database: str = "", user: str | None = None,
            password: str | None = None, auth_source: str = "admin") -> str:
        login = f"{quote(user, safe='')}:{quote(password or '', safe='')}@" if user else ""
        query = f"?authSource={auth_source}" if user else ""
        return f"mongodb://{login}127.0.0.1:{self.port}/{database}{query}"

    def start(self) -> None:
        program = secantus_program()
        if program is None:
            raise MongoServerError(f"{PROGRAM} is not installed (pip install -e '.[test]')")
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        args = [program, "--host", "127.0.0.1", "--port", str(self.port), "--storage-path",
                str(data), "--log-level", "WARNING", *(["--auth"] if self.auth else []),
                *(["--standalone"] if self.standalone else [])]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        atexit.register(self.stop)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if ping(self.url()):
                return
            time.sleep(0.1)
        self.stop()
        tail = self.log.read_text(errors="replace")[-2000:]
        raise MongoServerError(f"{PROGRAM} did not answer ping on port {self.port} within "
                               f"{START_TIMEOUT_S} s; its log ends with:\n{tail}")

    def stop(self) -> None:
        """SIGTERM to our process by its PID, and wait (the data folder must be released)."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT_S)

    @contextmanager
    def down(self) -> Iterator[None]:
        """The server is stopped inside the block and started again after it."""
        self.stop()
        try:
            yield
        finally:
            self.start()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def start_secantus(folder: Path, *, auth: bool = False,
                   standalone: bool = False) -> SecantusServer:
    """A started SecantusDB in ``folder``, or the test is skipped (failed under CI=true)."""
    server = SecantusServer(folder, auth=auth, standalone=standalone)
    try:
        server.start()
    except MongoServerError as exc:
        _unavailable(f"no MongoDB test server: {exc}")
    return server


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _worker(request: pytest.FixtureRequest) -> str:
    workerinput = getattr(request.config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "main"


@pytest.fixture(scope="session")
def mongo_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The MongoDB server of this session, without a database in the URL."""
    configured = os.environ.get(ENV_URL)
    if configured:
        if not ping(configured, 5000):
            _unavailable(f"the MongoDB server of {ENV_URL} does not answer ping")
        yield configured
        return
    server = start_secantus(tmp_path_factory.mktemp("mongo"))
    try:
        yield server.url()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mongo_url(mongo_server_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database for this test session (xdist worker), dropped at the end."""
    name = f"toolcrib_test_{_worker(request)}_{uuid.uuid4().hex[:8]}"
    yield with_database(mongo_server_url, name)
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_server_url,
                                                      serverSelectionTimeoutMS=5000)
    with suppress(Exception):
        client.drop_database(name)
    client.close()


@dataclass
class AuthServer:
    server: SecantusServer
    database: str = "shop"
    users: dict[str, str] = field(default_factory=lambda: {
        "root": "root-Pa55", "shop_reader": "reader-Pa55", "shop_writer": "writer-Pa55"})

    def url(self, user: str | None, password: str | None = None,
            auth_source: str = "admin") -> str:
        if user is not None and password is None:
            password = self.users[user]
        return self.server.url(self.database, user, password, auth_source)


@pytest.fixture(scope="session")
def mongo_auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    """A SecantusDB with ``--auth``: root (admin), shop_reader (read), shop_writer (readWrite).

    Users are created on the server started without ``--auth``, which is then restarted with it.
    """
    server = start_secantus(tmp_path_factory.mktemp("mongo-auth"))
    auth = AuthServer(server)
    client: MongoClient[dict[str, Any]] = MongoClient(server.url(), serverSelectionTimeoutMS=5000)
    try:
        client.admin.command("createUser", "root", pwd=auth.users["root"], roles=["root"])
        for user, role in (("shop_reader", "read"), ("shop_writer", "readWrite")):
            client.admin.command("createUser", user, pwd=auth.users[user],
                                 roles=[{"role": role, "db": auth.database}])
        client[auth.database]["orders"].insert_one({"id": 1, "status": "paid"})
    finally:
        client.close()
    server.stop()
    server.auth = True
    try:
        server.start()
    except MongoServerError as exc:
        _unavailable(f"no MongoDB test server with --auth: {exc}")
    try:
        yield auth
    finally:
        server.stop()


# --- a Toolcrib whose demo was set up with a MongoDB URL -----------------------------------------


@dataclass
class MongoDemo:
    """``toolcrib demo --mongo-url`` on its own SecantusDB (tests may stop and restart it)."""

    app: Any  # flask.Flask
    server: SecantusServer
    lines: list[str]

    @property
    def shop_url(self) -> str:
        return self.server.url("shop")

    def orders(self) -> Any:
        """A pymongo collection of the demo's orders, for the test to look and change."""
        client: MongoClient[dict[str, Any]] = MongoClient(self.shop_url,
                                                          serverSelectionTimeoutMS=5000)
        return client.get_default_database()["orders"]

    def close(self) -> None:
        self.app.extensions["toolcrib"].close()
        self.server.stop()


def make_mongo_demo(folder: Path, orders: int = 300) -> MongoDemo:
    """A fresh instance in ``folder`` with the demo set up on a SecantusDB of its own."""
    from builder.demo.setup import set_up_demo
    from tests.auth_helpers import DEMO_ADMIN_PASSWORD, DEMO_OPERATOR_PASSWORD
    from tests.conftest import make_toolcrib_app

    server = start_secantus(folder / "mongo")
    app = make_toolcrib_app(folder / "instance")
    lines = list(set_up_demo(app.extensions["toolcrib"], orders=orders, mongo_url=server.url(),
                             admin_password=DEMO_ADMIN_PASSWORD,
                             operator_password=DEMO_OPERATOR_PASSWORD))
    return MongoDemo(app, server, lines)
