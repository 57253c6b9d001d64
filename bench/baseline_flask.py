"""The minimal Flask + SQLAlchemy endpoint (no sign-in, no audit), run under gunicorn.

Modelled on shared/perf-anchor/app.py but running the same statements as Toolcrib
(``bench/statements.py``): ``gunicorn -w 2 bench.baseline_flask:app`` with ``BENCH_DB_URL``.
``orders_page`` and ``update_order_row`` are the statements' work, shared with the secured
variant (``bench/baseline_flask_secured.py``).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

from bench import statements

engine = create_engine(os.environ["BENCH_DB_URL"], pool_size=8, max_overflow=8)
PAGE, COUNT, UPDATE = text(statements.PAGE), text(statements.COUNT), text(statements.UPDATE)

#: (JSON payload, HTTP status, rows read or changed)
Answer = tuple[dict[str, Any], int, int]


def orders_page(body: Any) -> Answer:
    page = (body or {}).get("page") or {}
    size, number = int(page.get("size", 50)), int(page.get("number", 1))
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(
            PAGE, {"page_limit": size + 1, "page_offset": (number - 1) * size}).mappings()]
        total = conn.execute(COUNT).scalar_one() if page.get("total", True) else None
    return {"rows": rows[:size], "total": total, "has_more": len(rows) > size}, 200, \
        len(rows[:size])


def update_order_row(params: Any) -> Answer:
    with engine.connect() as conn:  # one transaction per request, like Toolcrib's expectRows
        trans = conn.begin()
        changed = conn.execute(UPDATE, params or {}).rowcount
        if changed != 1:
            trans.rollback()
            return {"error": "row_count_mismatch", "rowcount": changed}, 409, changed
        trans.commit()
    return {"ok": True, "rowcount": changed}, 200, changed


app = Flask(__name__)


@app.post("/q/getOrders")
def get_orders():  # type: ignore[no-untyped-def]
    payload, status, _ = orders_page(request.get_json(silent=True))
    return jsonify(payload), status


@app.post("/q/updateOrder")
def update_order():  # type: ignore[no-untyped-def]
    payload, status, _ = update_order_row(request.get_json(silent=True))
    return jsonify(payload), status
