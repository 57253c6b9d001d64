"""The results as markdown tables (bench/results/latest.md, docs/performance.md)."""

from __future__ import annotations

import math
from statistics import median
from typing import Any

SIDES = {
    "toolcrib": "Toolcrib `serve` (sign-in token, allowlists, audit on)",
    "flask": "minimal Flask + SQLAlchemy, gunicorn sync",
    "datasette": "Datasette canned query (as shipped)",
    "direct": "same statements, SQLAlchemy loop (no HTTP)",
    "unguarded": "Toolcrib without audit log and allowlists (measurement only)",
    "flask_secured": "the Flask endpoint + token lookup, IP allowlist, audit row (hand-written)",
}
WORKLOADS = {
    "read": "getOrders: 50-row page + total",
    "read_nototal": "getOrders: 50-row page, `total: false`",
    "write": "updateOrder (version check, expectRows 1)",
}
BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}


def _n(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out + [""]


def http_section(rows: list[dict[str, Any]], workers: int) -> list[str]:
    lines = ["### 1. Query over HTTP (100,000-row orders table)", "",
             f"wrk -c{{connections}}, medians of the rounds; Toolcrib and the Flask endpoint "
             f"run {workers} gunicorn sync workers. CPU is the server processes' "
             "utime+stime per request (the direct loop: its own process per statement). "
             "Ratios are Toolcrib ÷ that side, the median of the per-round ratios: above 1 "
             "means Toolcrib is faster (req/s) or costlier (CPU).", ""]
    body = []
    by_key = {(r["backend"], r["workload"], r["side"]): r for r in rows}
    for r in rows:
        tc = by_key.get((r["backend"], r["workload"], "toolcrib"))
        ratio_rps = ratio_cpu = "—"
        if tc and r["side"] != "toolcrib" and r["rps"] and r["cpu_ms"]:
            ratio_rps = f"{_round_ratio(tc, r, 'rps'):.2f}×"
            ratio_cpu = f"{_round_ratio(tc, r, 'cpu_ms'):.2f}×"
        body.append([BACKENDS[r["backend"]], WORKLOADS[r["workload"]], SIDES[r["side"]],
                     _n(r["rps"]), _n(r["cpu_ms"], 2), _n(r["p99_ms"], 1), str(r["non_2xx"]),
                     str(r.get("socket_errors", "—")), ratio_rps, ratio_cpu])
    return lines + _table(["DB", "workload", "side", "req/s", "CPU ms/req", "p99 ms",
                           "non-2xx", "socket errors", "TC÷side req/s", "TC÷side CPU"], body)


def _round_ratio(tc: dict[str, Any], other: dict[str, Any], key: str) -> float:
    """Median over rounds of Toolcrib ÷ side, each round's pair measured minutes apart at
    most: steadier than a ratio of medians on a machine others share."""
    pairs = zip(tc["samples"], other["samples"], strict=False)
    return median(a[key] / b[key] for a, b in pairs if b[key])


def ceiling_section(rows: list[dict[str, Any]]) -> list[str]:
    """What the audit log and allowlists cost, and how near the Flask endpoint Toolcrib would be
    without them (bench/unguarded.py): every pair from the same rounds."""
    by_key = {(r["backend"], r["workload"], r["side"]): r for r in rows}
    body = []
    for (backend, workload, side), bare in by_key.items():
        tc, flask = by_key.get((backend, workload, "toolcrib")), by_key.get(
            (backend, workload, "flask"))
        if side != "unguarded" or tc is None or flask is None:
            continue
        secured = by_key.get((backend, workload, "flask_secured"))
        body.append([BACKENDS[backend], WORKLOADS[workload],
                     f"{_round_ratio(tc, flask, 'rps'):.2f}×",
                     f"{_round_ratio(bare, flask, 'rps'):.2f}×",
                     f"{_round_ratio(tc, bare, 'rps'):.2f}×",
                     _n((tc["cpu_ms"] - bare["cpu_ms"]) * 1000),
                     f"{_round_ratio(tc, secured, 'rps'):.2f}×" if secured else "—"])
    if not body:
        return []
    return (["### 1b. Ceiling: Toolcrib without its audit log and allowlists", "",
             "The same server and instance with `audit.record` and the allowlist checks made "
             "no-ops (bench/unguarded.py; sign-in, grants, CSRF and state checks stay on). Not "
             "a way to run Toolcrib: it shows what those two features cost and how near the "
             "minimal Flask endpoint Toolcrib would come without them. The last column "
             "compares Toolcrib with the Flask endpoint given the least security a team would "
             "hand-write (bench/baseline_flask_secured.py: API token looked up per request, IP "
             "allowlist, an audit row committed before the answer).", ""]
            + _table(["DB", "workload", "Toolcrib ÷ Flask req/s", "unguarded ÷ Flask req/s",
                      "Toolcrib ÷ unguarded req/s", "audit + allowlists, µs CPU/request",
                      "Toolcrib ÷ secured Flask req/s"], body))


def big_section(rows: list[dict[str, Any]], memory: dict[str, dict[str, float]],
                count: int) -> list[str]:
    lines = [f"### 2. Big table ({count:,} orders), 50-row pages through the run API", "",
             "Server ms is the response's `duration_ms` (the data source's work); wall ms is "
             "what the client waited. Medians. Target ≤ 100 ms for first/last pages and "
             "indexed sorts.", ""]
    body = []
    for r in rows:
        verdict = "—"
        if r["target_ms"]:
            verdict = "met" if r["server_ms"] <= r["target_ms"] else "MISSED"
        body.append([BACKENDS[r["backend"]], r["label"], _n(r["server_ms"], 1),
                     _n(r["wall_ms"], 1), _n(r["server_ms_no_total"], 1),
                     _n(r["wall_ms_no_total"], 1), _n(r["total"]), str(r["status"]), verdict])
    lines += _table(["DB", "request", "server ms", "wall ms", "server ms, no total",
                     "wall ms, no total", "total", "HTTP", "≤ 100 ms"], body)
    for backend, m in memory.items():
        lines.append(f"- {BACKENDS[backend]}: peak RSS of a server process "
                     f"{m['peak_before_mb']:.1f} MB before → {m['peak_after_mb']:.1f} MB after; "
                     f"whole server RSS {m['rss_before_mb']:.1f} → {m['rss_after_mb']:.1f} MB")
    return lines + [""]


def footprint_section(f: dict[str, Any]) -> list[str]:
    rows = []
    if "cold" in f:
        c = f["cold"]
        rows += [
            ["cold start: `toolcrib serve` → port listening", f"{_n(c['listen_ms'])} ms", ""],
            ["cold start: `toolcrib serve` → first page of orders (200)",
             f"{_n(c['first_page_ms'])} ms", "≤ 2,000 ms"],
            [f"idle RSS, sum of {c['processes']} processes (master + workers)",
             f"{c['idle_rss_mb']:.1f} MB", "≤ 150 MB"],
            ["idle PSS, sum (shared pages counted once)", f"{c['idle_pss_mb']:.1f} MB", ""],
        ]
    if "loaded" in f:
        m = f["loaded"]
        rows += [["loaded RSS, sum (after the SQLite HTTP runs)", f"{m['rss_mb']:.1f} MB",
                  "≤ 150 MB"],
                 ["loaded PSS, sum", f"{m['pss_mb']:.1f} MB", ""],
                 ["peak RSS of one process (VmHWM)", f"{m['peak_mb']:.1f} MB", ""]]
    if "floor" in f:
        lf = f["floor"]
        rows += [[f"library floor: master + {int(lf['workers'])} workers that import only the "
                  "libraries (gunicorn, Flask, SQLAlchemy ORM, jsonschema…), no Toolcrib code",
                  f"{lf['floor_mb']:.1f} MB ({lf['master_mb']:.1f} + {int(lf['workers'])} × "
                  f"{lf['worker_mb']:.1f})", ""],
                 ["cryptography (Fernet) in each worker, on top", f"{lf['cryptography_mb']:.1f} MB",
                  ""]]
    if "installed" in f:
        s = f["installed"]
        rows += [["installed size: Toolcrib's own files", f"{s['toolcrib_mb']:.1f} MB", ""],
                 [f"installed size: {int(s['distributions'])} dependency distributions",
                  f"{s['deps_mb']:.1f} MB", ""],
                 ["installed size: total", f"{s['total_mb']:.1f} MB", ""]]
    return ["### 3. Footprint", ""] + _table(["measure", "value", "target"], rows)


def pageload_section(p: dict[str, Any]) -> list[str]:
    seen = f"{_n(p['cold_seen_ms'])} ms" if "cold_seen_ms" in p else "—"
    rows = [[f"{_n(p['cold_ms'])} ms", f"{_n(p['warm_ms'])} ms", seen, f"{p['cold_bytes']:,} B",
             f"{p['warm_bytes']:,} B", str(p["requests"]), "≤ 1,000 ms"]]
    return (["### 4. Page load: /apps/order-shipping in headless Chromium", "",
             f"Navigation start → first table row rendered, stamped in the page at the animation "
             f"frame after the row appears; median of {p['runs']} runs (cold: new browser "
             "context; warm: same page again). \"Seen by the driver\" is when Playwright noticed "
             "the cold row (its polling and round trips included).", ""]
            + _table(["TTI cold", "TTI warm", "seen by the driver, cold", "bytes cold",
                      "bytes warm", "requests", "target"], rows) + _big_table_rows(p.get("big")))


def _big_table_rows(big: dict[str, Any] | None) -> list[str]:
    if not big:
        return []
    rows = [[str(big["rows_first_page"]), str(big["rows_last_page"]),
             f"{_n(big['last_page_ms'])} ms", big["counter"] or "—"]]
    return ([f"The big table (`/apps/bench-big`, 50 rows a page), median of {big['runs']} "
             "runs: rows in the DOM, and a click on the pager's \"last\" button until the last "
             "page's first row is on screen.", ""]
            + _table(["rows in the DOM, first page", "rows in the DOM, last page",
                      "click → last page shown", "pager"], rows))


def concurrency_section(rows: list[dict[str, Any]]) -> list[str]:
    body = [[BACKENDS[r["backend"]], r["case"], str(r["sent"]),
             ", ".join(f"{k}×{v}" for k, v in sorted(r["statuses"].items())),
             r["detail"], "ok" if r["ok"] else "FAILED"] for r in rows]
    return (["### 5. Concurrency: simultaneous updateOrder calls", ""]
            + _table(["DB", "case", "calls", "HTTP statuses", "database afterwards", "verdict"],
                     body))


def profile_section(p: dict[str, Any]) -> list[str]:
    lines = ["### Profile: where a getOrders request (page + total, SQLite) spends CPU", "",
             f"py-spy, {p['samples']:,} samples over {p['requests']:,} requests at "
             f"{p['cpu_ms']:.2f} ms CPU/request (while sampled).", ""]
    rows = [[label, f"{share * 100:.1f}%", _n(share * p["cpu_ms"] * 1000)]
            for label, share in p["buckets"]]
    lines += _table(["step", "share", "≈ µs/request"], rows)
    for func, items in p["lines"].items():
        if items:
            lines += [f"Lines of `{func}`:", ""]
            lines += _table(["line", "share"], [[f"`{k}`", f"{v * 100:.1f}%"]
                                                for k, v in items[:8]])
    return lines


def machine_section(info: dict[str, str]) -> list[str]:
    return ["### Machine", ""] + _table(["", ""], [[k, v] for k, v in info.items()])


def render(results: dict[str, Any]) -> str:
    opts = results["options"]
    lines = [f"## Results ({'short smoke run' if opts['short'] else 'full run'}, "
             f"{results['finished']})", "",
             f"Rounds {opts['rounds']} × {opts['duration']:g} s per side, "
             f"{opts['connections']} connections, client {results['client']}; Toolcrib "
             f"measured: {results.get('source', 'this checkout')}.", ""]
    if results.get("http"):
        lines += [x.replace("{connections}", str(opts["connections"]))
                  for x in http_section(results["http"], results.get("workers", 0))]
        lines += ceiling_section(results["http"])
    if results.get("big"):
        lines += big_section(results["big"], results.get("big_memory", {}), opts["big_rows"])
    if results.get("footprint"):
        lines += footprint_section(results["footprint"])
    if results.get("pageload"):
        lines += pageload_section(results["pageload"])
    if results.get("concurrency"):
        lines += concurrency_section(results["concurrency"])
    if results.get("profile"):
        lines += profile_section(results["profile"])
    if results.get("notes"):
        lines += ["### Notes", ""] + [f"- {n}" for n in results["notes"]] + [""]
    lines += machine_section(results["machine"])
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # python -m bench.report bench/results/latest.json: render it again
    import json
    import sys
    from pathlib import Path

    source = Path(sys.argv[1])
    rendered = render(json.loads(source.read_text(encoding="utf-8")))
    source.with_suffix(".md").write_text(rendered, encoding="utf-8")
    print(rendered)
