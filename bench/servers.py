"""Starting the servers: Toolcrib as shipped, the Flask baseline, Datasette, and for the
``ceiling`` section Toolcrib without its audit log and allowlists (bench/unguarded.py) and the
Flask baseline with a hand-written token check, allowlist and audit row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench import procs, statements
from bench.instance import ROOT, Instance
from bench.procs import Server

VENV = Path(__file__).with_name(".venv")


def toolcrib(inst: Instance, log_dir: Path, name: str = "toolcrib") -> Server:
    """``toolcrib serve``: gunicorn, sync workers, its default worker count (one per core)."""
    port = procs.free_port()
    return procs.start(name, inst.serve_argv(port), port=port, env=inst.env, cwd=inst.src,
                       log=log_dir / f"{name}.log")


def toolcrib_unguarded(inst: Instance, log_dir: Path) -> Server:
    """The same server and instance with the audit log and allowlists off: measurement only."""
    port = procs.free_port()
    argv = [sys.executable, "-m", "bench.unguarded", "--port", str(port)]
    env = {**inst.env, "PYTHONPATH": os.pathsep.join([*inst.env["PYTHONPATH"].split(os.pathsep),
                                                      str(ROOT)])}
    return procs.start("unguarded", argv, port=port, env=env, cwd=inst.src,
                       log=log_dir / "unguarded.log")


def toolcrib_workers() -> int:
    from builder.server import default_workers

    return default_workers()


def flask(db_url: str, log_dir: Path, workers: int) -> Server:
    port = procs.free_port()
    argv = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync",
            "-b", f"127.0.0.1:{port}", *_no_control_socket(), "bench.baseline_flask:app"]
    env = {**os.environ, "BENCH_DB_URL": db_url}
    return procs.start("flask", argv, port=port, env=env, cwd=ROOT, log=log_dir / "flask.log")


def flask_secured(db_url: str, log_dir: Path, workers: int, token: str) -> Server:
    """The minimal endpoint plus token lookup, IP allowlist and audit row (hand-written)."""
    meta_url = f"sqlite:///{log_dir / 'flask-secured-meta.db'}"
    env = {**os.environ, "BENCH_DB_URL": db_url, "BENCH_META_URL": meta_url}
    subprocess.run([sys.executable, "-m", "bench.baseline_flask_secured", meta_url, token],
                   env=env, cwd=ROOT, check=True, capture_output=True, timeout=60)
    port = procs.free_port()
    argv = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync",
            "-b", f"127.0.0.1:{port}", *_no_control_socket(), "bench.baseline_flask_secured:app"]
    return procs.start("flask-secured", argv, port=port, env=env, cwd=ROOT,
                       log=log_dir / "flask-secured.log")


def _no_control_socket() -> list[str]:
    """gunicorn 27 opens a control socket at one fixed path per user: keep out of its way."""
    from gunicorn.config import KNOWN_SETTINGS

    return ["--no-control-socket"] if any(
        s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


def datasette_path() -> Path | None:
    path = VENV / "bin" / "datasette"
    return path if path.exists() else None


def datasette(db_file: Path, log_dir: Path) -> Server:
    """Datasette as it ships (one process), with the two canned queries on ``db_file``."""
    metadata = {"databases": {db_file.stem: {"queries": {
        "getOrders": {"sql": statements.PAGE},
        "updateOrder": {"sql": statements.UPDATE, "write": True},
    }}}}
    meta_path = log_dir / "datasette-metadata.json"
    meta_path.write_text(json.dumps(metadata, indent=2))
    port = procs.free_port()
    exe = datasette_path()
    assert exe is not None
    argv = [str(exe), "serve", str(db_file), "-m", str(meta_path), "-h", "127.0.0.1",
            "-p", str(port)]
    return procs.start("datasette", argv, port=port, env=dict(os.environ), cwd=log_dir,
                       log=log_dir / "datasette.log")
