"""'Test connection' against the real MariaDB and PostgreSQL on this machine: every failure kind.

Each case must be answered within 5 seconds with the right kind, the same way on the admin page
(JSON), in ``toolcrib datasource test NAME`` and in the API of a query.

PostgreSQL here trusts local connections, so wrong passwords and "TLS required" are played by a
throwaway cluster: ``initdb --auth=scram-sha-256`` in a temporary folder, on a free port, with a
self-signed certificate and a ``pg_hba.conf`` that refuses the user ``tlsuser`` without TLS
(run as the ``postgres`` OS user when the tests run as root, since initdb refuses root).
MariaDB gets a user with a password, created for the test and dropped afterwards.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import logging
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from builder import datasource_admin as admin
from builder.security import egress
from builder.store import apps as app_records
from datasources.sql import MySQLSource, PostgresSource
from tests.auth_helpers import SessionClient, bearer, ensure_user, token_for

DEADLINE_S = 5.0
PASSWORD = "Corr3ct-h0rse-battery"
WRONG = "wr0ng-Passw0rd-x"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No log line (Toolcrib's, a driver's, SQLAlchemy's statement log) has a password, except
    the statements this file's own fixtures run to create the users."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    yield
    logged = "\n".join(message for when in ("setup", "call")
                       for record in caplog.get_records(when)  # type: ignore[arg-type]
                       if not re.match(r"\s*(CREATE|ALTER) (USER|ROLE)",
                                       message := record.getMessage()))
    for secret in (PASSWORD, WRONG):
        assert secret not in logged, "a password reached the log"


def outcome_of(source_class: type, config: dict[str, Any]) -> admin.ProbeOutcome:
    """Test ``config`` as the page does (empty egress policy) and check the 5-second bound."""
    started = time.monotonic()
    result = admin.run_test(source_class("probe", config), egress.EgressPolicy())
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE_S, f"answered in {elapsed:.1f} s: {result}"
    for secret in (PASSWORD, WRONG):
        assert secret not in result.message and secret not in " ".join(result.lines())
    return result


# --- servers that accept and then say nothing, or say the wrong thing ---------------------------


class SilentServer:
    """Accepts TCP connections and never answers (a firewall that lets SYN through, a hung
    server); with ``reply`` it sends those bytes and then goes quiet."""

    def __init__(self, reply: bytes = b"") -> None:
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.reply:
                threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        """Like an HTTP server: wait for the client to say something, then answer."""
        try:
            conn.recv(1024)
            conn.sendall(self.reply)
        except OSError:
            pass

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


# --- a throwaway PostgreSQL cluster with passwords and TLS ---------------------------------------


@dataclass
class ScramCluster:
    port: int
    password: str

    def config(self, **changes: Any) -> dict[str, Any]:
        base = {"host": "127.0.0.1", "port": self.port, "database": "postgres",
                "user": "postgres", "password": self.password, "sslmode": "disable"}
        return {**base, **changes}


def _initdb_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    return Path(which).parent if which else None


def _self_signed(cert: Path, key: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(private.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=2))
                   .sign(private, hashes.SHA256()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.TraditionalOpenSSL,
                                          serialization.NoEncryption()))


@pytest.fixture(scope="module")
def scram_cluster() -> Iterator[ScramCluster]:
    bindir = _initdb_bin()
    if bindir is None:
        _skip_or_fail("no initdb here (apt-get install postgresql) for the password/TLS cases")
    as_root = os.geteuid() == 0
    if as_root:
        try:
            import pwd

            pg_user = pwd.getpwnam("postgres")
        except KeyError:
            _skip_or_fail("running as root and there is no 'postgres' OS user to run initdb as")
    root = Path(tempfile.mkdtemp(prefix="toolcrib-pg-"))
    data, log = root / "data", root / "server.log"
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")

    def run(*args: str) -> None:
        command = [str(a) for a in args]
        if as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    port = free_port()
    try:
        if as_root:
            os.chown(root, pg_user.pw_uid, pg_user.pw_gid)
            os.chown(pwfile, pg_user.pw_uid, pg_user.pw_gid)
        run(bindir / "initdb", "-D", data, "--auth=scram-sha-256", "--username=postgres",
            f"--pwfile={pwfile}", "--encoding=UTF8", "--no-sync", "--no-instructions")
        _self_signed(data / "server.crt", data / "server.key")
        (data / "postgresql.conf").open("a").write(
            f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{root}'\nssl = on\nfsync = off\n"
            "ssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
        # tlsuser: TLS only; everyone else: any connection with a password.
        (data / "pg_hba.conf").write_text(
            "hostssl   all tlsuser 127.0.0.1/32 scram-sha-256\n"
            "hostnossl all tlsuser 127.0.0.1/32 reject\n"
            "host      all all     127.0.0.1/32 scram-sha-256\n")
        os.chmod(data / "server.key", 0o600)
        if as_root:
            for path in (data / "server.crt", data / "server.key", data / "pg_hba.conf"):
                os.chown(path, pg_user.pw_uid, pg_user.pw_gid)
        run(bindir / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "start")
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(root, ignore_errors=True)
        _skip_or_fail(f"cannot start a throwaway PostgreSQL cluster: {exc} "
                      f"{detail.decode(errors='replace')[:300]}")
    try:
        engine = create_engine(f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{port}/"
                               "postgres?sslmode=disable", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE ROLE tlsuser LOGIN PASSWORD '{PASSWORD}'")
        engine.dispose()
        yield ScramCluster(port=port, password=PASSWORD)
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


# --- MariaDB: a user with a password -------------------------------------------------------------


@dataclass
class MariaUser:
    host: str
    port: int
    database: str
    user: str

    def config(self, **changes: Any) -> dict[str, Any]:
        base = {"host": self.host, "port": self.port, "database": self.database,
                "user": self.user, "password": PASSWORD}
        return {**base, **changes}


@pytest.fixture(scope="module")
def maria_user(mysql_url: str) -> Iterator[MariaUser]:
    url = make_url(mysql_url)
    user = f"tc_pw_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE USER '{user}'@'%%' IDENTIFIED BY '{PASSWORD}'")
        conn.exec_driver_sql(f"GRANT ALL ON `{url.database}`.* TO '{user}'@'%%'")
    try:
        yield MariaUser(url.host or "127.0.0.1", url.port or 3306, str(url.database), user)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'%%'")
        engine.dispose()


def _pg_trust(postgres_url: str, **changes: Any) -> dict[str, Any]:
    url = make_url(postgres_url)
    base = {"host": url.host or "127.0.0.1", "port": url.port or 5432,
            "database": url.database, "user": url.username or "postgres"}
    if url.password:
        base["password"] = url.password
    return {**base, **changes}


# --- every failure kind ---------------------------------------------------------------------------

pytestmark = pytest.mark.server


def test_mariadb_success_reports_version_and_latency(maria_user: MariaUser) -> None:
    result = outcome_of(MySQLSource, maria_user.config())
    assert result.ok, result
    assert result.server_version and result.server_version.startswith(("MariaDB", "MySQL"))
    assert result.latency_ms is not None and result.latency_ms >= 0
    assert "connected to" in result.message


def test_mariadb_wrong_password(maria_user: MariaUser) -> None:
    result = outcome_of(MySQLSource, maria_user.config(password=WRONG))
    assert (result.ok, result.kind) == (False, "wrong_password")
    assert "Access denied" in result.message and maria_user.user in result.message
    assert "REQUIRE SSL" in result.advice
    # where this server connects from, for the database's user@host or allowlist
    assert result.routes and result.routes[0][1]


def test_mariadb_unknown_database(maria_user: MariaUser, mysql_url: str) -> None:
    # A user with privileges (root here) hears "Unknown database" (1049) ...
    root = make_url(mysql_url)
    privileged = outcome_of(MySQLSource, {"host": maria_user.host, "port": maria_user.port,
                                          "user": root.username, "password": root.password,
                                          "database": "tc_no_such_db"})
    assert privileged.kind == "unknown_database" and "tc_no_such_db" in privileged.message
    # ... any other user "access denied to database" (1044), missing or not allowed alike.
    for database in ("tc_no_such_db", "mysql"):
        result = outcome_of(MySQLSource, maria_user.config(database=database))
        assert result.kind == "unknown_database" and database in result.message
        assert "GRANT" in result.advice


def test_mariadb_tls_not_offered(maria_user: MariaUser) -> None:
    """The client requires TLS but this MariaDB has none: a TLS failure, said as such."""
    engine = create_engine(f"mysql+pymysql://root@{maria_user.host}:{maria_user.port}/")
    with engine.connect() as conn:
        have_ssl = conn.exec_driver_sql("SHOW VARIABLES LIKE 'have_ssl'").first()
    engine.dispose()
    result = outcome_of(MySQLSource, maria_user.config(sslmode="required"))
    if have_ssl and have_ssl[1] == "YES":
        assert result.ok, result
    else:
        assert result.kind == "tls_failed" and "does not offer TLS" in result.advice


@pytest.mark.parametrize("source_class", [MySQLSource, PostgresSource])
def test_refused_port(source_class: type) -> None:
    result = outcome_of(source_class, {"host": "127.0.0.1", "port": free_port(),
                                       "database": "shop", "user": "u", "password": PASSWORD})
    assert result.kind == "connection_refused", result
    assert "Connection refused" in result.message


@pytest.mark.parametrize("source_class", [MySQLSource, PostgresSource])
def test_unknown_host(source_class: type) -> None:
    result = outcome_of(source_class, {"host": "no-such-host.invalid", "database": "shop",
                                       "user": "u", "password": PASSWORD})
    assert result.kind == "unknown_host", result
    assert "no-such-host.invalid" in result.message
    assert "typos" in result.advice


@pytest.mark.parametrize("source_class", [MySQLSource, PostgresSource])
def test_silent_server_times_out_within_the_deadline(source_class: type,
                                                     silent: SilentServer) -> None:
    result = outcome_of(source_class, {"host": "127.0.0.1", "port": silent.port,
                                       "database": "shop", "user": "u", "password": PASSWORD,
                                       "connect_timeout_s": 30})
    assert result.kind == "timeout", result
    assert "egress IP" in result.advice and result.server_addresses is not None
    assert result.routes == [("127.0.0.1", "127.0.0.1")]


@pytest.mark.parametrize("source_class", [MySQLSource, PostgresSource])
def test_something_else_on_the_port(source_class: type) -> None:
    """An HTTP server (or a proxy) where the database should be."""
    server = SilentServer(reply=b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    try:
        result = outcome_of(source_class, {"host": "127.0.0.1", "port": server.port,
                                           "database": "shop", "user": "u",
                                           "password": PASSWORD})
    finally:
        server.close()
    assert not result.ok
    assert result.kind in ("wrong_service", "timeout", "other"), result


def test_unroutable_address_times_out() -> None:
    """A non-routable address: no answer at all (or no route). Networks that intercept every
    outgoing connection (some sandboxes do) answer instead; then this case cannot be played."""
    target = ("10.255.255.1", 5432)
    with socket.socket() as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(target)
            intercepted = True
        except OSError:
            intercepted = False
    if intercepted:
        pytest.skip("outgoing connections to 10.255.255.1 are answered here (a transparent "
                    "proxy); the silent local server covers the timeout")
    result = outcome_of(PostgresSource, {"host": target[0], "port": target[1],
                                         "database": "shop", "user": "u"})
    assert result.kind in ("timeout", "unreachable"), result


def test_postgres_success_and_unknown_database(postgres_url: str) -> None:
    ok = outcome_of(PostgresSource, _pg_trust(postgres_url))
    assert ok.ok and ok.server_version and ok.server_version.startswith("PostgreSQL")
    missing = outcome_of(PostgresSource, _pg_trust(postgres_url, database="tc_no_such_db"))
    assert missing.kind == "unknown_database" and "tc_no_such_db" in missing.message


def test_postgres_wrong_password(scram_cluster: ScramCluster) -> None:
    assert outcome_of(PostgresSource, scram_cluster.config()).ok
    result = outcome_of(PostgresSource, scram_cluster.config(password=WRONG))
    assert result.kind == "wrong_password", result
    assert "password authentication failed" in result.message


def test_postgres_unknown_user_is_wrong_password(scram_cluster: ScramCluster) -> None:
    result = outcome_of(PostgresSource, scram_cluster.config(user="nobody_here"))
    assert result.kind == "wrong_password", result


def test_postgres_unknown_database_on_the_password_cluster(scram_cluster: ScramCluster) -> None:
    result = outcome_of(PostgresSource, scram_cluster.config(database="tc_no_such_db"))
    assert result.kind == "unknown_database", result


def test_postgres_tls_required(scram_cluster: ScramCluster) -> None:
    plain = outcome_of(PostgresSource, scram_cluster.config(user="tlsuser", sslmode="disable"))
    assert plain.kind == "tls_required", plain
    assert "require" in plain.advice
    encrypted = outcome_of(PostgresSource, scram_cluster.config(user="tlsuser",
                                                                sslmode="require"))
    assert encrypted.ok, encrypted


def test_postgres_server_without_tls(postgres_url: str) -> None:
    """sslmode=require against a server without TLS: a TLS failure with its own advice."""
    result = outcome_of(PostgresSource, _pg_trust(postgres_url, sslmode="require"))
    if result.ok:
        pytest.skip("this PostgreSQL offers TLS")
    assert result.kind == "tls_failed" and "does not offer TLS" in result.advice


# --- the same answers on the page, on the command line and in the API ----------------------------


def _register(app: Flask, name: str, kind: str, config: dict[str, Any]) -> None:
    admin.save(app.extensions["toolcrib"], name, kind, config, False, new=True)


def test_page_cli_and_api_agree_on_wrong_password(app: Flask, maria_user: MariaUser) -> None:
    tc = app.extensions["toolcrib"]
    _register(app, "shop", "mysql", maria_user.config(password=WRONG))
    ensure_user(app, "boss", "admin", "password-123")
    page = SessionClient(app, "boss", "password-123")
    answer = page.post("/admin/datasources/shop/edit", data={
        "kind": "mysql", "action": "test", **{f"cfg-{k}": v for k, v in
                                              maria_user.config().items() if k != "password"}},
        headers={"Accept": "application/json"}).get_json()
    with pytest.raises(admin.DataSourceAdminError) as cli:
        admin.test_datasource(tc, "shop")
    assert answer["kind"] == "wrong_password"
    cli_text = str(cli.value)
    assert answer["title"] in cli_text and answer["message"] in cli_text
    assert answer["advice"] in cli_text
    assert WRONG not in cli_text and WRONG not in str(answer)

    with tc.store.session() as session:
        version = app_records.save_version(session, slug="probe", title="Probe", source=(
            "format: 1\napp: probe\ntitle: Probe\npages:\n  - name: main\n    widgets: []\n"
            "queries:\n  one:\n    datasource: shop\n    sql: SELECT 1 AS one\n"))
        app_records.publish(session, version)
    run = app.test_client().post("/api/apps/probe/queries/one/run", json={"state": {}},
                                 headers=bearer(token_for(app, "dev", "developer")))
    assert run.status_code == 502 and run.get_json()["error"]["code"] == "datasource_unavailable"
    assert "Access denied" in run.get_json()["error"]["message"]


def test_cli_test_prints_success(app: Flask, maria_user: MariaUser) -> None:
    _register(app, "shop", "mysql", maria_user.config())
    line = admin.test_datasource(app.extensions["toolcrib"], "shop")
    assert line.startswith("shop: connected to MariaDB") or line.startswith(
        "shop: connected to MySQL")


def test_the_toolcrib_command_prints_the_failure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        maria_user: MariaUser) -> None:
    from builder.cli import main

    monkeypatch.setenv("TOOLCRIB_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("TOOLCRIB_DATABASE_URL", raising=False)
    monkeypatch.delenv("TOOLCRIB_SECRET_KEY", raising=False)
    url = (f"mysql://{maria_user.user}:{WRONG}@{maria_user.host}:{maria_user.port}/"
           f"{maria_user.database}")
    assert main(["datasource", "add", "shop", "--url", url]) == 1
    err = capsys.readouterr().err
    assert "Wrong user name or password" in err and "what to check:" in err
    assert "--no-test" in err and WRONG not in err
    assert main(["datasource", "add", "shop", "--url", url, "--no-test"]) == 0
    capsys.readouterr()
    started = time.monotonic()
    assert main(["datasource", "test", "shop"]) == 1
    assert time.monotonic() - started < DEADLINE_S + 3  # plus starting Toolcrib
    err = capsys.readouterr().err
    assert "Wrong user name or password" in err and "Access denied" in err
    assert "this server connects to" in err and WRONG not in err
