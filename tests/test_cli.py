"""The `toolcrib` command line as a person uses it from a fresh clone."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from builder.cli import main
from builder.config import PROJECT_ROOT


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "instance"
    monkeypatch.setenv("TOOLCRIB_INSTANCE_PATH", str(path))
    monkeypatch.delenv("TOOLCRIB_DATABASE_URL", raising=False)
    monkeypatch.delenv("TOOLCRIB_SECRET_KEY", raising=False)
    return path


def test_validate_bundled_apps_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(PROJECT_ROOT / "apps"), "--datasource", "shop",
                 "--datasource", "shop_mongo"]) == 0
    assert capsys.readouterr().out == ""


def test_validate_reports_file_line_col_and_exit_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = (PROJECT_ROOT / "apps" / "order_shipping.yaml").read_text(encoding="utf-8")
    broken = broken.replace("type: table", "type: tabel").replace(
        "datasource: shop\n    # The", "datasource: shopp\n    # The")
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    assert main(["validate", str(tmp_path), "--datasource", "shop"]) == 1
    out = capsys.readouterr().out.splitlines()
    type_line = next(n for n, line in enumerate(broken.splitlines(), 1) if "type: tabel" in line)
    assert any(line.startswith(f"{path}:{type_line}:") and "did you mean 'table'" in line
               for line in out), out
    assert any("shopp" in line and "did you mean 'shop'" in line for line in out), out


def test_validate_writes_the_schema(tmp_path: Path) -> None:
    target = tmp_path / "app.schema.json"
    assert main(["validate", str(PROJECT_ROOT / "apps"), "--datasource", "shop",
                 "--datasource", "shop_mongo", "--write-schema", str(target)]) == 0
    committed = PROJECT_ROOT / "builder" / "appspec" / "app.schema.json"
    assert target.read_text() == committed.read_text()


def test_datasource_add_list_never_shows_the_password(
        instance: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+psycopg://app:s3cr3t-pw@127.0.0.1:1/shop"
    assert main(["datasource", "add", "remote", "--url", url, "--no-test"]) == 0
    assert main(["datasource", "add", "remote", "--url", url, "--no-test"]) == 1
    assert main(["datasource", "list"]) == 0
    out = capsys.readouterr()
    assert "remote" in out.out and "postgresql" in out.out
    assert "s3cr3t-pw" not in out.out + out.err
    assert "already exists" in out.err
    metadata = (instance / "toolcrib.db").read_bytes()
    assert b"s3cr3t-pw" not in metadata, "credentials must be encrypted at rest"
    assert oct((instance / "secret.key").stat().st_mode & 0o777) == "0o600"


def test_datasource_add_tests_the_connection_first(
        instance: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+psycopg://app:pw@127.0.0.1:1/shop"
    assert main(["datasource", "add", "remote", "--url", url]) == 1
    assert "connection test failed" in capsys.readouterr().err
    assert main(["datasource", "list"]) == 0
    assert "remote" not in capsys.readouterr().out


def test_apps_export_import_export_is_byte_identical(instance: Path, tmp_path: Path) -> None:
    assert main(["demo", "--no-serve", "--orders", "50"]) == 0
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["apps", "export", str(first)]) == 0
    assert main(["apps", "import", str(first), "--publish"]) == 0
    assert main(["apps", "export", str(second)]) == 0
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir()) and names
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    bundled = PROJECT_ROOT / "apps" / "order_shipping.yaml"
    assert (first / "order_shipping.yaml").read_bytes() == bundled.read_bytes()


def test_import_refuses_the_whole_folder_when_one_file_is_bad(
        instance: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--no-serve", "--orders", "20"]) == 0
    folder = tmp_path / "apps"
    folder.mkdir()
    good = (PROJECT_ROOT / "apps" / "order_shipping.yaml").read_text(encoding="utf-8")
    (folder / "a.yaml").write_text(good.replace("title: 订单发货", "title: 新标题"), "utf-8")
    (folder / "b.yaml").write_text("format: 1\napp: [broken\n", "utf-8")
    assert main(["apps", "import", str(folder), "--publish"]) == 1
    assert "nothing imported" in capsys.readouterr().err
    assert main(["apps", "list"]) == 0
    assert "新标题" not in capsys.readouterr().out


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_command_serves_the_flagship_app(tmp_path: Path) -> None:
    """The README's run command, as a real process from a fresh folder (gunicorn)."""
    port = _free_port()
    exe = shutil.which("toolcrib") or f"{sys.executable} -m builder.cli"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOOLCRIB_")}
    proc = subprocess.Popen([*exe.split(), "demo", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/apps/order-shipping"
        browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        deadline = time.monotonic() + 60
        while True:
            try:
                with browser.open(url, timeout=2) as response:
                    login_page = response.read().decode()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"demo did not serve: {proc.communicate()[0]}")
                time.sleep(0.3)
        assert 'name="password"' in login_page, "the app asks to sign in first"
        credentials = (tmp_path / "instance" / "demo-credentials.txt").read_text()
        password = re.search(r"^ops \(operator\): (\S+)$", credentials, re.M).group(1)
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode({"login": "ops", "password": password,
                                       "csrf_token": token, "next": "/apps/order-shipping"})
        with browser.open(f"{base}/login", data=form.encode(), timeout=5) as response:
            html = response.read().decode()
        assert "订单发货" in html
        assert (tmp_path / "instance" / "shop.db").exists()
        assert (tmp_path / "instance" / "toolcrib.db").exists()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=20)[0]
    assert url in output
    assert f"created operator user 'ops' with password {password}" in output
