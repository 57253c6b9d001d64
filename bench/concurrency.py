"""Section 5: many concurrent ``updateOrder`` calls, on distinct rows and on one row.

All requests open their connection first and are released together by a barrier. Distinct rows:
every call must succeed and every row end at version 2 with its own tracking number. One row:
exactly one call wins (200) and the others get 409 ``row_count_mismatch``; the row ends at
version 2 with the winner's tracking number. Anything else is reported as a failure.
"""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from dataclasses import dataclass

from bench import data
from bench.procs import Server
from bench.workloads import api_headers, update_body

PATH = "/api/apps/order-shipping/queries/updateOrder/run"


@dataclass
class Outcome:
    backend: str
    case: str
    sent: int
    statuses: dict[int, int]
    consistent: bool
    detail: str

    @property
    def ok(self) -> bool:
        if self.case == "distinct rows":
            expected = {200: self.sent}
        else:
            expected = {200: 1, 409: self.sent - 1}
        return self.consistent and self.statuses == expected


def _fire(server: Server, token: str | None, calls: list[tuple[int, str]]) -> list[int]:
    headers = api_headers(token)
    barrier = threading.Barrier(len(calls))
    statuses = [0] * len(calls)

    def call(i: int, row_id: int, number: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            conn.connect()
            barrier.wait(timeout=30)
            conn.request("POST", PATH, body=update_body("toolcrib", row_id, number=number),
                         headers=headers)
            resp = conn.getresponse()
            resp.read()
            statuses[i] = resp.status
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError):
            statuses[i] = -1
        finally:
            conn.close()

    pool = [threading.Thread(target=call, args=(i, rid, num))
            for i, (rid, num) in enumerate(calls)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return statuses


def run(backend: str, server: Server, token: str | None, db_url: str, rows: int,
        n: int) -> list[Outcome]:
    data.reset_versions(db_url)
    ids = [rows - i for i in range(n)]  # the newest orders: far from the write benchmark's
    distinct = _fire(server, token, [(i, f"C{i:012d}") for i in ids])
    after = data.read_rows(db_url, ids)
    bad = [i for i in ids if after.get(i) != (2, f"C{i:012d}")]
    out = [Outcome(backend, "distinct rows", n, dict(Counter(distinct)), not bad,
                   "every row at version 2 with its own number" if not bad
                   else f"{len(bad)} rows wrong, e.g. {bad[0]}: {after.get(bad[0])}")]
    target = 1
    numbers = [f"X{k:012d}" for k in range(n)]
    same = _fire(server, token, [(target, num) for num in numbers])
    version, number = data.read_rows(db_url, [target])[target]
    winners = [numbers[k] for k, s in enumerate(same) if s == 200]
    consistent = version == 2 and len(winners) == 1 and number == winners[0]
    out.append(Outcome(backend, "same row", n, dict(Counter(same)), consistent,
                       f"row {target}: version {version}, number {number}, "
                       f"{len(winners)} winner(s)"))
    return out
