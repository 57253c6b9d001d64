"""The MongoDB demo: seeding, ``toolcrib demo`` with and without ``--mongo-url``, app imports."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bson import Decimal128
from pymongo import MongoClient

from builder.cli import main
from builder.config import PROJECT_ROOT
from builder.demo.seed import generate_orders
from builder.demo.seed_mongo import seed_mongo, with_database
from builder.demo.setup import set_up_demo
from builder.store import apps as app_records
from tests.conftest import make_toolcrib_app
from tests.mongoserver import with_database as url_with_database


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "instance"
    monkeypatch.setenv("TOOLCRIB_INSTANCE_PATH", str(path))
    monkeypatch.delenv("TOOLCRIB_DATABASE_URL", raising=False)
    monkeypatch.delenv("TOOLCRIB_SECRET_KEY", raising=False)
    return path


@pytest.fixture
def fresh_db_url(mongo_server_url: str) -> Any:
    name = f"toolcrib_demo_{uuid.uuid4().hex[:8]}"
    yield url_with_database(mongo_server_url, name)
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_server_url)
    client.drop_database(name)
    client.close()


def test_with_database() -> None:
    assert with_database("mongodb://h:27017") == "mongodb://h:27017/shop"
    assert with_database("mongodb://h:27017/") == "mongodb://h:27017/shop"
    assert with_database("mongodb://u:p@h/?authSource=admin") == \
        "mongodb://u:p@h/shop?authSource=admin"
    assert with_database("mongodb://h/other") == "mongodb://h/other"


def test_seed_mongo_writes_the_same_orders_once(fresh_db_url: str) -> None:
    assert seed_mongo(fresh_db_url, orders=40) == 40
    assert seed_mongo(fresh_db_url, orders=40) == 0  # filled already: left alone
    client: MongoClient[dict[str, Any]] = MongoClient(fresh_db_url)
    try:
        orders = client.get_default_database()["orders"]
        docs = list(orders.find({}, {"_id": 0}).sort("id"))
        indexes = {i["name"]: i for i in orders.list_indexes()}
    finally:
        client.close()
    expected = list(generate_orders(40))
    assert [d["id"] for d in docs] == list(range(1, 41))
    for doc, row in zip(docs, expected, strict=True):
        assert doc["amount"] == Decimal128(Decimal(row["amount"]))
        assert {k: v for k, v in doc.items() if k not in ("id", "amount")} == \
            {k: v for k, v in row.items() if k != "amount"}
    assert indexes["id_unique"]["unique"] is True and len(indexes) >= 4


def test_demo_without_mongodb_skips_its_app_and_says_why(tmp_path: Path) -> None:
    app = make_toolcrib_app(tmp_path / "instance")
    tc = app.extensions["toolcrib"]
    try:
        lines = list(set_up_demo(tc, orders=20))
        with tc.store.session() as session:
            slugs = [a.slug for a in app_records.list_apps(session)]
    finally:
        tc.close()
    assert "order-shipping" in slugs and "order-shipping-mongo" not in slugs
    skipped = [line for line in lines if "skipped" in line]
    assert skipped == ["order-shipping-mongo: skipped order_shipping_mongo.yaml: it uses the "
                       "data source 'shop_mongo', not set up here"]
    assert any("--mongo-url" in line for line in lines)


def test_apps_import_still_refuses_a_folder_with_an_unknown_data_source(
        instance: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--no-serve", "--orders", "20"]) == 0
    capsys.readouterr()
    assert main(["apps", "import", str(PROJECT_ROOT / "apps"), "--publish"]) == 1
    err = capsys.readouterr().err
    assert "nothing imported" in err and "unknown data source 'shop_mongo'" in err


def test_demo_command_with_a_mongodb_url(instance: Path, fresh_db_url: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--no-serve", "--orders", "30", "--mongo-url", fresh_db_url]) == 0
    out = capsys.readouterr().out
    assert "added mongodb data source 'shop_mongo'" in out
    assert "seeded the MongoDB orders collection with 30 orders" in out
    assert "order-shipping-mongo: imported order_shipping_mongo.yaml" in out
    # Again: everything is there already.
    assert main(["demo", "--no-serve", "--mongo-url", fresh_db_url]) == 0
    again = capsys.readouterr().out
    assert "using the MongoDB orders collection as it is" in again
    assert "order-shipping-mongo: unchanged" in again
    assert main(["datasource", "list"]) == 0
    listed = capsys.readouterr().out
    assert "shop_mongo" in listed and "mongodb" in listed


def test_demo_with_an_unreachable_mongodb_stops_before_writing(
        instance: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.mongoserver import free_port

    url = f"mongodb://127.0.0.1:{free_port()}/shop"
    assert main(["demo", "--no-serve", "--orders", "20", "--mongo-url", url]) == 1
    err = capsys.readouterr().err
    assert "connection test failed" in err and "connection refused" in err


def test_demo_again_with_its_mongodb_down_says_so(
        instance: Path, tmp_path_factory: pytest.TempPathFactory,
        capsys: pytest.CaptureFixture[str]) -> None:
    from tests.mongoserver import start_secantus

    server = start_secantus(tmp_path_factory.mktemp("mongo-demo-down"))
    try:
        assert main(["demo", "--no-serve", "--orders", "20", "--mongo-url", server.url()]) == 0
        with server.down():
            capsys.readouterr()
            assert main(["demo", "--no-serve", "--mongo-url", server.url()]) == 1
            err = capsys.readouterr().err
            assert f"cannot seed the MongoDB orders at 127.0.0.1:{server.port}/shop" in err
    finally:
        server.stop()
