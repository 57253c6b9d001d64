"""Servers the harness starts, and what /proc says about them (CPU time, RSS, PSS)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(ready: Callable[[], bool], timeout: float, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return True
        time.sleep(interval)
    return False


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rpartition(")")[2].split()  # fields from the 3rd ("state") on


def children(pid: int) -> list[int]:
    """Descendants of ``pid`` (gunicorn's workers), found through /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found.extend(kids)
        frontier.extend(kids)
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _kb(path: str, key: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass(frozen=True)
class Memory:
    rss_kb: int  # sum over the processes (counts shared pages once per process)
    pss_kb: int  # proportional set size: shared pages divided among their users
    peak_kb: int  # largest VmHWM (peak RSS) of any one process

    @property
    def rss_mb(self) -> float:
        return self.rss_kb / 1024

    @property
    def pss_mb(self) -> float:
        return self.pss_kb / 1024

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def memory(pids: Sequence[int]) -> Memory:
    return Memory(
        rss_kb=sum(_kb(f"/proc/{p}/status", "VmRSS") for p in pids),
        pss_kb=sum(_kb(f"/proc/{p}/smaps_rollup", "Pss") for p in pids),
        peak_kb=max((_kb(f"/proc/{p}/status", "VmHWM") for p in pids), default=0),
    )


@dataclass
class Server:
    """A process group the harness started (a gunicorn master and its workers, or Datasette)."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pids())

    def memory(self) -> Memory:
        return memory(self.pids())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # our own group, started below
                self.proc.wait(timeout=5)


class StartError(RuntimeError):
    pass


def start(name: str, argv: Sequence[str], *, port: int, log: Path, env: dict[str, str],
          cwd: Path | None = None, timeout: float = 30.0) -> Server:
    """Start ``argv`` in its own process group and wait until ``port`` accepts connections."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(list(argv), stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=cwd, start_new_session=True)
    server = Server(name, proc, port, log)
    if not wait_until(lambda: port_open(port) or proc.poll() is not None, timeout):
        server.stop()
        raise StartError(f"{name} did not listen on port {port} within {timeout:g} s; see {log}")
    if proc.poll() is not None:
        raise StartError(f"{name} exited with status {proc.returncode}; see {log}:\n"
                         + log.read_text(errors="replace")[-2000:])
    return server
