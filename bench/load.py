"""Load generators: ``wrk`` with bench/lua/bench.lua, or a small threaded Python client.

Both keep ``connections`` keep-alive connections busy for ``duration`` seconds against
127.0.0.1 and report requests/s, latency percentiles and the count of each HTTP status.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.workloads import Workload, row_ids, stride_for, update_body

LUA = Path(__file__).with_name("lua") / "bench.lua"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if not 200 <= s < 300)


def status_of(base_url: str, work: Workload) -> int:
    """The HTTP status of one request of ``work`` (its body as given)."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(work.method, work.path, body=work.body, headers=work.headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run(base_url: str, work: Workload, *, duration: float, connections: int, threads: int,
        client: str) -> LoadResult:
    if client == "wrk":
        return run_wrk(base_url, work, duration=duration, connections=connections,
                       threads=threads)
    return run_python(base_url, work, duration=duration, connections=connections)


def run_wrk(base_url: str, work: Workload, *, duration: float, connections: int,
            threads: int) -> LoadResult:
    env = {**os.environ, "BENCH_METHOD": work.method, "BENCH_BODY": work.body or "",
           "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in work.headers.items()),
           "BENCH_STYLE": work.update_style or "", "BENCH_ROWS": str(work.rows),
           "BENCH_STRIDE": str(stride_for(work.rows)), "BENCH_THREADS": str(threads)}
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
            "--latency", "--timeout", "10s", "-s", str(LUA), base_url + work.path]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True,
                         timeout=duration + 60).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> LoadResult:
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+),", out)
    if done is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    seconds = float(done.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[done.group(3)]

    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")

    status = re.search(r"^BENCH_STATUS (\{.*\})\s*$", out, re.M)
    statuses = {int(k): v for k, v in json.loads(status.group(1)).items()} if status else {}
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    return LoadResult(requests=int(done.group(1)), seconds=seconds, p50_ms=pct("50"),
                      p99_ms=pct("99"), statuses=statuses,
                      socket_errors=sum(map(int, errors.groups())) if errors else 0)


def run_python(base_url: str, work: Workload, *, duration: float,
               connections: int) -> LoadResult:
    """The fallback client: one thread per connection (fine for smoke runs, not for records)."""
    host, port = base_url.removeprefix("http://").split(":")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def worker(index: int) -> None:
        ids = row_ids(work.rows, start=index, step=connections) if work.update_style else None
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        mine: list[tuple[float, int]] = []
        while time.perf_counter() < deadline:
            body = update_body(work.update_style, next(ids)) if ids else work.body
            started = time.perf_counter()
            try:
                conn.request(work.method, work.path, body=body, headers=work.headers)
                resp = conn.getresponse()
                resp.read()
            except (OSError, http.client.HTTPException):
                with lock:
                    errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
                continue
            mine.append(((time.perf_counter() - started) * 1000, resp.status))
        conn.close()
        with lock:
            for ms, status in mine:
                latencies.append(ms)
                statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    seconds = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] if latencies else 0.0

    return LoadResult(requests=len(latencies), seconds=seconds, p50_ms=pct(0.5),
                      p99_ms=pct(0.99), statuses=statuses, socket_errors=errors[0])
