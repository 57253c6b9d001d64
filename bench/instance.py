"""A temporary Toolcrib instance, set up with the CLI the way an operator would.

``toolcrib datasource add`` for ``shop`` (the 100,000-row table) and ``bigshop`` (the big
table, or the same one), ``toolcrib apps import --publish`` of the flagship app and of
``bench/apps/``, then an operator and an API token (``bench/provision.py``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_APPS = Path(__file__).with_name("apps")
FLAGSHIP_FILE = "order_shipping.yaml"
TOOLCRIB = [sys.executable, "-m", "builder.cli"]  # what the `toolcrib` script runs


@dataclass
class Instance:
    path: Path
    src: Path  # the Toolcrib source tree being measured
    env: dict[str, str]
    token: str | None
    username: str
    password: str

    def serve_argv(self, port: int) -> list[str]:
        return [*TOOLCRIB, "serve", "--host", "127.0.0.1", "--port", str(port)]


def toolcrib(env: dict[str, str], src: Path, *args: str) -> str:
    done = subprocess.run([*TOOLCRIB, *args], env=env, cwd=src, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"toolcrib {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def create(path: Path, datasources: dict[str, str], src: Path = ROOT) -> Instance:
    """``src`` is the Toolcrib tree to run (first on PYTHONPATH, ahead of the editable install)."""
    path.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TOOLCRIB_INSTANCE_PATH": str(path),
           "PYTHONPATH": os.pathsep.join(dict.fromkeys(filter(None, [
               str(src), str(ROOT), os.environ.get("PYTHONPATH")])))}
    env.pop("TOOLCRIB_DATABASE_URL", None)
    for name, url in datasources.items():
        toolcrib(env, src, "datasource", "add", name, "--url", url)
    apps = path / "apps"  # the flagship and the bench apps only: other bundled apps may need
    apps.mkdir(exist_ok=True)  # data sources the bench does not set up
    for app_file in [src / "apps" / FLAGSHIP_FILE, *sorted(BENCH_APPS.glob("*.yaml"))]:
        shutil.copyfile(app_file, apps / app_file.name)
    toolcrib(env, src, "apps", "import", str(apps), "--publish")
    username, password = "bench-operator", secrets.token_urlsafe(12)
    done = subprocess.run([sys.executable, "-m", "bench.provision", username, password],
                          env=env, cwd=src, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"cannot create the bench user and token:\n{done.stderr}")
    info = json.loads(done.stdout.strip().splitlines()[-1])
    return Instance(path, src, env, info.get("token"), username, password)


def snapshot(spec: str, dest: Path) -> Path:
    """The source tree named by ``--src``: a folder, or ``git:REV`` (exported from this repo)."""
    if not spec.startswith("git:"):
        return Path(spec).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", spec[4:]], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest
