"""A data source that is down or slow gives its own readable error, and recovers by itself."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from builder.datasource_admin import add_datasource
from builder.store import apps as app_records
from tests.auth_helpers import bearer, token_for
from tests.tcpproxy import TcpProxy

APP = """\
format: 1
app: pg-probe
title: Probe
pages:
  - name: main
    widgets:
      - {name: itemsTable, type: table, at: [0, 0, 12, 6], data: <<items.data>>}
queries:
  items:
    datasource: pg
    sql: SELECT id, label FROM probe_items ORDER BY id
  slow:
    datasource: pg
    timeout: 1
    sql: SELECT pg_sleep(5) AS slept
"""


def _publish(app: Flask, source: str) -> None:
    tc = app.extensions["toolcrib"]
    with tc.store.session() as session:
        version = app_records.save_version(session, slug="pg-probe", title="Probe",
                                           source=source)
        app_records.publish(session, version)


def _run(app: Flask, name: str) -> Any:
    if "token" not in app.config:
        app.config["token"] = token_for(app, "dev", role="developer")
    return app.test_client().post(f"/api/apps/pg-probe/queries/{name}/run", json={"state": {}},
                                  headers=bearer(app.config["token"]))


def test_down_then_back_and_slow(app: Flask, postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE probe_items (id integer primary key, label text)"))
        conn.execute(text("INSERT INTO probe_items VALUES (1, '一'), (2, 'two')"))
    engine.dispose()

    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    list(add_datasource(app.extensions["toolcrib"], "pg", proxied))
    _publish(app, APP)

    ok = _run(app, "items")
    assert ok.status_code == 200 and [r["label"] for r in ok.get_json()["rows"]] == ["一", "two"]

    proxy.stop()
    started = time.monotonic()
    down = _run(app, "items")
    assert down.status_code == 502
    assert down.get_json()["error"]["code"] == "datasource_unavailable"
    assert time.monotonic() - started < 15
    assert "password" not in down.get_json()["error"]["message"].lower()

    proxy.start()
    back = _run(app, "items")
    assert back.status_code == 200, back.get_json()
    assert len(back.get_json()["rows"]) == 2

    started = time.monotonic()
    slow = _run(app, "slow")
    assert slow.status_code == 504
    assert slow.get_json()["error"]["code"] == "timeout"
    assert time.monotonic() - started < 4
    proxy.stop()
