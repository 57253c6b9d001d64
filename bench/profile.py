"""Where a getOrders request spends its time: py-spy on the running workers under wrk load.

``py-spy record --subprocesses --nonblocking -f raw`` samples the gunicorn workers (idle time
excluded) while the ``read`` workload runs; each sample is put in the bucket of the most specific
known function on its stack, so the buckets add up to the request's CPU time. Lines of
``run_query`` and ``_run_page`` are also broken down with their source text.
"""

from __future__ import annotations

import linecache
import re
import shutil
import subprocess
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import load
from bench.options import Options
from bench.procs import Server
from bench.servers import VENV
from bench.workloads import Workload

#: (label, function, file part): a sample goes to the first bucket in this list whose function
#: is on its stack (specific steps first, their callers last).
BUCKETS = [
    ("sign-in: API token lookup (metadata query)", "_load_from_bearer", "security/auth"),
    ("sign-in: session user load (metadata query)", "_load_from_session", "security/auth"),
    ("allowlist: instance, before_request (metadata query)", "_check_instance_allowlist",
     "builder/web"),
    ("CSRF hook (before_request)", "_csrf", "builder/web"),
    ("published app lookup (metadata query, parsed-spec cache)", "PublishedApps.get",
     "published"),
    ("grant check can_use_app (metadata query)", "can_use_app", "security/auth"),
    ("allowlists: app + data source (2 metadata queries)", "check", "security/allowlists"),
    ("request checks, state schemas, bindings", "prepare_request", "query_runner"),
    ("request body parse", "parse_run_body", "query_runner"),
    ("data-source record lookup Connections.get (metadata query)", "Connections.get",
     "connections"),
    ("audit log insert + commit (metadata DB)", "record", "security/audit"),
    ("audit value redaction", "redact", "security/audit"),
    ("SQL: compile bindings, is_select", "compile_sql", "sql_binding"),
    ("SQL: rows -> JSON-ready dicts (json_rows)", "json_rows", "sql_support"),
    ("SQL: session setup per run (PRAGMA / SET)", "_prepare", "datasources/sql"),
    ("SQL: the COUNT for the total (driver)", "fetch_scalar", "sql_driver"),
    ("SQL: the page's rows (driver)", "fetch_all", "sql_driver"),
    ("SQL: paging wrapper, probe cache", "_run_page", "sql_pages"),
    ("SQL: plain statement (writes)", "_run_plain", "sql_base"),
    ("SQL: pool checkout, BEGIN, COMMIT", "_transaction", "sql_base"),
    ("response JSON encoding (json.dumps)", "json_response", "web/api"),
    ("other run_query work", "run_query", "web/api"),
    ("Flask/Werkzeug/flask-login request handling", "Flask.wsgi_app", "flask/app"),
    ("gunicorn: accept, HTTP parse, write", "SyncWorker.handle", "gunicorn"),
]
LINE_BREAKDOWN = ("run_query", "_run_page")
_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^()]*):(?P<line>\d+)\)$")


@dataclass
class Profile:
    samples: int
    requests: int
    cpu_ms: float
    buckets: list[tuple[str, float]]
    lines: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    leaves: list[tuple[str, float]] = field(default_factory=list)
    raw_path: str = ""


def py_spy() -> str | None:
    local = VENV / "bin" / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def record(server: Server, work: Workload, opts: Options, client: str,
           out: Path, src: Path, seconds: float = 10.0) -> Profile | None:
    exe = py_spy()
    if exe is None:
        return None
    raw = out / "profile-getOrders.txt"
    spy = subprocess.Popen([exe, "record", "--pid", str(server.proc.pid), "--subprocesses",
                            "--nonblocking", "-r", "200", "-d", str(int(seconds)), "-f", "raw",
                            "-o", str(raw)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    result: dict[str, object] = {}

    def drive() -> None:
        before = server.cpu_seconds()
        res = load.run(server.url, work, duration=seconds, connections=opts.connections,
                       threads=opts.threads, client=client)
        result["requests"] = res.requests
        result["cpu"] = server.cpu_seconds() - before

    driver = threading.Thread(target=drive)
    driver.start()
    driver.join()
    spy.wait(timeout=60)
    if not raw.exists():
        return None
    requests = int(result.get("requests", 0))  # type: ignore[call-overload]
    cpu_ms = float(result.get("cpu", 0.0)) * 1000 / max(requests, 1)  # type: ignore[arg-type]
    return summarise(raw, requests, cpu_ms, src)


def summarise(raw: Path, requests: int, cpu_ms: float, src: Path) -> Profile:
    """``src``: the source tree, to read the lines py-spy names by paths relative to it."""
    buckets: Counter[str] = Counter()
    lines: dict[str, Counter[str]] = {name: Counter() for name in LINE_BREAKDOWN}
    leaves: Counter[str] = Counter()
    total = 0
    for text in raw.read_text().splitlines():
        stack, _, count = text.rpartition(" ")
        frames = stack.split(";")
        if not any(f.startswith("SyncWorker.handle ") for f in frames):
            continue  # the master process, or a worker waiting for a connection
        n = int(count)
        total += n
        parsed = [m for m in map(_FRAME.match, frames) if m]
        best = min((i for m in parsed for i, (_, func, part) in enumerate(BUCKETS)
                    if _is(m["func"], func) and part in m["file"]), default=None)
        buckets[BUCKETS[best][0] if best is not None else "other"] += n
        leaves[_short(frames[-1])] += n
        for m in parsed:
            if m["func"].split(".")[-1] in lines:
                code = linecache.getline(str(src / m["file"]), int(m["line"])).strip()
                lines[m["func"].split(".")[-1]][f"{m['line']}: {code}"] += n
    share = (lambda c: [(k, v / total) for k, v in c.most_common()]) if total else (
        lambda c: [])
    return Profile(total, requests, cpu_ms, share(buckets),
                   {k: share(v)[:12] for k, v in lines.items()}, share(leaves)[:15], str(raw))


def _is(func: str, name: str) -> bool:
    return func == name or func.endswith("." + name)


def _short(frame: str) -> str:
    m = _FRAME.match(frame)
    if not m:
        return frame
    path = m["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{m['func']} ({path})"
