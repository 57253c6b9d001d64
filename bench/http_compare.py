"""Section 1: the run API against Datasette, a minimal Flask endpoint and direct SQLAlchemy.

For each workload the sides run one after another in a rotating order, for several rounds;
the table shows medians and Toolcrib's ratios against each side. Server CPU per request is the
growth of utime+stime of the server's processes (master and workers) over the run, divided by
the requests done: it is steadier than requests/s on a shared machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median

from bench import data, load
from bench.instance import ROOT
from bench.options import Options
from bench.procs import Server
from bench.workloads import Workload

WORKLOADS = ("read", "read_nototal", "write")


@dataclass
class Side:
    name: str
    server: Server | None  # None: the direct SQLAlchemy loop
    workload: Callable[[str], Workload | None]
    direct_url: str = ""


@dataclass
class Sample:
    rps: float
    cpu_ms: float
    p99_ms: float
    non_2xx: int
    requests: int
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: int = 0  # connect/read/write errors and timeouts seen by the client


@dataclass
class Row:
    backend: str
    workload: str
    side: str
    samples: list[Sample]

    @property
    def rps(self) -> float:
        return median(s.rps for s in self.samples)

    @property
    def cpu_ms(self) -> float:
        return median(s.cpu_ms for s in self.samples)

    @property
    def p99_ms(self) -> float:
        return median(s.p99_ms for s in self.samples)

    @property
    def non_2xx(self) -> int:
        return sum(s.non_2xx for s in self.samples)

    @property
    def socket_errors(self) -> int:
        return sum(s.socket_errors for s in self.samples)

    def as_json(self) -> dict[str, object]:
        return {"backend": self.backend, "workload": self.workload, "side": self.side,
                "rps": self.rps, "cpu_ms": self.cpu_ms, "p99_ms": self.p99_ms,
                "non_2xx": self.non_2xx, "socket_errors": self.socket_errors,
                "samples": [s.__dict__ for s in self.samples]}


def _direct(side: Side, workload: str, opts: Options, rows: int) -> Sample:
    done = subprocess.run(
        [sys.executable, "-m", "bench.direct", side.direct_url, workload, str(opts.duration),
         str(rows)], cwd=ROOT, capture_output=True, text=True, check=True,
        timeout=opts.duration + 120)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return Sample(rps=got["ops"] / got["seconds"], cpu_ms=got["cpu_ms_per_op"],
                  p99_ms=float("nan"), non_2xx=got["conflicts"], requests=got["ops"])


def measure(side: Side, work: Workload, opts: Options, client: str,
            duration: float | None = None) -> Sample:
    assert side.server is not None
    before = side.server.cpu_seconds()
    res = load.run(side.server.url, work, duration=duration or opts.duration,
                   connections=opts.connections, threads=opts.threads, client=client)
    cpu = side.server.cpu_seconds() - before
    wait_idle(side.server)
    return Sample(rps=res.rps, cpu_ms=cpu * 1000 / max(res.requests, 1), p99_ms=res.p99_ms,
                  non_2xx=res.non_2xx, requests=res.requests, statuses=res.statuses,
                  socket_errors=res.socket_errors)


def wait_idle(server: Server, timeout: float = 15.0) -> None:
    """Let the server finish what wrk left queued when it stopped (up to one request per
    connection): a write landing after the next run's version reset would make that run's
    updates miss their version and answer 409."""
    deadline = time.monotonic() + timeout
    last = server.cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = server.cpu_seconds()
        if now - last < 0.01:
            return
        last = now


def compare(backend: str, sides: list[Side], db_url: str, rows: int, opts: Options,
            client: str, log: Callable[[str], None]) -> list[Row]:
    out: list[Row] = []
    for workload in WORKLOADS:
        present = [s for s in sides if s.server is None or s.workload(workload) is not None]
        for side in present:  # warm-up: pools, caches, the first parse of the app
            if side.server is not None and not opts.short:
                if workload == "write":
                    data.reset_versions(db_url)
                measure(side, side.workload(workload), opts, client,  # type: ignore[arg-type]
                        duration=1.0)
        samples: dict[str, list[Sample]] = {s.name: [] for s in present}
        for rnd in range(opts.rounds):
            order = present[rnd % len(present):] + present[:rnd % len(present)]
            for side in order:
                if workload == "write":
                    data.reset_versions(db_url)
                if side.server is None:
                    sample = _direct(side, workload, opts, rows)
                else:
                    work = side.workload(workload)
                    assert work is not None
                    sample = measure(side, work, opts, client)
                samples[side.name].append(sample)
                log(f"  {backend} {workload} round {rnd + 1} {side.name}: "
                    f"{sample.rps:,.0f}/s, {sample.cpu_ms:.2f} ms CPU, "
                    f"p99 {sample.p99_ms:.1f} ms, non-2xx {sample.non_2xx}, "
                    f"socket errors {sample.socket_errors}")
        out.extend(Row(backend, workload, name, got) for name, got in samples.items())
    return out
