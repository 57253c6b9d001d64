"""The demo shop's orders in MongoDB: the same generated orders as the SQL ``shop`` database.

``seed_mongo(url)`` fills the ``orders`` collection of the URL's database (``shop`` when the URL
names none) with ``builder.demo.seed.generate_orders``: field for field the rows of the SQL demo,
with ``id`` 1..n as the order number (the table's 订单号 and sort key), an ObjectId ``_id``,
``amount`` as Decimal128 and the timestamps as dates. An ``orders`` collection that already has
documents is left alone, as ``toolcrib demo`` leaves an existing ``shop.db``.

Uses pymongo only (works on MongoDB, Atlas or any wire-compatible server).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bson import Decimal128
from pymongo import ASCENDING, MongoClient

from builder.demo.seed import CHUNK_SIZE, generate_orders

DEFAULT_DATABASE = "shop"
COLLECTION = "orders"
#: What the flagship app queries: the unshipped orders by order number, one order by number.
INDEXES = ([("id", ASCENDING)], [("status", ASCENDING), ("id", ASCENDING)],
           [("created_at", ASCENDING)])


def with_database(url: str, database: str = DEFAULT_DATABASE) -> str:
    """``url`` naming ``database`` when it names none (``mongodb://h:27017`` -> ``.../shop``)."""
    parts = urlsplit(url)
    if parts.path.strip("/"):
        return url
    return urlunsplit(parts._replace(path=f"/{database}"))


def order_document(number: int, row: dict[str, Any]) -> dict[str, Any]:
    doc = {"id": number, **row}
    doc["amount"] = Decimal128(row["amount"])
    return doc


def seed_mongo(url: str, *, orders: int = 1500, seed: int = 20261122,
               timeout_ms: int = 5000) -> int:
    """Create the demo orders at ``url`` unless its ``orders`` collection has documents.

    Returns the number of documents inserted (0 when the collection was already filled).
    """
    if orders < 0:
        raise ValueError("orders must be >= 0")
    client: MongoClient[dict[str, Any]] = MongoClient(
        with_database(url), serverSelectionTimeoutMS=timeout_ms, appname="toolcrib-demo")
    try:
        db = client.get_default_database(DEFAULT_DATABASE)
        coll = db[COLLECTION]
        if coll.find_one({}, {"_id": 1}) is not None:
            return 0
        coll.create_index(INDEXES[0], unique=True, name="id_unique")
        for keys in INDEXES[1:]:
            coll.create_index(keys)
        inserted = 0
        chunk: list[dict[str, Any]] = []
        for number, row in enumerate(generate_orders(orders, seed=seed), start=1):
            chunk.append(order_document(number, row))
            if len(chunk) == CHUNK_SIZE:
                inserted += len(coll.insert_many(chunk, ordered=True).inserted_ids)
                chunk = []
        if chunk:
            inserted += len(coll.insert_many(chunk, ordered=True).inserted_ids)
        return inserted
    finally:
        client.close()
