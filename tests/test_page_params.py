"""Multi-page apps: declared page parameters, navigate params, and queries that read them.

Validation (``toolcrib validate``), the server's checks of ``state.page`` before binding, and the
bundled two-page app ``apps/order_list.yaml`` on the demo (read only: the demo is shared).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import widgets
from builder import appspec
from builder.config import Settings
from builder.query_runner import RunInput, prepare_request
from datasources.base import QueryInputError
from tests.auth_helpers import DEMO_OPERATOR_PASSWORD, SessionClient
from tests.conftest import Demo

REGISTRY = widgets.build_registry()
APPS = Path(__file__).resolve().parent.parent / "apps"

APP = textwrap.dedent("""\
    format: 1
    app: two-pages
    pages:
      - name: list
        widgets:
          - name: ordersTable
            type: table
            at: [0, 0, 12, 8]
            data: <<getOrders.data>>
            onRowClick:
              - navigate: detail
                params: {id: <<ordersTable.selectedRow.id>>}
      - name: detail
        params:
          id: {type: integer, required: true}
          tab: {type: string}
        widgets:
          - name: title
            type: text
            at: [0, 0, 6, 1]
            text: "Order <<page.params.id>> (<<page.params.tab ?? 'all'>>)"
          - name: back
            type: button
            at: [6, 0, 2, 1]
            label: Back
            onClick: [{navigate: list}]
    queries:
      getOrders:
        datasource: shop
        sql: SELECT * FROM orders
      getOrder:
        datasource: shop
        runOnLoad: true
        sql: SELECT * FROM orders WHERE id = <<page.params.id>>
    """)


def problems(source: str) -> list[str]:
    return [p.message for p in appspec.check_text(source, "t.yaml", widgets=REGISTRY)]


def replace(old: str, new: str) -> str:
    assert APP.count(old) == 1, old
    return APP.replace(old, new)


# --- validation -----------------------------------------------------------------------------


def test_a_two_page_app_with_params_is_valid() -> None:
    assert problems(APP) == []


def test_bundled_order_list_app_is_valid() -> None:
    source = (APPS / "order_list.yaml").read_text(encoding="utf-8")
    assert problems(source) == []
    spec = appspec.load_app(source, "order_list.yaml", widgets=REGISTRY)
    assert spec.slug == "orders" and [p.name for p in spec.pages] == ["list", "detail"]
    assert spec.page("detail").params["id"].type == "integer"
    assert {n: q.page_params for n, q in spec.queries.items()} == {
        "getOrders": [], "getOrder": ["id"], "getItems": ["id"], "getHistory": ["id"]}


def test_model_and_public_json_carry_params() -> None:
    spec = appspec.load_app(APP, "t.yaml", widgets=REGISTRY)
    query = spec.queries["getOrder"]
    assert query.page_params == ["id"] and query.refs == []
    public = spec.public_json()
    assert public["pages"][1]["params"] == {"id": {"type": "integer", "required": True},
                                            "tab": {"type": "string", "required": False}}
    assert public["pages"][0]["params"] == {}
    assert public["queries"]["getOrder"]["pageParams"] == ["id"]
    assert "sql" not in str(public["queries"])


def test_unknown_param_type_is_a_schema_error() -> None:
    found = problems(replace("id: {type: integer, required: true}",
                             "id: {type: int, required: true}"))
    assert len(found) == 1 and "int" in found[0]


def test_navigate_must_give_required_params_and_only_declared_ones() -> None:
    missing = problems(replace("params: {id: <<ordersTable.selectedRow.id>>}", "params: {}"))
    assert missing == ["navigate: page 'detail' requires the parameter 'id': add params: "
                       "{id: ...}"]
    unknown = problems(replace("params: {id: <<ordersTable.selectedRow.id>>}",
                               "params: {id: 1, ids: 2}"))
    assert len(unknown) == 1
    assert "page 'detail' has no parameter 'ids' — did you mean 'id'?" in unknown[0]
    to_plain_page = problems(replace("onClick: [{navigate: list}]",
                                     "onClick: [{navigate: list, params: {x: 1}}]"))
    assert len(to_plain_page) == 1 and "its parameters: none: add params:" in to_plain_page[0]


def test_a_query_reads_only_declared_params() -> None:
    undeclared = problems(replace("WHERE id = <<page.params.id>>",
                                  "WHERE id = <<page.params.orderId>>"))
    assert len(undeclared) == 1
    assert "no page declares the parameter 'orderId'" in undeclared[0]
    name = problems(replace("WHERE id = <<page.params.id>>", "WHERE id = <<page.name>>"))
    assert len(name) == 1 and "a query cannot read page.name" in name[0]


def test_a_display_binding_reads_its_own_pages_params() -> None:
    found = problems(replace("<<page.params.tab ?? 'all'>>", "<<page.params.tabs ?? 'all'>>"))
    assert len(found) == 1
    assert "page 'detail' has no parameter 'tabs' — did you mean 'tab'?" in found[0]


# --- the server's checks before binding -----------------------------------------------------


def prepared(state: dict[str, Any]) -> Any:
    spec = appspec.load_app(APP, "t.yaml", widgets=REGISTRY)
    _query, request = prepare_request(spec, "getOrder", RunInput(state=state, page=None),
                                      widgets=REGISTRY, settings=Settings(Path("."), "sqlite://"))
    return request


def test_declared_param_is_bound() -> None:
    request = prepared({"page": {"name": "detail", "params": {"id": 42, "junk": "x"}}})
    assert request.values == {"page.params.id": 42}


@pytest.mark.parametrize(("page", "message"), [
    ({"name": "detail", "params": {"id": "42"}},
     "page parameter 'id' must be an integer, not the text '42'"),
    ({"name": "detail", "params": {"id": True}},
     "page parameter 'id' must be an integer, not the boolean true"),
    ({"name": "detail", "params": {"id": 1.5}},
     "page parameter 'id' must be an integer, not the number 1.5"),
    ({"name": "detail", "params": {}}, "page parameter 'id' of page 'detail' is required"),
    ({"name": "detail", "params": {"id": None}}, "page parameter 'id' of page 'detail' is "
                                                 "required"),
    ({"name": "list", "params": {"id": 1}}, "page 'list' has no parameter 'id'"),
    ({"name": "nope", "params": {"id": 1}}, "app 'two-pages' has no page named 'nope'"),
    ({"params": {"id": 1}}, "this query reads <<page.params.id>>: send state.page"),
    ({"name": "detail", "params": [1]}, '"state.page.params" must be an object'),
])
def test_bad_params_are_refused_before_binding(page: dict[str, Any], message: str) -> None:
    with pytest.raises(QueryInputError) as caught:
        prepared({"page": page})
    assert message in caught.value.message
    assert caught.value.status == 400


def test_param_types() -> None:
    from builder.appspec.model import ParamSpec
    from builder.page_params import check_param

    assert check_param("p", ParamSpec("d", "date"), "2026-02-28") == "2026-02-28"
    assert check_param("p", ParamSpec("n", "number"), 2.5) == 2.5
    assert check_param("p", ParamSpec("b", "boolean"), False) is False
    assert check_param("p", ParamSpec("s", "string"), "") == ""
    assert check_param("p", ParamSpec("i", "integer"), 3.0) == 3
    assert check_param("p", ParamSpec("i", "integer"), "") is None  # optional, absent
    for kind, value in (("date", "2026-02-30"), ("number", "1"), ("boolean", 1),
                        ("string", 5)):
        with pytest.raises(QueryInputError):
            check_param("p", ParamSpec("x", kind), value)


# --- the bundled app on the demo over HTTP --------------------------------------------------


def run(client: SessionClient, name: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/apps/orders/queries/{name}/run", json=body)


def shop(demo: Demo, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(demo.shop_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def test_order_detail_over_http(demo: Demo) -> None:
    client = SessionClient(demo.app, "ops", DEMO_OPERATOR_PASSWORD)
    order_id = shop(demo, "SELECT MIN(order_id) FROM payments")[0][0]
    detail = {"state": {"page": {"name": "detail", "params": {"id": order_id}}}}
    response = run(client, "getOrder", detail)
    assert response.status_code == 200, response.get_json()
    row = response.get_json()["rows"][0]
    paid = shop(demo, "SELECT method, transaction_no FROM payments WHERE order_id = :i",
                i=order_id)[0]
    assert row["id"] == order_id and row["transaction_no"] == paid.transaction_no
    history = run(client, "getHistory", {**detail, "page": {"size": 20, "number": 1}})
    assert history.get_json()["total"] == shop(
        demo, "SELECT COUNT(*) FROM order_status_history WHERE order_id = :i", i=order_id)[0][0]

    refused = run(client, "getOrder", {"state": {"page": {"name": "detail",
                                                          "params": {"id": str(order_id)}}}})
    assert refused.status_code == 400
    assert refused.get_json()["error"] == {
        "message": f"page parameter 'id' must be an integer, not the text '{order_id}'",
        "code": "bad_input"}

    assert client.get("/apps/orders/detail?id=1").status_code == 200
    assert client.get("/apps/orders/list").status_code == 200
    assert client.get("/apps/orders/nope").status_code == 404
