"""The HTTP contract of running named queries, on the demo as `toolcrib demo` sets it up."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.auth_helpers import DEMO_OPERATOR_PASSWORD, SessionClient, bearer, token_for
from tests.conftest import Demo

RUN = "/api/apps/order-shipping/queries/{}/run"


_TOKENS: dict[int, str] = {}


def ops_headers(demo: Demo) -> dict[str, str]:
    """The demo operator's API token (one per demo instance)."""
    key = id(demo.app)
    if key not in _TOKENS:
        _TOKENS[key] = token_for(demo.app, "ops")
    return bearer(_TOKENS[key])


def post(demo: Demo, name: str, body: Any, slug: str = "order-shipping", **kw: Any):
    client = demo.app.test_client()
    return client.post(f"/api/apps/{slug}/queries/{name}/run", json=body,
                       headers=ops_headers(demo), **kw)


def shop(demo: Demo, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(demo.shop_url)
    try:
        with engine.begin() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def order_state(row: dict[str, Any], company: str | None, number: str | None) -> dict[str, Any]:
    return {
        "ordersTable": {"selectedRow": row},
        "shippingCompany": {"value": company},
        "shippingNumberInput": {"value": number},
    }


def first_page(demo: Demo, **page: Any) -> dict[str, Any]:
    response = post(demo, "getOrders", {"state": {}, "page": {"size": 20, "number": 1, **page}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_get_orders_pages_only_unshipped_orders(demo: Demo) -> None:
    body = first_page(demo)
    paid_total = shop(demo, "SELECT COUNT(*) FROM orders WHERE status = 'paid'")[0][0]
    assert body["total"] == paid_total > 20
    assert len(body["rows"]) == 20
    assert {"id", "product_image", "product_name", "shipping_company",
            "shipping_tracking_number", "address", "version"} == set(body["columns"])
    assert body["truncated"] is False and body["duration_ms"] >= 0
    ids = [r["id"] for r in body["rows"]]
    in_list = ",".join(map(str, ids))
    statuses = {r[0] for r in shop(demo, f"SELECT status FROM orders WHERE id IN ({in_list})")}
    assert statuses == {"paid"}


def test_later_page_and_server_side_sort(demo: Demo) -> None:
    page1 = first_page(demo, sort=[{"column": "id", "dir": "asc"}])
    page2 = first_page(demo, number=2, sort=[{"column": "id", "dir": "asc"}])
    assert page1["rows"][-1]["id"] < page2["rows"][0]["id"]
    desc = first_page(demo, sort=[{"column": "id", "dir": "desc"}])
    max_paid = shop(demo, "SELECT MAX(id) FROM orders WHERE status = 'paid'")[0][0]
    assert desc["rows"][0]["id"] == max_paid


def test_rows_as_arrays_hold_the_same_page_in_column_order(demo: Demo) -> None:
    page = {"size": 20, "number": 2, "sort": [{"column": "id", "dir": "desc"}]}
    objects = first_page(demo, **page)
    response = post(demo, "getOrders", {"state": {}, "page": page, "rowFormat": "arrays"})
    assert response.status_code == 200, response.get_json()
    arrays = response.get_json()
    assert arrays["columns"] == objects["columns"] and arrays["total"] == objects["total"]
    assert len(arrays["rows"]) == 20
    assert [dict(zip(arrays["columns"], row, strict=True)) for row in arrays["rows"]] \
        == objects["rows"]


def test_filter_is_bound_on_the_server(demo: Demo) -> None:
    body = first_page(demo, filter=[{"column": "address", "op": "contains", "value": "杭州"}])
    assert body["rows"] and all("杭州" in r["address"] for r in body["rows"])


def test_unknown_sort_column_is_refused(demo: Demo) -> None:
    response = post(demo, "getOrders", {"state": {}, "page": {"sort": [
        {"column": "id; DROP TABLE orders", "dir": "asc"}]}})
    assert response.status_code == 400
    assert "id; DROP TABLE orders" in response.get_json()["error"]["message"]


def test_runtime_page_never_contains_sql(demo: Demo) -> None:
    ops = SessionClient(demo.app, "ops", DEMO_OPERATOR_PASSWORD)
    html = ops.get("/apps/order-shipping").get_data(as_text=True)
    embedded = html.split('id="toolcrib-app" type="application/json">')[1].split("</script>")[0]
    public = json.loads(embedded)
    assert public["queries"]["updateOrder"]["expectRows"] == 1
    assert "订单号" in json.dumps(public, ensure_ascii=False)
    for fragment in ("SELECT", "UPDATE orders", "FROM orders", "shop.db"):
        assert fragment not in html


def _paid_row(demo: Demo, offset: int) -> dict[str, Any]:
    body = first_page(demo, number=3 + offset, sort=[{"column": "id", "dir": "desc"}])
    return body["rows"][offset]


def test_update_order_then_stale_update_is_a_conflict(demo: Demo) -> None:
    row = _paid_row(demo, 1)
    ok = post(demo, "updateOrder", {"state": order_state(row, "YTO", "YT1234567890123")})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["rowcount"] == 1
    stored = shop(demo, "SELECT shipping_company, shipping_tracking_number, version "
                        "FROM orders WHERE id = :id", id=row["id"])[0]
    assert tuple(stored) == ("YTO", "YT1234567890123", row["version"] + 1)

    stale = post(demo, "updateOrder", {"state": order_state(row, "SF", "SF000000000001")})
    assert stale.status_code == 409
    assert "refresh" in stale.get_json()["error"]["message"].lower()
    again = shop(demo, "SELECT shipping_company FROM orders WHERE id = :id", id=row["id"])
    assert again[0][0] == "YTO"


@pytest.mark.parametrize(
    ("state_patch", "fragment"),
    [
        ({"shippingNumberInput": {"value": ""}}, "快递单号 is required"),
        ({"shippingNumberInput": {"value": "   "}}, "快递单号 is required"),
        ({"shippingCompany": {"value": None}}, "快递公司 is required"),
        ({"shippingNumberInput": {"value": {"$ne": None}}}, "shippingNumberInput.value"),
        ({"ordersTable": {"selectedRow": "1 OR 1=1"}}, "ordersTable.selectedRow"),
        ({"shippingCompany": {}}, "missing value for shippingCompany.value"),
    ],
)
def test_bad_state_is_refused_before_any_write(demo: Demo, state_patch: dict[str, Any],
                                               fragment: str) -> None:
    row = _paid_row(demo, 2)
    state = {**order_state(row, "ZTO", "ZT100"), **state_patch}
    response = post(demo, "updateOrder", {"state": state})
    assert response.status_code == 400
    assert fragment in response.get_json()["error"]["message"]
    stored = shop(demo, "SELECT version FROM orders WHERE id = :id", id=row["id"])
    assert stored[0][0] == row["version"]


def test_object_where_sql_needs_a_value_is_refused(demo: Demo) -> None:
    row = {**_paid_row(demo, 3), "id": {"nested": 1}}
    response = post(demo, "updateOrder", {"state": order_state(row, "SF", "SF1")})
    assert response.status_code == 400
    assert "SQL parameters" in response.get_json()["error"]["message"]


def test_server_names_cannot_be_forged(demo: Demo) -> None:
    body = {"state": {"current_user": {"roles": ["admin"]}, "now": {"x": 1}}, "page": {}}
    assert post(demo, "getOrders", body).status_code == 200


@pytest.mark.parametrize(
    ("slug", "name", "body", "status", "code"),
    [
        ("no-such-app", "getOrders", {"state": {}}, 404, "not_found"),
        ("order-shipping", "dropTables", {"state": {}}, 404, "not_found"),
        ("order-shipping", "getOrders", [], 400, "bad_input"),
        ("order-shipping", "getOrders", {"state": []}, 400, "bad_input"),
        ("order-shipping", "getOrders", {"page": {"size": 100000}}, 400, "bad_input"),
        ("order-shipping", "getOrders", {"page": {"number": 0}}, 400, "bad_input"),
        ("order-shipping", "getOrders", {"page": {"filter": [{"column": "id", "op": "~"}]}},
         400, "bad_input"),
        ("order-shipping", "getOrders", {"state": {}, "rowFormat": "csv"}, 400, "bad_input"),
        ("order-shipping", "getOrders", {"state": {}, "page": {"key": 3}}, 400, "bad_input"),
    ],
)
def test_bad_requests_get_readable_errors(demo: Demo, slug: str, name: str, body: Any,
                                          status: int, code: str) -> None:
    response = post(demo, name, body, slug=slug)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and len(error["message"]) > 10


def test_non_json_body_is_refused(demo: Demo) -> None:
    client = demo.app.test_client()
    response = client.post(RUN.format("getOrders"), data="state=1", headers=ops_headers(demo),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    bad = client.post(RUN.format("getOrders"), data="{not json", headers=ops_headers(demo),
                      content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_json"


def test_unknown_app_page_is_404(demo: Demo) -> None:
    ops = SessionClient(demo.app, "ops", DEMO_OPERATOR_PASSWORD)
    assert ops.get("/apps/nope").status_code == 404


def test_widget_scripts_are_served_only_for_registered_types(demo: Demo) -> None:
    client = demo.app.test_client()
    assert client.get("/widgets/table.js").status_code == 200
    assert client.get("/widgets/..%2Fbuilder%2Fconfig.js").status_code == 404
    assert client.get("/widgets/nope.js").status_code == 404


def test_oversized_body_and_unexpected_errors_answer_json(demo: Demo, monkeypatch) -> None:
    client = demo.app.test_client()
    huge = {"state": {"x": {"v": "x" * (3 * 1024 * 1024)}}}
    response = client.post(RUN.format("getOrders"), json=huge, headers=ops_headers(demo))
    assert response.status_code == 413 and "error" in response.get_json()

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr("builder.web.api.prepare_request", explode)
    failed = client.post(RUN.format("getOrders"), json={"state": {}}, headers=ops_headers(demo))
    assert failed.status_code == 500
    assert "hunter2" not in failed.get_data(as_text=True)
    assert failed.get_json()["error"]["code"] == "internal_error"
