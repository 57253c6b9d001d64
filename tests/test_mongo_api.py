"""The MongoDB flagship over HTTP: ``toolcrib demo --mongo-url`` and the run API, as a browser
(or someone with curl) uses it — paging, updating by ``_id``, conflicts, injection, a server going
down and coming back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.auth_helpers import DEMO_OPERATOR_PASSWORD, SessionClient, bearer, token_for
from tests.mongoserver import MongoDemo, make_mongo_demo
from tests.test_mongo_values import INJECTIONS

SLUG = "order-shipping-mongo"
RUN = f"/api/apps/{SLUG}/queries/{{}}/run"
COLUMNS = {"_id", "id", "product_image", "product_name", "shipping_company",
           "shipping_tracking_number", "address", "version"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoDemo]:
    mongo_demo = make_mongo_demo(tmp_path_factory.mktemp("mongo-api"), orders=300)
    yield mongo_demo
    mongo_demo.close()


@pytest.fixture(scope="module")
def headers(demo: MongoDemo) -> dict[str, str]:
    return bearer(token_for(demo.app, "ops"))


@pytest.fixture(scope="module")
def orders(demo: MongoDemo) -> Any:
    return demo.orders()


def post(demo: MongoDemo, headers: dict[str, str], name: str, body: Any) -> Any:
    return demo.app.test_client().post(RUN.format(name), json=body, headers=headers)


def get_page(demo: MongoDemo, headers: dict[str, str], **page: Any) -> dict[str, Any]:
    response = post(demo, headers, "getOrders",
                    {"state": {}, "page": {"size": 20, "number": 1, **page}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def update_state(row: dict[str, Any], company: Any, number: Any) -> dict[str, Any]:
    return {"state": {"ordersTable": {"selectedRow": row}, "shippingCompany": {"value": company},
                      "shippingNumberInput": {"value": number}}}


def snapshot(orders: Any) -> list[dict[str, Any]]:
    return list(orders.find({}, {"id": 1, "shipping_company": 1, "shipping_tracking_number": 1,
                                 "version": 1, "status": 1}).sort("id"))


def test_demo_seeds_mongodb_and_publishes_the_app(demo: MongoDemo, orders: Any) -> None:
    assert any("seeded the MongoDB orders collection with 300 orders" in line
               for line in demo.lines), demo.lines
    assert any(line.startswith(f"{SLUG}: imported") for line in demo.lines), demo.lines
    assert orders.count_documents({}) == 300
    ops = SessionClient(demo.app, "ops", DEMO_OPERATOR_PASSWORD)
    html = ops.get(f"/apps/{SLUG}").get_data(as_text=True)
    embedded = html.split('id="toolcrib-app" type="application/json">')[1].split("</script>")[0]
    public = json.loads(embedded)
    assert public["queries"]["getOrders"]["paged"] is True
    assert public["queries"]["updateOrder"]["expectRows"] == 1
    for secret in ("shop_mongo", "collection", "$set", "$inc", "status"):
        assert secret not in embedded


def test_get_orders_pages_sorts_and_filters_on_the_server(demo: MongoDemo,
                                                          headers: dict[str, str],
                                                          orders: Any) -> None:
    paid = [d["id"] for d in orders.find({"status": "paid"}, {"id": 1}).sort("id")]
    body = get_page(demo, headers, sort=[{"column": "id", "dir": "asc"}])
    assert [r["id"] for r in body["rows"]] == paid[:20]
    assert body["total"] == len(paid) and body["has_more"] is True
    assert body["truncated"] is False and set(body["columns"]) == COLUMNS
    assert set(body["rows"][0]["_id"]) == {"$oid"}
    second = get_page(demo, headers, number=2, sort=[{"column": "id", "dir": "desc"}])
    assert [r["id"] for r in second["rows"]] == paid[::-1][20:40]
    sf = get_page(demo, headers, filter=[{"column": "shipping_company", "op": "=",
                                          "value": "SF"}])
    assert sf["total"] == orders.count_documents({"status": "paid", "shipping_company": "SF"})
    refused = post(demo, headers, "getOrders", {"state": {}, "page": {
        "size": 20, "number": 1, "sort": [{"column": "phone"}]}})
    assert refused.status_code == 400 and "not a field of this query's result" in \
        refused.get_json()["error"]["message"]
    operator = post(demo, headers, "getOrders", {"state": {}, "page": {
        "size": 20, "number": 1, "filter": [{"column": "$where", "op": "=", "value": "1"}]}})
    assert operator.status_code == 400


def test_update_by_oid_then_a_stale_update_is_refused(demo: MongoDemo, headers: dict[str, str],
                                                      orders: Any) -> None:
    row = get_page(demo, headers, sort=[{"column": "id", "dir": "asc"}])["rows"][2]
    saved = post(demo, headers, "updateOrder", update_state(row, "YTO", "YT0000000001"))
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["rowcount"] == 1
    stored = orders.find_one({"id": row["id"]})
    assert (stored["shipping_company"], stored["shipping_tracking_number"]) == \
        ("YTO", "YT0000000001")
    assert stored["version"] == row["version"] + 1 and stored["status"] == "paid"

    # The same (now stale) row again: a colleague's save in between must not be overwritten.
    stale = post(demo, headers, "updateOrder", update_state(row, "SF", "SF0000000002"))
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "row_count_mismatch" and "nothing was saved" in error["message"]
    assert orders.find_one({"id": row["id"]})["shipping_company"] == "YTO"


@pytest.mark.parametrize("field", ["_id", "version"])
@pytest.mark.parametrize("payload", INJECTIONS, ids=lambda p: json.dumps(p)[:40])
def test_injected_operators_are_a_400_and_change_nothing(
        demo: MongoDemo, headers: dict[str, str], orders: Any, field: str, payload: Any) -> None:
    row = get_page(demo, headers)["rows"][0]
    before = snapshot(orders)
    response = post(demo, headers, "updateOrder",
                    update_state({**row, field: payload}, "SF", "SF-HACK"))
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "bad_input"
    assert f"<<ordersTable.selectedRow.{field}>>" in error["message"]
    assert snapshot(orders) == before


@pytest.mark.parametrize("payload", ['{"$ne": null}', '{"$gt": ""}', '{"$where": "1 == 1"}',
                                     '{"$regex": ".*"}'])
def test_operator_strings_match_nothing_and_change_nothing(
        demo: MongoDemo, headers: dict[str, str], orders: Any, payload: str) -> None:
    row = get_page(demo, headers)["rows"][0]
    before = snapshot(orders)
    response = post(demo, headers, "updateOrder",
                    update_state({**row, "_id": payload}, "SF", "SF-HACK"))
    assert response.status_code == 409  # the string matched no _id: nothing to update
    assert snapshot(orders) == before


def test_widget_values_are_checked_before_mongodb(demo: MongoDemo, headers: dict[str, str],
                                                  orders: Any) -> None:
    row = get_page(demo, headers)["rows"][0]
    before = snapshot(orders)
    for company, number in (({"$ne": None}, "x"), ("SF", {"$gt": ""}), ("SF", ["$where"])):
        response = post(demo, headers, "updateOrder", update_state(row, company, number))
        assert response.status_code == 400 and "wrong type" in \
            response.get_json()["error"]["message"]
    empty = post(demo, headers, "updateOrder", update_state(row, "SF", "  "))
    assert empty.status_code == 400 and "快递单号" in empty.get_json()["error"]["message"]
    assert snapshot(orders) == before


def test_a_server_that_goes_down_and_comes_back(demo: MongoDemo, headers: dict[str, str],
                                                orders: Any) -> None:
    row = get_page(demo, headers)["rows"][1]
    with demo.server.down():
        for name, body in (("getOrders", {"state": {}, "page": {"size": 20, "number": 1}}),
                           ("updateOrder", update_state(row, "JD", "JD-DOWN"))):
            response = post(demo, headers, name, body)
            assert response.status_code == 502, response.get_json()
            error = response.get_json()["error"]
            assert error["code"] == "datasource_unavailable"
            assert "cannot connect to data source 'shop_mongo'" in error["message"]
            assert "connection refused" in error["message"]
    body = get_page(demo, headers)
    assert body["rows"] and body["total"] > 0
    saved = post(demo, headers, "updateOrder", update_state(row, "JD", "JD-BACK"))
    assert saved.status_code == 200
    assert orders.find_one({"id": row["id"]})["shipping_tracking_number"] == "JD-BACK"


def test_an_admin_adds_mongodb_from_the_same_form(demo: MongoDemo) -> None:
    from tests.auth_helpers import DEMO_ADMIN_PASSWORD
    from tests.mongoserver import free_port

    admin = SessionClient(demo.app, "admin", DEMO_ADMIN_PASSWORD)
    form = admin.get("/admin/datasources/new?kind=mongodb").get_data(as_text=True)
    assert "MongoDB" in form and "Replica set name" in form and "Connection URL" in form

    def submit(url: str, action: str) -> Any:
        return admin.post("/admin/datasources/new?kind=mongodb",
                          data={"name": "orders_copy", "cfg-url": url, "action": action,
                                "csrf_token": admin.csrf},
                          headers={"Accept": "application/json"})

    ok = submit(demo.shop_url, "test").get_json()
    assert ok["ok"] is True and ok["server_version"].startswith("MongoDB")
    refused = submit(f"mongodb://127.0.0.1:{free_port()}/shop", "test").get_json()
    assert refused["ok"] is False and refused["kind"] == "connection_refused"
    assert refused["elapsed_ms"] < 2000  # reported at once, like the SQL sources
    assert submit(demo.shop_url, "save").status_code == 302
    listing = admin.get("/admin/datasources").get_data(as_text=True)
    assert 'data-datasource="orders_copy"' in listing
