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
    for heading in ("### 1. Query over HTTP", "### 1b. Ceiling", "### 2. Big table",
                    "### 3. Footprint",
                    "### 5. Concurrency", "### Machine"):
        assert heading in markdown
    assert markdown in done.stdout

    results = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    # Toolcrib was called as an operator with an API token, not through an open API.
    assert not [n for n in results["notes"] if "without a token" in n], results["notes"]
    sides = {(r["workload"], r["side"]) for r in results["http"]}
    for workload in ("read", "read_nototal", "write"):
        assert {(workload, "toolcrib"), (workload, "flask"), (workload, "direct"),
                (workload, "unguarded"), (workload, "flask_secured")} <= sides
    # Every side, baselines included, did its work: requests answered 2xx (a write that missed
    # its row's version counts as non-2xx), no socket errors. A broken baseline would make the
    # comparison meaningless, so it fails here as Toolcrib would.
    for row in results["http"]:
        what = (row["workload"], row["side"], row["samples"])
        assert row["samples"] and all(s["requests"] > 0 for s in row["samples"]), what
        assert row["non_2xx"] == 0 and row["socket_errors"] == 0, what
    # Big table: every page came back full (50 rows of the 5,000), with its total.
    big = results["big"]
    assert big and all(r["status"] == 200 and r["rows"] == 50 and r["total"] >= 50
                       for r in big), big
    assert big[0]["label"] == "first page" and big[0]["total"] == 5000, big[0]
    assert results["footprint"]["cold"]["first_page_ms"] > 0
    assert results["footprint"]["loaded"]["rss_mb"] > 0
    floor = results["footprint"]["floor"]
    assert 0 < floor["master_mb"] < floor["worker_mb"] < floor["floor_mb"], floor
    assert [c["case"] for c in results["concurrency"]] == ["distinct rows", "same row"]
    assert all(c["ok"] for c in results["concurrency"]), results["concurrency"]
