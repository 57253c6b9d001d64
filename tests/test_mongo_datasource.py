"""The MongoDB data source against a real wire-protocol server: operations, typed values,
injection, server-side pages, limits, expectRows and read-only.

Runs against ``mongo_url`` (SecantusDB started for the session, or TOOLCRIB_TEST_MONGO_URL).
Each test works in its own collection.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from bson import Decimal128, Int64, ObjectId
from pymongo import MongoClient
from pymongo.collection import Collection

from datasources.base import (
    MAX_PAGE_SIZE,
    DataSourceQueryFailed,
    DataSourceTimeout,
    FilterClause,
    Limits,
    PageRequest,
    QueryInputError,
    QueryRequest,
    QueryResult,
    RowCountMismatch,
    SortKey,
)
from datasources.mongo import MongoSource
from tests.mongoserver import start_secantus
from tests.test_mongo_values import INJECTIONS

COURIERS = ("SF", "ZTO", "STO", "YTO", None)


def make_source(url: str, **extra: Any) -> MongoSource:
    return MongoSource("mongo", {**MongoSource.from_url(url), "serverSelectionTimeoutMS": 3000,
                                 **extra})


@pytest.fixture(scope="module")
def source(mongo_url: str) -> Iterator[MongoSource]:
    src = make_source(mongo_url)
    yield src
    src.close()


@pytest.fixture(scope="module")
def client(mongo_url: str) -> Iterator[MongoClient[dict[str, Any]]]:
    raw: MongoClient[dict[str, Any]] = MongoClient(mongo_url, serverSelectionTimeoutMS=5000)
    yield raw
    raw.close()


@pytest.fixture
def coll(client: MongoClient[dict[str, Any]], request: pytest.FixtureRequest) -> Collection[Any]:
    """A fresh collection named after the test."""
    name = re.sub(r"\W", "_", request.node.name)[:60]
    collection = client.get_default_database()[name]
    collection.drop()
    return collection


def seed(coll: Collection[Any], n: int = 45) -> list[dict[str, Any]]:
    docs = [{"id": i, "name": f"order {i:02d}", "status": "paid" if i % 3 else "shipped",
             "courier": COURIERS[i % len(COURIERS)], "qty": i % 4,
             "created": datetime(2024, 5, 1 + i % 28, 9, 0), "amount": Decimal128(f"{i}.50"),
             "version": 1} for i in range(1, n + 1)]
    coll.insert_many(docs)
    coll.create_index("id", unique=True)
    return docs


def run(source: MongoSource, coll: Collection[Any], op: str, arg: Any, values: dict[str, Any]
        | None = None, **kw: Any) -> QueryResult:
    body = {"collection": coll.name, op: arg}
    body.update(kw.pop("options", {}))
    return source.run(QueryRequest(body=body, values=values or {}, **kw))


# --- every operation ------------------------------------------------------------------------------


def test_find_with_filter_projection_sort_skip_limit(source: MongoSource,
                                                     coll: Collection[Any]) -> None:
    seed(coll)
    result = run(source, coll, "find", {"status": "paid", "qty": {"$gte": "<<q.value>>"}},
                 {"q.value": 2}, options={"projection": {"id": 1, "qty": 1, "_id": 0},
                                          "sort": {"id": -1}, "skip": 1, "limit": 3})
    assert result.rows == [{"id": 38, "qty": 2}, {"id": 35, "qty": 3}, {"id": 34, "qty": 2}]
    assert result.columns == ["id", "qty"] and result.truncated is False
    assert result.rowcount is None and result.duration_ms > 0


def test_find_one_count_distinct_aggregate(source: MongoSource, coll: Collection[Any]) -> None:
    seed(coll)
    one = run(source, coll, "findOne", {"id": "<<t.value>>"}, {"t.value": 7},
              options={"projection": {"name": 1}})
    assert one.rows == [{"_id": one.rows[0]["_id"], "name": "order 07"}]
    assert run(source, coll, "findOne", {"id": 999}).rows == []
    count = run(source, coll, "count", {"status": "<<s.value>>"}, {"s.value": "shipped"})
    assert count.rows == [{"count": 15}] and count.rowcount == 15
    distinct = run(source, coll, "distinct", {"key": "courier", "filter": {"id": {"$lte": 5}}})
    assert sorted(r["value"] for r in distinct.rows if r["value"]) == ["SF", "STO", "YTO", "ZTO"]
    assert distinct.columns == ["value"]
    agg = run(source, coll, "aggregate", [
        {"$match": {"status": "<<s.value>>"}},
        {"$group": {"_id": "$courier", "n": {"$sum": 1}, "total": {"$sum": "$amount"}}},
        {"$sort": {"n": -1, "_id": 1}}], {"s.value": "paid"})
    assert sum(r["n"] for r in agg.rows) == 30 and agg.columns == ["_id", "n", "total"]
    assert agg.rows[0]["total"] == {"$numberDecimal": agg.rows[0]["total"]["$numberDecimal"]}


def test_inserts_updates_upserts_and_deletes(source: MongoSource, coll: Collection[Any]) -> None:
    one = run(source, coll, "insertOne", {"id": "<<n.value>>", "name": "x <<n.value>>"},
              {"n.value": 1})
    assert one.rowcount == 1 and set(one.rows[0]["_id"]) == {"$oid"}
    many = run(source, coll, "insertMany", [{"id": 2}, {"id": "<<n.value>>"}], {"n.value": 3})
    assert many.rowcount == 2 and len(many.rows) == 2
    assert coll.find_one({"id": 1})["name"] == "x 1"

    upd = run(source, coll, "updateOne", {"filter": {"id": 1}, "update": {"$set": {
        "name": "<<v.value>>"}}}, {"v.value": "renamed"})
    assert upd.rowcount == 1 and upd.rows == []
    assert coll.find_one({"id": 1})["name"] == "renamed"
    upd_many = run(source, coll, "updateMany", {"filter": {"id": {"$gte": 2}},
                                                "update": {"$inc": {"v": 1}}})
    assert upd_many.rowcount == 2
    upserted = run(source, coll, "updateMany", {"filter": {"id": 9}, "update": {
        "$set": {"name": "new"}}, "upsert": True})
    assert upserted.rowcount == 1 and set(upserted.rows[0]["_id"]) == {"$oid"}
    assert coll.find_one({"id": 9})["name"] == "new"
    pipeline_update = run(source, coll, "updateOne", {"filter": {"id": 9}, "update": [
        {"$set": {"label": {"$concat": ["$name", "-", "<<s.value>>"]}}}]}, {"s.value": "$x"})
    assert pipeline_update.rowcount == 1
    assert coll.find_one({"id": 9})["label"] == "new-$x"  # $x stayed a value

    assert run(source, coll, "deleteOne", {"id": {"$gte": 2}}).rowcount == 1
    assert run(source, coll, "deleteMany", {"id": {"$gte": 0}}).rowcount == 3
    assert coll.count_documents({}) == 0


def test_typed_values_round_trip(source: MongoSource, coll: Collection[Any]) -> None:
    oid = ObjectId()
    values = {"f.int": 42, "f.float": 2.5, "f.true": True, "f.false": False, "f.null": None,
              "f.list": [1, "two", None, {"three": 3}], "f.doc": {"city": "杭州", "zip": "310000",
                                                                  "geo": {"lat": 30.27}},
              "f.oid": {"$oid": str(oid)}, "f.date": {"$date": "2024-05-01T09:30:00.250Z"},
              "f.dec": {"$numberDecimal": "12345678901234567890.12"},
              "f.long": {"$numberLong": "9007199254740993"}, "f.text": "<<not a binding>>"}
    doc = {key.split(".")[1]: f"<<{key}>>" for key in values}
    run(source, coll, "insertOne", doc, values)
    stored = coll.find_one({}, {"_id": 0})
    assert stored == {"int": 42, "float": 2.5, "true": True, "false": False, "null": None,
                      "list": [1, "two", None, {"three": 3}],
                      "doc": {"city": "杭州", "zip": "310000", "geo": {"lat": 30.27}},
                      "oid": oid, "date": datetime(2024, 5, 1, 9, 30, 0, 250000),
                      "dec": Decimal128(Decimal("12345678901234567890.12")),
                      "long": 9007199254740993, "text": "<<not a binding>>"}
    assert isinstance(stored["int"], int) and type(stored["long"]) in (int, Int64)
    assert isinstance(stored["true"], bool) and isinstance(stored["float"], float)

    # Out as relaxed extended JSON, back in as the same values: match on every one of them.
    row = run(source, coll, "find", {}).rows[0]
    assert row["oid"] == {"$oid": str(oid)} and row["date"] == {"$date": "2024-05-01T09:30:00.250Z"}
    assert row["dec"] == {"$numberDecimal": "12345678901234567890.12"}
    again = run(source, coll, "count", {k: f"<<r.{k}>>" for k in ("_id", "oid", "date", "dec",
                                                                 "doc", "list")},
                {f"r.{k}": row[k] for k in ("_id", "oid", "date", "dec", "doc", "list")})
    assert again.rowcount == 1


# --- operator injection ---------------------------------------------------------------------------


@pytest.mark.parametrize("payload", INJECTIONS, ids=lambda p: str(p)[:40])
def test_injected_operators_are_refused_and_nothing_changes(
        source: MongoSource, coll: Collection[Any], payload: Any) -> None:
    seed(coll, 6)
    before = list(coll.find().sort("id"))
    for op, arg in (("updateMany", {"filter": {"_id": "<<t.row._id>>"},
                                    "update": {"$set": {"status": "hacked"}}}),
                    ("deleteMany", {"version": "<<t.row._id>>"}),
                    ("find", {"name": "<<t.row._id>>"})):
        with pytest.raises(QueryInputError) as err:
            run(source, coll, op, arg, {"t.row._id": payload})
        assert err.value.status == 400
    assert list(coll.find().sort("id")) == before


@pytest.mark.parametrize("payload", ['{"$ne": null}', '{"$gt": ""}', '{"$where": "true"}',
                                     '{"$regex": ".*"}', "{$ne: null}"])
def test_operator_looking_strings_match_only_themselves(
        source: MongoSource, coll: Collection[Any], payload: str) -> None:
    seed(coll, 6)
    before = list(coll.find().sort("id"))
    with pytest.raises(RowCountMismatch):
        run(source, coll, "updateOne", {"filter": {"_id": "<<t.row._id>>"},
                                        "update": {"$set": {"status": "hacked"}}},
            {"t.row._id": payload}, expect_rows=1)
    assert run(source, coll, "count", {"name": "<<x>>"}, {"x": payload}).rowcount == 0
    assert list(coll.find().sort("id")) == before


# --- server-side pages ----------------------------------------------------------------------------


def page(number: int, size: int = 10, sort: tuple[SortKey, ...] = (),
         filters: tuple[FilterClause, ...] = ()) -> PageRequest:
    return PageRequest(size=size, number=number, sort=sort, filter=filters)


def test_find_pages_sorts_and_filters_on_the_server(source: MongoSource,
                                                    coll: Collection[Any]) -> None:
    seed(coll)
    body = {"status": "paid"}
    opts = {"projection": {"id": 1, "name": 1, "courier": 1, "qty": 1}}
    first = run(source, coll, "find", body, options=opts, page=page(1, sort=(SortKey("id"),)))
    assert [r["id"] for r in first.rows] == [i for i in range(1, 46) if i % 3][:10]
    assert first.total == 30 and first.has_more is True and first.truncated is False
    assert first.columns == ["_id", "id", "name", "courier", "qty"]
    last = run(source, coll, "find", body, options=opts,
               page=page(3, sort=(SortKey("id", True),)))
    assert [r["id"] for r in last.rows] == sorted((i for i in range(1, 46) if i % 3),
                                                  reverse=True)[20:30]
    assert last.has_more is False

    # Ties on the sort key: every order exactly once across the pages (_id breaks ties).
    seen = []
    for n in (1, 2, 3):
        rows = run(source, coll, "find", body, options=opts,
                   page=page(n, sort=(SortKey("qty"),))).rows
        seen += [r["id"] for r in rows]
    assert sorted(seen) == [i for i in range(1, 46) if i % 3]

    filtered = run(source, coll, "find", body, options=opts, page=page(1, filters=(
        FilterClause("courier", "=", "SF"), FilterClause("name", "contains", "ORDER 1"))))
    assert [r["id"] for r in filtered.rows] == [10]  # SF, paid, "order 1x" in any case
    assert filtered.total == len(filtered.rows)
    numeric = run(source, coll, "find", body, options=opts,
                  page=page(1, filters=(FilterClause("id", "<=", "5"),)))
    assert sorted(r["id"] for r in numeric.rows) == [1, 2, 4, 5]
    nulls = run(source, coll, "find", body, options=opts,
                page=page(1, size=50, filters=(FilterClause("courier", "null"),)))
    assert nulls.rows and all(r["courier"] is None for r in nulls.rows)

    with pytest.raises(QueryInputError, match="not a field of this query's result"):
        run(source, coll, "find", body, options=opts, page=page(1, sort=(SortKey("status"),)))
    with pytest.raises(QueryInputError, match="not a field name"):
        run(source, coll, "find", body, page=page(1, filters=(FilterClause("$where", "=", 1),)))


def test_find_with_its_own_limit_pages_inside_it(source: MongoSource,
                                                 coll: Collection[Any]) -> None:
    seed(coll)
    result = run(source, coll, "find", {}, options={"sort": {"id": 1}, "limit": 12, "skip": 2},
                 page=PageRequest(size=5, number=3, sort=(SortKey("id"),)))
    assert [r["id"] for r in result.rows] == [13, 14] and result.total == 12
    assert result.has_more is False


def test_aggregate_pages_sorts_and_filters(source: MongoSource, coll: Collection[Any]) -> None:
    seed(coll)
    pipeline = [{"$group": {"_id": "$qty", "orders": {"$sum": 1}}}]
    result = run(source, coll, "aggregate", pipeline,
                 page=PageRequest(size=2, number=1, sort=(SortKey("_id", True),)))
    assert result.rows == [{"_id": 3, "orders": 11}, {"_id": 2, "orders": 11}]
    assert result.total == 4 and result.has_more is True
    filtered = run(source, coll, "aggregate", pipeline, page=PageRequest(
        size=10, number=1, filter=(FilterClause("orders", ">", "11"),)))
    assert filtered.rows == [{"_id": 1, "orders": 12}] and filtered.total == 1


def test_document_cap_and_page_size_cap(source: MongoSource, coll: Collection[Any]) -> None:
    seed(coll)
    limits = Limits(max_rows=10)
    capped = run(source, coll, "find", {}, limits=limits)
    assert len(capped.rows) == 10 and capped.truncated is True
    assert run(source, coll, "find", {}, options={"limit": 5}, limits=limits).truncated is False
    agg = run(source, coll, "aggregate", [{"$sort": {"id": 1}}], limits=limits)
    assert len(agg.rows) == 10 and agg.truncated is True
    distinct = run(source, coll, "distinct", {"key": "id"}, limits=limits)
    assert len(distinct.rows) == 10 and distinct.truncated is True
    coll.insert_many([{"id": i} for i in range(46, MAX_PAGE_SIZE + 11)])
    big_page = run(source, coll, "find", {}, page=PageRequest(size=10_000, number=1))
    assert len(big_page.rows) == MAX_PAGE_SIZE and big_page.has_more is True
    assert big_page.total == MAX_PAGE_SIZE + 10


def test_slow_queries_hit_the_time_limit(source: MongoSource, client: MongoClient[Any]) -> None:
    big = client.get_default_database()["slow_big"]
    if big.estimated_document_count() < 20_000:
        big.drop()
        big.insert_many([{"i": i, "s": "x" * 40} for i in range(20_000)])
    body = {"collection": "slow_big", "find": {"s": {"$regex": "y$"}}}
    with pytest.raises(DataSourceTimeout) as err:
        source.run(QueryRequest(body=body, values={}, limits=Limits(timeout_s=0.01)))
    assert err.value.status == 504 and "0.01 s" in err.value.message
    slow_count = {"collection": "slow_big", "aggregate": [
        {"$match": {"s": {"$regex": "y$"}}}, {"$count": "n"}]}
    with pytest.raises(DataSourceTimeout):
        source.run(QueryRequest(body=slow_count, values={}, limits=Limits(timeout_s=0.01)))
    # The same source still works afterwards.
    assert source.run(QueryRequest(body={"collection": "slow_big", "count": {"i": 5}},
                                   values={})).rowcount == 1


# --- expectRows -----------------------------------------------------------------------------------


def test_expect_rows_on_single_documents(source: MongoSource, coll: Collection[Any]) -> None:
    seed(coll, 6)
    doc = coll.find_one({"id": 2})
    update = {"filter": {"_id": "<<r._id>>", "version": "<<r.version>>"},
              "update": {"$set": {"courier": "<<c>>"}, "$inc": {"version": 1}}}
    row = {"r._id": {"$oid": str(doc["_id"])}, "r.version": 1, "c": "JD"}
    assert run(source, coll, "updateOne", update, row, expect_rows=1).rowcount == 1
    with pytest.raises(RowCountMismatch) as err:  # stale version: nothing matched, nothing saved
        run(source, coll, "updateOne", update, {**row, "c": "SF"}, expect_rows=1)
    assert err.value.status == 409 and "nothing was saved" in err.value.message
    assert coll.find_one({"id": 2})["courier"] == "JD"
    # Saving the same values again still counts as the matched document.
    same = {"filter": {"id": 2}, "update": {"$set": {"courier": "JD"}}}
    assert run(source, coll, "updateOne", same, expect_rows=1).rowcount == 1
    with pytest.raises(RowCountMismatch, match="at most one"):
        run(source, coll, "updateOne", {"filter": {}, "update": {"$set": {"x": 1}}},
            expect_rows=2)
    assert coll.count_documents({"x": 1}) == 0
    with pytest.raises(RowCountMismatch):
        run(source, coll, "deleteOne", {"id": 99}, expect_rows=1)
    with pytest.raises(RowCountMismatch):
        run(source, coll, "insertMany", [{"id": 7}, {"id": 8}], expect_rows=1)
    with pytest.raises(RowCountMismatch, match="return 1 document but it returned 6"):
        run(source, coll, "find", {}, expect_rows=1)
    assert coll.count_documents({}) == 6


def check_many(source: MongoSource, coll: Collection[Any]) -> None:
    seed(coll, 9)
    before = list(coll.find().sort("id"))
    with pytest.raises(RowCountMismatch, match="nothing was saved"):  # 3 match, 2 expected
        run(source, coll, "updateMany", {"filter": {"status": "shipped"},
                                         "update": {"$set": {"courier": "EMS"}}}, expect_rows=2)
    with pytest.raises(RowCountMismatch, match="nothing was saved"):
        run(source, coll, "deleteMany", {"status": "shipped"}, expect_rows=4)
    with pytest.raises(RowCountMismatch):
        run(source, coll, "updateOne", {"filter": {"id": 1}, "update": {"$set": {"x": 1}}},
            expect_rows=0)
    assert list(coll.find().sort("id")) == before
    ok = run(source, coll, "updateMany", {"filter": {"status": "shipped"},
                                          "update": {"$set": {"courier": "EMS"}}}, expect_rows=3)
    assert ok.rowcount == 3 and coll.count_documents({"courier": "EMS"}) == 3
    assert run(source, coll, "deleteMany", {"status": "shipped"}, expect_rows=3).rowcount == 3
    assert coll.count_documents({}) == 6


def test_expect_rows_on_many_documents_in_a_transaction(source: MongoSource,
                                                        coll: Collection[Any]) -> None:
    if not source._supports_transactions():
        pytest.skip("this server has no transactions (the standalone test covers the guard)")
    check_many(source, coll)


def test_expect_rows_on_many_documents_without_transactions(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    server = start_secantus(tmp_path_factory.mktemp("mongo-standalone"), standalone=True)
    src = make_source(server.url("shop"))
    raw: MongoClient[dict[str, Any]] = MongoClient(server.url("shop"))
    try:
        assert src._supports_transactions() is False
        check_many(src, raw.get_default_database()["orders"])
    finally:
        raw.close()
        src.close()
        server.stop()


# --- read-only ------------------------------------------------------------------------------------


def test_read_only_refuses_every_write(mongo_url: str, coll: Collection[Any]) -> None:
    seed(coll, 3)
    src = make_source(mongo_url, read_only=True)
    try:
        assert len(run(src, coll, "find", {}).rows) == 3
        assert run(src, coll, "count", {}).rowcount == 3
        writes = [("insertOne", {"a": 1}), ("insertMany", [{"a": 1}]), ("deleteOne", {}),
                  ("deleteMany", {}), ("updateOne", {"filter": {}, "update": {"$set": {"a": 1}}}),
                  ("updateMany", {"filter": {}, "update": {"$set": {"a": 1}}}),
                  ("aggregate", [{"$match": {}}, {"$out": "copy"}]),
                  ("aggregate", [{"$merge": {"into": "copy"}}])]
        for op, arg in writes:
            with pytest.raises(DataSourceQueryFailed) as err:
                run(src, coll, op, arg)
            assert (err.value.status, err.value.code) == (403, "read_only")
            assert "read-only" in err.value.message
    finally:
        src.close()
    assert coll.count_documents({}) == 3 and "copy" not in coll.database.list_collection_names()


# --- schema and connection ------------------------------------------------------------------------


def test_introspect_lists_collections_fields_and_types(source: MongoSource,
                                                       coll: Collection[Any]) -> None:
    seed(coll, 5)
    coll.insert_one({"id": 6, "address": {"city": "杭州", "zip": 310000}, "courier": "SF"})
    tables = {t.name: t for t in source.introspect()}
    fields = {c.name: c for c in tables[coll.name].columns}
    assert list(fields)[0] == "_id" and fields["_id"].type == "objectId"
    assert fields["id"].type == "int" and fields["id"].nullable is False
    assert fields["courier"].type == "string" and fields["courier"].nullable is True
    assert fields["created"].type == "date" and fields["amount"].type == "decimal"
    assert fields["address"].type == "object" and fields["address.city"].type == "string"
    assert fields["address.zip"].nullable is False and fields["status"].nullable is True


def test_test_connection_reports_the_server(source: MongoSource) -> None:
    info = source.test_connection()
    assert info.server_version.startswith("MongoDB ")
    assert info.latency_ms >= 0 and info.connect_ms is not None


def test_wrong_query_shapes_are_400(source: MongoSource, coll: Collection[Any]) -> None:
    with pytest.raises(QueryInputError, match="update document"):
        run(source, coll, "updateOne", {"filter": {}, "update": {}})
    with pytest.raises(QueryInputError, match="MongoDB cannot run this query"):
        run(source, coll, "updateOne", {"filter": {}, "update": {"name": "no operator"}})
    with pytest.raises(QueryInputError, match="limit must be a whole number"):
        run(source, coll, "find", {}, {"l": "ten"}, options={"limit": "<<l>>"})
    with pytest.raises(DataSourceQueryFailed, match="MongoDB error"):
        run(source, coll, "aggregate", [{"$nosuchstage": {}}])
