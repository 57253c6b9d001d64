"""Section 3: cold start, resident memory of the whole server, installed size."""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bench import servers
from bench.instance import ROOT, Instance
from bench.procs import Memory, Server
from bench.workloads import api_headers, page_body

RUN_PATH = "/api/apps/order-shipping/queries/getOrders/run"


@dataclass
class ColdStart:
    listen_ms: float
    first_page_ms: float
    idle: Memory
    processes: int


def first_page(server: Server, token: str | None, timeout: float = 30.0) -> bool:
    headers = api_headers(token)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request("POST", RUN_PATH, body=page_body(total=True), headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                return True
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
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

