"""MongoDB queries without a server: typed substitution, extended JSON, injection, paging, URLs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from bson import Decimal128, Int64, ObjectId, Regex

import datasources
from builder.appspec.schema import DOCUMENT_OPERATIONS
from datasources.base import FilterClause, QueryInputError, SortKey
from datasources.mongo import MongoSource
from datasources.mongo_ops import WRITES, parse_query
from datasources.mongo_paging import check_field, filter_clause, page_sort, projected_fields
from datasources.mongo_support import connection_failure, targets, where
from datasources.mongo_values import Renderer, decode_input, to_json

OID = "6650f1c2a1b2c3d4e5f60718"

#: What a browser (or an attacker posting to the run API) may put in widget state.
INJECTIONS: list[Any] = [
    {"$ne": None},
    {"$gt": ""},
    {"$where": "sleep(1000) || true"},
    {"$regex": ".*"},
    {"$regex": ".*", "$options": "i"},
    {"$in": [1, 2]},
    {"$expr": {"$eq": [1, 1]}},
    {"$oid": OID, "$ne": None},
    {"a": {"$ne": None}},
    {"a": [{"b": {"$gt": 0}}]},
    [{"$ne": None}],
    [1, {"nested": {"deeper": {"$where": "1"}}}],
    {"$numberLong": "1", "extra": 2},
]


def render(template: Any, values: dict[str, Any], ctx: str = "query") -> Any:
    return Renderer(values).render(template, ctx)  # type: ignore[arg-type]


# --- typed substitution ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [42, -1.5, True, False, None, "text", [1, "a", None],
                                   {"city": "杭州", "lines": ["a", "b"], "n": {"m": 1}}])
def test_a_lone_binding_keeps_the_type(value: Any) -> None:
    assert render({"field": "<<w.value>>"}, {"w.value": value}) == {"field": value}
    assert render({"field": "  <<w.value>>  "}, {"w.value": value}) == {"field": value}


def test_a_binding_inside_a_string_interpolates_text() -> None:
    values = {"a.value": 7, "b.value": None, "c.value": True, "d.value": {"$oid": OID}}
    assert render("SF-<<a.value>>-<<b.value>>-<<c.value>>", values) == "SF-7--true"
    assert render("id <<d.value>>", values) == f"id {OID}"
    assert render({"deep": ["x<<a.value>>", {"y": "<<a.value>>"}]}, values) == \
        {"deep": ["x7", {"y": 7}]}


def test_extended_json_from_the_page_becomes_bson() -> None:
    values = {
        "t.row": {"_id": {"$oid": OID}, "when": {"$date": "2024-05-01T09:30:00.123Z"},
                  "amount": {"$numberDecimal": "59.90"}, "big": {"$numberLong": "9007199254740993"},
                  "ms": {"$date": {"$numberLong": "0"}}, "i": {"$numberInt": "7"},
                  "d": {"$numberDouble": "Infinity"}},
    }
    out = render({"row": "<<t.row>>"}, values)["row"]
    assert out["_id"] == ObjectId(OID)
    assert out["when"] == datetime(2024, 5, 1, 9, 30, 0, 123000, tzinfo=UTC)
    assert out["amount"] == Decimal128("59.90")
    assert out["big"] == Int64(9007199254740993) and isinstance(out["big"], Int64)
    assert out["ms"] == datetime(1970, 1, 1, tzinfo=UTC)
    assert out["i"] == 7 and out["d"] == float("inf")


def test_the_authors_extended_json_and_operators_are_kept() -> None:
    template = {"_id": {"$oid": OID}, "at": {"$date": "<<now>>"}, "n": {"$gte": "<<w.value>>"},
                "price": {"$numberDecimal": "1.10"}}
    out = render(template, {"now": "2026-11-22T09:00:00+00:00", "w.value": 3})
    assert out == {"_id": ObjectId(OID), "at": datetime(2026, 11, 22, 9, tzinfo=UTC),
                   "n": {"$gte": 3}, "price": Decimal128("1.10")}


@pytest.mark.parametrize("payload", INJECTIONS, ids=lambda p: json.dumps(p)[:40])
def test_operator_objects_from_the_page_are_refused(payload: Any) -> None:
    with pytest.raises(QueryInputError) as err:
        render({"_id": "<<t.selectedRow._id>>"}, {"t.selectedRow._id": payload})
    assert err.value.status == 400 and err.value.code == "bad_input"
    assert "<<t.selectedRow._id>>" in err.value.message
    assert "operator" in err.value.message or "not a valid" in err.value.message


@pytest.mark.parametrize("payload", ['{"$ne": null}', '{"$gt": ""}', '{"$where": "1"}',
                                     "$ne", '{"$oid": "' + OID + '"}'])
def test_strings_are_never_parsed(payload: str) -> None:
    assert render({"_id": "<<x.value>>"}, {"x.value": payload}) == {"_id": payload}


@pytest.mark.parametrize("bad", [{"$oid": "xyz"}, {"$oid": 5}, {"$date": "yesterday"},
                                 {"$numberDecimal": "abc"}, {"$numberInt": "99999999999"},
                                 {"$numberLong": "1.5"}])
def test_malformed_extended_json_is_a_400(bad: dict[str, Any]) -> None:
    with pytest.raises(QueryInputError, match="is not a valid"):
        decode_input(bad, "<<x>>")


def test_too_large_integers_are_refused() -> None:
    with pytest.raises(QueryInputError, match="too large"):
        decode_input(2**70, "<<x>>")


def test_field_paths_from_the_page_stay_values_in_expressions() -> None:
    values = {"w.value": "$password", "l.value": ["$a", 1], "t.value": "x"}
    pipeline = [{"$match": {"name": "<<w.value>>"}},
                {"$addFields": {"label": "<<w.value>>", "list": "<<l.value>>",
                                "plain": "<<t.value>>", "mix": "<<w.value>>!"}},
                {"$match": {"$expr": {"$eq": ["$name", "<<w.value>>"]}}}]
    out = Renderer(values).pipeline(pipeline)
    assert out[0] == {"$match": {"name": "$password"}}  # a query compares values: no wrap
    assert out[1]["$addFields"] == {"label": {"$literal": "$password"},
                                    "list": {"$literal": ["$a", 1]}, "plain": "x",
                                    "mix": {"$literal": "$password!"}}
    assert out[2] == {"$match": {"$expr": {"$eq": ["$name", {"$literal": "$password"}]}}}


def test_no_binding_in_javascript() -> None:
    with pytest.raises(QueryInputError, match="JavaScript"):
        render({"$where": "this.a == '<<w.value>>'"}, {"w.value": "x"})
    with pytest.raises(QueryInputError, match="JavaScript"):
        Renderer({"w.value": "x"}).pipeline([{"$addFields": {"f": {"$function": {
            "body": "function(){return '<<w.value>>'}", "args": [], "lang": "js"}}}}])


def test_keys_never_hold_bindings_and_missing_values_are_named() -> None:
    with pytest.raises(QueryInputError, match="never keys"):
        render({"<<w.value>>": 1}, {"w.value": "a"})
    with pytest.raises(QueryInputError, match=r"no value was given for <<w\.value>>"):
        render({"a": "<<w.value>>"}, {})


# --- results as relaxed extended JSON -------------------------------------------------------------


def test_results_are_relaxed_extended_json() -> None:
    doc = {"_id": ObjectId(OID), "when": datetime(2024, 5, 1, 9, 30), "amount":
           Decimal128(Decimal("59.90")), "n": Int64(5), "f": float("nan"),
           "r": Regex("a.*", "i"), "nested": [{"d": datetime(1960, 1, 1)}]}
    out = to_json(doc)
    assert out == {"_id": {"$oid": OID}, "when": {"$date": "2024-05-01T09:30:00Z"},
                   "amount": {"$numberDecimal": "59.90"}, "n": 5,
                   "f": {"$numberDouble": "NaN"},
                   "r": {"$regularExpression": {"pattern": "a.*", "options": "i"}},
                   "nested": [{"d": {"$date": {"$numberLong": "-315619200000"}}}]}
    json.dumps(out)  # JSON-ready
    # ... and what the browser sends back decodes to the same values.
    back = decode_input(json.loads(json.dumps({k: out[k] for k in ("_id", "when", "amount")})),
                        "<<row>>")
    assert back["_id"] == doc["_id"] and back["amount"] == doc["amount"]
    assert back["when"].replace(tzinfo=None) == doc["when"]


# --- query shapes ---------------------------------------------------------------------------------


def test_parse_query_shapes() -> None:
    assert set(WRITES) < set(DOCUMENT_OPERATIONS)
    query = parse_query({"collection": "orders", "find": {}, "sort": {"id": 1}, "limit": 5})
    assert (query.op, query.options) == ("find", {"sort": {"id": 1}, "limit": 5})
    assert parse_query({"collection": "o", "aggregate": [{"$out": "x"}]}).writes
    assert not parse_query({"collection": "o", "aggregate": [{"$match": {}}]}).writes
    with pytest.raises(QueryInputError, match="exactly one operation"):
        parse_query({"collection": "o", "find": {}, "count": {}})
    with pytest.raises(QueryInputError, match="limit applies to find, not to count"):
        parse_query({"collection": "o", "count": {}, "limit": 1})
    with pytest.raises(QueryInputError, match="pipeline"):
        parse_query({"collection": "o", "aggregate": [], "sort": {"a": 1}})
    with pytest.raises(QueryInputError, match="collection"):
        parse_query("SELECT 1")


# --- paging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["$where", "a.$b", "", "a..b", ".a", "a\x00b"])
def test_operator_field_names_from_a_table_are_refused(name: str) -> None:
    with pytest.raises(QueryInputError, match="not a field name"):
        check_field(name, None, "sort")


def test_sort_and_filter_fields_follow_the_projection() -> None:
    fields = projected_fields({"id": 1, "address": 1, "items.sku": 1})
    assert fields == ["_id", "id", "address", "items"]
    assert projected_fields({"secret": 0}) is None and projected_fields(None) is None
    assert projected_fields({"_id": 0, "id": 1}) == ["id"]
    assert check_field("items.sku", fields, "sort") == "items.sku"
    with pytest.raises(QueryInputError, match="the fields are: _id, id, address, items"):
        check_field("phone", fields, "filter")
    sort = page_sort([SortKey("id", descending=True)], {"created_at": -1}, fields)
    assert list(sort.items()) == [("id", -1), ("created_at", -1), ("_id", 1)]


@pytest.mark.parametrize(("clause", "expected"), [
    (FilterClause("n", "=", "42"), {"n": {"$in": ["42", 42]}}),
    (FilterClause("n", "=", 42), {"n": {"$in": [42, "42"]}}),
    (FilterClause("s", "=", "abc"), {"s": "abc"}),
    (FilterClause("s", "=", None), {"s": None}),
    (FilterClause("s", "!=", "abc"), {"s": {"$nin": ["abc"]}}),
    (FilterClause("s", "null"), {"s": None}),
    (FilterClause("s", "notnull"), {"s": {"$ne": None}}),
    (FilterClause("s", "contains", "a.b(c"), {"s": {"$regex": r"a\.b\(c", "$options": "i"}}),
    (FilterClause("s", "starts", "SF"), {"s": {"$regex": "^SF", "$options": "i"}}),
    (FilterClause("s", "in", ["a", "1"]), {"s": {"$in": ["a", "1", 1]}}),
    (FilterClause("n", "<", "5"), {"$or": [{"n": {"$lt": "5"}}, {"n": {"$lt": 5}}]}),
    (FilterClause("b", "=", "true"), {"b": {"$in": ["true", True]}}),
    (FilterClause("d", ">=", "2024-05-01"),
     {"$or": [{"d": {"$gte": "2024-05-01"}}, {"d": {"$gte": datetime(2024, 5, 1)}}]}),
    (FilterClause("_id", "=", OID), {"_id": {"$in": [OID, ObjectId(OID)]}}),
])
def test_filter_clauses(clause: FilterClause, expected: dict[str, Any]) -> None:
    assert filter_clause(clause) == expected


def test_filter_values_never_become_operators() -> None:
    # A filter value is plain data (the run API refuses objects); text stays text.
    assert filter_clause(FilterClause("s", "=", '{"$ne": null}')) == {"s": '{"$ne": null}'}
    with pytest.raises(QueryInputError, match="needs a value"):
        filter_clause(FilterClause("s", ">", None))


# --- configuration --------------------------------------------------------------------------------


def test_registry_kind_and_schemes() -> None:
    registry = datasources.build_registry()
    assert registry.get("mongodb") is MongoSource
    assert datasources.kind_for_url("mongodb://h/shop") == "mongodb"
    assert datasources.kind_for_url("mongodb+srv://cluster0.example.net/shop") == "mongodb"
    assert datasources.url_schemes(registry)["mongodb+srv"] == "mongodb"
    with pytest.raises(ValueError, match="mongodb://"):
        datasources.kind_for_url("couchdb://h/db")


def test_from_url_and_schema() -> None:
    assert MongoSource.from_url("mongodb://bob:p%40ss@db.internal:27018/shop?authSource=admin"
                                "&replicaSet=rs0&tls=true") == {
        "host": "db.internal", "port": 27018, "database": "shop", "user": "bob",
        "password": "p@ss", "authSource": "admin", "replicaSet": "rs0", "tls": True}
    assert MongoSource.from_url("mongodb://u:pw@h/shop")["authSource"] == "shop"  # URI rule
    srv = "mongodb+srv://u:pw@cluster0.example.net/shop?retryWrites=true&w=majority"
    assert MongoSource.from_url(srv) == {"url": srv, "database": "shop"}
    multi = "mongodb://h1:27017,h2:27018/shop?replicaSet=rs0"
    assert MongoSource.from_url(multi) == {"url": multi, "database": "shop"}
    assert targets({"url": multi}) == [("h1", 27017), ("h2", 27018)]
    assert targets({"url": srv}) == [("cluster0.example.net", None)]
    assert where({"url": srv, "database": "shop"}) == "cluster0.example.net/shop"
    for bad in ("mongodb://h:27017", "postgresql://h/db", "mongodb://h:notaport/db"):
        with pytest.raises(ValueError):
            MongoSource.from_url(bad)
    schema = MongoSource.config_schema()
    assert schema["properties"]["password"]["writeOnly"] is True
    assert schema["properties"]["url"]["writeOnly"] is True
    assert {"host", "port", "database", "user", "authSource", "tls", "replicaSet",
            "serverSelectionTimeoutMS", "read_only"} <= set(schema["properties"])


def test_connection_failures_are_classified() -> None:
    from pymongo.errors import (
        AutoReconnect,
        NetworkTimeout,
        OperationFailure,
        ServerSelectionTimeoutError,
    )

    cfg = {"host": "h", "user": "bob"}
    cases = [
        (AutoReconnect("nope.invalid:27017: [Errno -2] Name or service not known"),
         "unknown_host", "unknown host 'nope.invalid'"),
        (AutoReconnect("127.0.0.1:1: [Errno 111] Connection refused"), "connection_refused",
         "connection refused by 127.0.0.1:1"),
        (NetworkTimeout("10.0.0.1:27017: timed out"), "timeout", "no answer from 10.0.0.1:27017"),
    ]
    for exc, kind, text in cases:
        found = connection_failure(exc, [exc], cfg, 2)
        assert found[0] == kind and text in found[1]
    auth = connection_failure(OperationFailure("authentication failed", 18), [], cfg, 2)
    assert auth[0] == "wrong_password" and "'bob'" in auth[1] and "authSource" in auth[2]
    # Time ran out before the monitor heard anything back: no answer, not a wrong replica set.
    selection = ServerSelectionTimeoutError("10.0.0.1:27017: timed out")
    silent = connection_failure(selection, [], cfg, 2, ["10.0.0.1:27017"])
    assert silent[:2] == ("timeout", "no answer from 10.0.0.1:27017 within 2 s")
    other = connection_failure(selection, [], cfg, 2, [])
    assert other[0] == "other" and "replica set" in other[2]
