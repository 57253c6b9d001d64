"""Section 3: cold start, resident memory of the whole server, installed size."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bench import load, servers
from bench.instance import ROOT, Instance
from bench.procs import Memory, Server
from bench.workloads import Workload, api_headers, page_body

RUN_PATH = "/api/apps/order-shipping/queries/getOrders/run"


@dataclass
class ColdStart:
    listen_ms: float
    first_page_ms: float
    idle: Memory
    processes: int


def first_page(server: Server, token: str | None, timeout: float = 30.0) -> bool:
    work = Workload("toolcrib", "read", "POST", RUN_PATH, api_headers(token),
                    page_body(total=True))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if load.status_of(server.url, work) == 200:
                return True
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.01)
    return False


def cold_start(inst: Instance, log_dir: Path) -> ColdStart:
    """``toolcrib serve`` from nothing to the first page of orders (migration check included)."""
    started = time.perf_counter()
    server = servers.toolcrib(inst, log_dir, name="toolcrib-cold")
    try:
        listen = (time.perf_counter() - started) * 1000
        if not first_page(server, inst.token):
            raise RuntimeError(f"no successful page from a cold server; see {server.log}")
        first = (time.perf_counter() - started) * 1000
        time.sleep(1.0)  # every worker booted and idle
        return ColdStart(listen, first, server.memory(), len(server.pids()))
    finally:
        server.stop()


#: What gunicorn's master imports, and what each worker imports from the libraries the design
#: names before any Toolcrib module runs (the modules a SQLite-only worker holds).
MASTER_LIBRARIES = ("gunicorn.app.base", "gunicorn.arbiter")
WORKER_LIBRARIES = ("gunicorn.app.base", "gunicorn.workers.sync", "flask", "flask_login",
                    "flask_wtf", "sqlalchemy.orm", "jsonschema", "yaml", "orjson", "sqlite3")
_RSS_AFTER = ("import {modules}\n"
              "print(next(int(l.split()[1]) for l in open('/proc/self/status') "
              "if l.startswith('VmRSS')))")


def _rss_after_import(modules: tuple[str, ...]) -> float:
    """MB resident in a fresh interpreter (started as the server's is) after these imports."""
    done = subprocess.run([sys.executable, "-P", "-c",
                           _RSS_AFTER.format(modules=", ".join(modules))],
                          capture_output=True, text=True, check=True, timeout=120)
    return int(done.stdout.strip()) / 1024


def library_floor(workers: int) -> dict[str, float]:
    """The whole server's RSS sum with the libraries loaded and no Toolcrib code: what the
    ≤ 150 MB target leaves for Toolcrib itself."""
    master = _rss_after_import(MASTER_LIBRARIES)
    worker = _rss_after_import(WORKER_LIBRARIES)
    crypto = _rss_after_import((*WORKER_LIBRARIES, "cryptography.fernet")) - worker
    return {"master_mb": master, "worker_mb": worker, "workers": workers,
            "floor_mb": master + workers * worker, "cryptography_mb": crypto}


def _dist_size(dist: metadata.Distribution) -> int:
    total = 0
    for file in dist.files or ():
        path = Path(str(dist.locate_file(file)))
        if path.is_file():
            total += path.stat().st_size
    return total


def _requirements(dist: metadata.Distribution) -> list[str]:
    names = []
    for req in dist.requires or ():
        if "extra ==" in req:
            continue
        names.append(re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0])
    return names


def installed_size(src: Path = ROOT) -> dict[str, float]:
    """Toolcrib's own files plus every distribution it requires, recursively (MB)."""
    own = sum(p.stat().st_size for folder in ("builder", "widgets", "datasources", "static")
              for p in (src / folder).rglob("*")
              if p.is_file() and "__pycache__" not in p.parts)
    seen: set[str] = set()
    todo = _requirements(metadata.distribution("toolcrib"))
    deps = 0
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        deps += _dist_size(dist)
        todo.extend(_requirements(dist))
    return {"toolcrib_mb": own / 1e6, "deps_mb": deps / 1e6, "total_mb": (own + deps) / 1e6,
            "distributions": float(len(seen))}

