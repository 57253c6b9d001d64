"""Section 2: pages of a big table through the run API (first, middle, last, sorted, filtered).

Each request runs ``repeats`` times with the total (as the browser's table asks) and without it;
the table shows the median server time (``duration_ms`` of the response: the data source's
work), the median wall time seen by the client, and the workers' peak RSS before and after.
"""

from __future__ import annotations

import http.client
import json
import math
import time
from dataclasses import dataclass
from statistics import median

from bench.procs import Server
from bench.workloads import api_headers

PATH = "/api/apps/bench-big/queries/allOrders/run"
SIZE = 50


@dataclass
class Case:
    label: str
    page: dict[str, object]
    target_ms: float | None  # the ≤ 100 ms target applies to indexed sorts, first and last pages


@dataclass
class Result:
    backend: str
    label: str
    server_ms: float
    wall_ms: float
    server_ms_no_total: float
    wall_ms_no_total: float
    rows: int
    total: int | None
    status: int
    target_ms: float | None


#: What the browser's table sends with every page: its rowKey (bench/apps/bench_big.yaml).
KEY = {"key": "id"}


def cases(rows: int) -> list[Case]:
    pages = max(1, math.ceil(rows / SIZE))
    middle = min(10_000, max(1, pages // 2))
    return [
        Case("first page", {"number": 1, **KEY}, 100),
        Case(f"page {middle:,} (offset {(middle - 1) * SIZE:,})", {"number": middle, **KEY}, None),
        # No sort chosen: the table's rowKey orders the pages (datasources/base.py PageRequest).
        Case(f"last page ({pages:,}), no sort", {"number": pages, **KEY}, 100),
        Case(f"last page ({pages:,}), no sort and no key (a bare API call: no order at all)",
             {"number": pages}, None),
        # What the flagship table sends: its defaultSort (id asc) on every page.
        Case(f"last page ({pages:,}) sorted by id, as the flagship table asks",
             {"number": pages, "sort": [{"column": "id", "dir": "asc"}], **KEY}, 100),
        Case("sorted by created_at desc (indexed), page 1",
             {"number": 1, "sort": [{"column": "created_at", "dir": "desc"}], **KEY}, 100),
        Case("sorted by id desc (primary key), page 1",
             {"number": 1, "sort": [{"column": "id", "dir": "desc"}], **KEY}, 100),
        Case("sorted by amount desc (not indexed), page 1",
             {"number": 1, "sort": [{"column": "amount", "dir": "desc"}], **KEY}, None),
        Case("filtered status = shipped (indexed), page 1",
             {"number": 1, "filter": [{"column": "status", "op": "=", "value": "shipped"}],
              **KEY}, None),
        Case("filtered address contains 上海市 (not indexed), page 1",
             {"number": 1, "filter": [{"column": "address", "op": "contains",
                                       "value": "上海市"}], **KEY}, None),
    ]


def _post(server: Server, token: str | None, page: dict[str, object],
          total: bool) -> tuple[int, float, dict[str, object]]:
    body = {"state": {}, "page": {"size": SIZE, **page, **({} if total else {"total": False})}}
    headers = api_headers(token)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        started = time.perf_counter()
        conn.request("POST", PATH, body=json.dumps(body), headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        wall = (time.perf_counter() - started) * 1000
    finally:
        conn.close()
    return resp.status, wall, json.loads(raw)


def _med(timings: list[tuple[float, float]], i: int) -> float:
    return median(t[i] for t in timings) if timings else float("nan")


def run(backend: str, server: Server, token: str | None, rows: int,
        repeats: int) -> tuple[list[Result], dict[str, float]]:
    before = server.memory()
    results = []
    for case in cases(rows):
        timings: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        status, got = 0, {}
        for _ in range(repeats):
            for total in (True, False):
                status, wall, reply = _post(server, token, case.page, total)
                if status == 200:
                    timings[total].append((float(reply["duration_ms"]), wall))  # type: ignore
                    if total:
                        got = reply
                else:
                    got = reply
        results.append(Result(backend, case.label, _med(timings[True], 0),
                              _med(timings[True], 1), _med(timings[False], 0),
                              _med(timings[False], 1), len(got.get("rows", [])),  # type: ignore
                              got.get("total"), status, case.target_ms))  # type: ignore[arg-type]
    after = server.memory()
    memory = {"peak_before_mb": before.peak_mb, "peak_after_mb": after.peak_mb,
              "rss_before_mb": before.rss_mb, "rss_after_mb": after.rss_mb}
    return results, memory
