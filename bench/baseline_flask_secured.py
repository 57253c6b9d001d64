"""The minimal endpoint with the security a hand-written internal API would add, run under
gunicorn like it: ``bench.baseline_flask_secured:app`` with ``BENCH_DB_URL`` and
``BENCH_META_URL`` (its own SQLite file, WAL, ``synchronous=NORMAL`` like Toolcrib's).

Per request: the client address checked against an allowlist, the ``Authorization: Bearer``
token's SHA-256 looked up in ``api_tokens`` (no cache), the statements of ``bench.baseline_flask``,
then one audit row (who, from where, query, values, rows, duration, outcome) committed before
the answer. No CSRF, grants, state checks or value masking: it is the least a team would write.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from ipaddress import ip_address, ip_network
from typing import Any

from flask import Flask, g, jsonify, request
from sqlalchemy import create_engine, event, text

from bench.baseline_flask import Answer, orders_page, update_order_row

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS api_tokens (token_hash TEXT PRIMARY KEY, "
    "user_id INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, "
    "user_id INTEGER, client_ip TEXT, query TEXT, params TEXT, rows INTEGER, "
    "duration_ms REAL, outcome TEXT)",
    "CREATE INDEX IF NOT EXISTS ix_audit_at ON audit (at)",
)
TOKEN = text("SELECT user_id FROM api_tokens WHERE token_hash = :h AND revoked = 0")
AUDIT = text("INSERT INTO audit (at, user_id, client_ip, query, params, rows, duration_ms, "
             "outcome) VALUES (:at, :user, :ip, :query, :params, :rows, :ms, :outcome)")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _metadata_engine(url: str) -> Any:
    engine = create_engine(url, connect_args={"timeout": 5})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    return engine


def prepare(meta_url: str, token: str) -> None:
    """Create the tables and the bench's token (run once, before the workers start)."""
    engine = _metadata_engine(meta_url)
    with engine.begin() as conn:
        for statement in SCHEMA:
            conn.execute(text(statement))
        conn.execute(text("INSERT OR REPLACE INTO api_tokens (token_hash, user_id) "
                          "VALUES (:h, 1)"), {"h": token_hash(token)})
    engine.dispose()


meta = _metadata_engine(os.environ["BENCH_META_URL"])
ALLOWED = [ip_network(n) for n in os.environ.get("BENCH_ALLOWED",
                                                 "127.0.0.0/8,::1/128").split(",")]
app = Flask(__name__)


@app.before_request
def guard():  # type: ignore[no-untyped-def]
    if not any(ip_address(request.remote_addr or "0.0.0.0") in net for net in ALLOWED):
        return jsonify(error="forbidden"), 403
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return jsonify(error="unauthorized"), 401
    with meta.connect() as conn:
        user = conn.execute(TOKEN, {"h": token_hash(token.strip())}).scalar()
    if user is None:
        return jsonify(error="unauthorized"), 401
    g.user = user
    return None


def _audited(query: str, run: Callable[[Any], Answer]):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    body = request.get_json(silent=True)
    payload, status, rows = run(body)
    with meta.begin() as conn:
        conn.execute(AUDIT, {
            "at": time.strftime("%Y-%m-%d %H:%M:%S"), "user": g.user,
            "ip": request.remote_addr, "query": query,
            "params": json.dumps(body, ensure_ascii=False), "rows": rows,
            "ms": (time.perf_counter() - started) * 1000,
            "outcome": "ok" if status < 400 else "error"})
    return jsonify(payload), status


@app.post("/q/getOrders")
def get_orders():  # type: ignore[no-untyped-def]
    return _audited("getOrders", orders_page)


@app.post("/q/updateOrder")
def update_order():  # type: ignore[no-untyped-def]
    return _audited("updateOrder", update_order_row)


if __name__ == "__main__":  # python -m bench.baseline_flask_secured META_URL TOKEN
    import sys

    prepare(sys.argv[1], sys.argv[2])
