"""Validation of the date-range widget, table rowStyles and the export action."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import widgets
from builder import appspec
from builder.config import Settings
from builder.query_runner import RunInput, prepare_request
from datasources.base import QueryInputError

REGISTRY = widgets.build_registry()

APP = textwrap.dedent("""\
    format: 1
    app: dates
    pages:
      - name: main
        widgets:
          - name: dates
            type: daterange
            at: [0, 0, 6, 1]
            label: 下单日期
            presets: [today, last7days, thisMonth]
            defaultPreset: last7days
            onChange: [{refresh: getOrders}]
          - name: ordersTable
            type: table
            at: [0, 1, 12, 8]
            data: <<getOrders.data>>
            rowStyles:
              - {when: "<<row.amount > 500>>", tone: danger}
              - {when: "<<row.status == 'cancelled' && dates.start>>", tone: muted}
          - name: exportButton
            type: button
            at: [6, 0, 2, 1]
            label: 导出
            onClick:
              - {export: getOrders, format: csv, filename: "orders-<<dates.start>>.csv",
                 onSuccess: [{toast: done}]}
    queries:
      getOrders:
        datasource: shop
        sql: |
          SELECT * FROM orders
          WHERE created_at >= <<dates.start>> AND created_at < <<dates.endExclusive>>
      touch:
        datasource: shop
        sql: UPDATE orders SET version = version + 1
    """)


def problems(text: str) -> list[str]:
    return [p.message for p in appspec.check_text(text, "t.yaml", widgets=REGISTRY)]


def test_the_app_is_valid_and_the_query_reads_the_range_state() -> None:
    assert problems(APP) == []
    spec = appspec.load_app(APP, "t.yaml", widgets=REGISTRY)
    assert set(spec.queries["getOrders"].refs) == {("dates", "start"), ("dates", "endExclusive")}


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("tone: danger", "tone: red", "'red' is not one of"),
    ("<<row.amount > 500>>", "<<row.amount > >>", "binding syntax error"),
    ("<<row.amount > 500>>", "<<rows.amount > 500>>", "unknown widget or query 'rows'"),
    ("<<row.amount > 500>>", "big <<row.amount > 500>>", "takes a single <<binding>>"),
    ("<<row.amount > 500>>", "row.amount > 500", "'when' takes a <<binding>>"),
    ("dates.start>>\", tone: muted", "dates.begin>>\", tone: muted", "unknown property 'begin'"),
    ("label: 下单日期", "label: <<row.status>>", "row is known only in a table's rowStyles"),
    ("filename: \"orders-<<dates.start>>.csv\"", "filename: <<row.id>>", "row is known only"),
    ("presets: [today, last7days, thisMonth]", "presets: [yesterday]", "'yesterday' is not"),
    ("defaultPreset: last7days", "defaultPreset: lastYear", "'lastYear' is not one of"),
    ("{export: getOrders,", "{export: getOrdrs,", "export: unknown query 'getOrdrs' — did you"),
    ("{export: getOrders,", "{export: touch,", "does not return rows"),
    ("format: csv", "format: xlsx", "'xlsx' is not one of"),
    ("<<dates.endExclusive>>", "<<dates.label>>", "a query cannot read dates.label"),
])
def test_mistakes_are_reported(old: str, new: str, expected: str) -> None:
    assert APP.count(old) == 1, old
    found = problems(APP.replace(old, new))
    assert any(expected in message for message in found), found


def test_row_is_not_a_query_name_either() -> None:
    found = problems(APP.replace("created_at >= <<dates.start>>", "id = <<row.id>>"))
    # Outside rowStyles and import queries, ``row`` names nothing a query may read.
    assert any("row is known only" in m for m in found), found


def test_the_server_checks_the_range_state_before_binding() -> None:
    source = APP.replace("label: 下单日期", "label: 下单日期\n        required: true")
    spec = appspec.load_app(source, "t.yaml", widgets=REGISTRY)

    def values(state: dict[str, object]) -> dict[str, object]:
        _, request = prepare_request(spec, "getOrders", RunInput({"dates": state}, None),
                                     widgets=REGISTRY,
                                     settings=Settings(Path("."), "sqlite://"))
        return request.values

    good = {"start": "2024-05-01", "endExclusive": "2024-05-08"}
    assert values(good) == {"dates.start": "2024-05-01", "dates.endExclusive": "2024-05-08"}
    for bad in ({**good, "start": "2024-13-01"}, {**good, "start": "01/05/2024"},
                {**good, "endExclusive": 20240508}):
        with pytest.raises(QueryInputError, match="wrong type"):
            values(bad)
    with pytest.raises(QueryInputError, match="下单日期 is required"):
        values({**good, "start": None})
