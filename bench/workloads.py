"""What each side is asked: the request of every workload, and the rows the writes touch.

Workloads: ``read`` is getOrders as the browser's table asks for it (a 50-row page and the
total), ``read_nototal`` the same page with ``"total": false`` (one statement: the pure overhead
comparison, and the only read Datasette's canned query can match), ``write`` is updateOrder.

A fair write benchmark with ``expectRows: 1`` on a version column: before each write run the
harness sets ``version = 1`` on every row, and every request updates a *different* row
(ids walk a fixed permutation, ``id = n * stride mod rows + 1``, interleaved across client
threads), sending version 1. So each update must change exactly one row: a 409 would be a real
lost update and is counted as a failure, not as an expected outcome.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench import statements

FLAGSHIP = "order-shipping"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def stride_for(rows: int) -> int:
    stride = 7919
    while math.gcd(stride, max(rows, 1)) != 1:
        stride += 2
    return stride


def row_ids(rows: int, *, start: int, step: int) -> Iterator[int]:
    """Distinct row ids (for the first ``rows // step`` of them), scattered over the table."""
    stride, n = stride_for(rows), start
    while True:
        yield (n * stride) % rows + 1
        n += step


def tracking(row_id: int) -> str:
    return f"SF{row_id:012d}"


def api_headers(token: str | None) -> dict[str, str]:
    """A JSON request to Toolcrib's run API, with the bench operator's token when there is one."""
    return {"Content-Type": JSON, **({"Authorization": f"Bearer {token}"} if token else {})}


def update_body(style: str, row_id: int, version: int = 1, number: str | None = None) -> str:
    if style == "toolcrib":
        return json.dumps({"state": {
            "ordersTable": {"selectedRow": {"id": row_id, "version": version}},
            "shippingCompany": {"value": "SF"},
            "shippingNumberInput": {"value": number or tracking(row_id)}},
            "rowFormat": "arrays"}, separators=(",", ":"))
    if style == "flask":
        return json.dumps({"company": "SF", "num": tracking(row_id), "id": row_id,
                           "version": version}, separators=(",", ":"))
    if style == "datasette":
        return urlencode({"company": "SF", "num": tracking(row_id), "id": row_id,
                          "version": version})
    raise ValueError(style)


@dataclass(frozen=True)
class Workload:
    side: str
    name: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    update_style: str | None = None  # set for writes: the body is made per row
    rows: int = 0


def page_body(*, total: bool, number: int = 1, size: int = statements.PAGE_SIZE,
              **extra: object) -> str:
    page: dict[str, object] = {"size": size, "number": number, **extra}
    if not total:
        page["total"] = False
    # rowFormat as the browser's runtime sends it (rows as lists, static/runtime/api.js)
    return json.dumps({"state": {}, "page": page, "rowFormat": "arrays"}, separators=(",", ":"))


def toolcrib(name: str, rows: int, token: str | None) -> Workload:
    headers = api_headers(token)
    if name == "write":
        return Workload("toolcrib", name, "POST",
                        f"/api/apps/{FLAGSHIP}/queries/updateOrder/run", headers,
                        update_style="toolcrib", rows=rows)
    return Workload("toolcrib", name, "POST", f"/api/apps/{FLAGSHIP}/queries/getOrders/run",
                    headers, page_body(total=name == "read"))


def flask(name: str, rows: int, token: str | None = None) -> Workload:
    """The Flask endpoint's request; with ``token`` (the secured variant) sent as Bearer."""
    headers = api_headers(token)
    if name == "write":
        return Workload("flask", name, "POST", "/q/updateOrder", headers,
                        update_style="flask", rows=rows)
    body = json.dumps({"page": {"size": statements.PAGE_SIZE, "number": 1,
                                "total": name == "read"}})
    return Workload("flask", name, "POST", "/q/getOrders", headers, body)


def datasette(name: str, rows: int, database: str = "shop") -> Workload | None:
    if name == "write":
        return Workload("datasette", name, "POST", f"/{database}/updateOrder",
                        {"Content-Type": FORM, "Accept": JSON}, update_style="datasette",
                        rows=rows)
    if name == "read_nototal":
        query = urlencode({"page_limit": statements.PAGE_SIZE + 1, "page_offset": 0})
        return Workload("datasette", name, "GET", f"/{database}/getOrders.json?{query}")
    return None  # a canned query is one statement: no page + total pair to compare with
