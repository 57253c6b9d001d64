"""The minimal Flask + SQLAlchemy endpoint (no sign-in, no audit), run under gunicorn.

Modelled on shared/perf-anchor/app.py but running the same statements as Toolcrib
(``bench/statements.py``): ``gunicorn -w 2 bench.baseline_flask:app`` with ``BENCH_DB_URL``.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

from bench import statements

engine = create_engine(os.environ["BENCH_DB_URL"], pool_size=8, max_overflow=8)
PAGE, COUNT, UPDATE = text(statements.PAGE), text(statements.COUNT), text(statements.UPDATE)

app = Flask(__name__)


@app.post("/q/getOrders")
def get_orders():  # type: ignore[no-untyped-def]
    page = (request.get_json(silent=True) or {}).get("page") or {}
    size, number = int(page.get("size", 50)), int(page.get("number", 1))
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(
            PAGE, {"page_limit": size + 1, "page_offset": (number - 1) * size}).mappings()]
        total = conn.execute(COUNT).scalar_one() if page.get("total", True) else None
    return jsonify(rows=rows[:size], total=total, has_more=len(rows) > size)


@app.post("/q/updateOrder")
def update_order():  # type: ignore[no-untyped-def]
    params = request.get_json(silent=True) or {}
    with engine.connect() as conn:  # one transaction per request, like Toolcrib's expectRows
        trans = conn.begin()
        changed = conn.execute(UPDATE, params).rowcount
        if changed != 1:
            trans.rollback()
            return jsonify(error="row_count_mismatch", rowcount=changed), 409
        trans.commit()
    return jsonify(ok=True, rowcount=changed)
