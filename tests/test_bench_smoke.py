"""Smoke check of the benchmark harness (bench/): ``python -m bench --short`` runs end to end.

Tiny tables, one short round, SQLite only, the Python load client (so wrk is not needed). It
checks that every section produced its rows and that Toolcrib answered without errors; it makes
no timing assertions: the figures of a smoke run on a busy test machine mean nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_short_mode_runs_every_section(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--short", "--client", "python", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]

    markdown = (tmp_path / "latest.md").read_text(encoding="utf-8")
    for heading in ("### 1. Query over HTTP", "### 2. Big table", "### 3. Footprint",
                    "### 5. Concurrency", "### Machine"):
        assert heading in markdown
    assert markdown in done.stdout

    results = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    sides = {(r["workload"], r["side"]) for r in results["http"]}
    for workload in ("read", "read_nototal", "write"):
        assert {(workload, "toolcrib"), (workload, "flask"), (workload, "direct")} <= sides
    toolcrib = [r for r in results["http"] if r["side"] == "toolcrib"]
    assert all(r["samples"][0]["requests"] > 0 and r["non_2xx"] == 0 for r in toolcrib)
    assert results["big"] and all(r["status"] == 200 for r in results["big"])
    assert results["footprint"]["cold"]["first_page_ms"] > 0
    assert [c["case"] for c in results["concurrency"]] == ["distinct rows", "same row"]
    assert all(c["ok"] for c in results["concurrency"]), results["concurrency"]
