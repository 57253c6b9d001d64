"""The rest of the demo shop for the OMS apps: products with stock, status history, payments.

``seed_oms(url)`` runs after ``seed_shop`` on the same database (new or existing): it creates the
``products``, ``order_status_history`` and ``payments`` tables when missing and fills each one
that is empty, deterministically, from the orders already there: every order gets the history
its status implies (created, paid, shipped, completed or cancelled, at plausible times before
:data:`REFERENCE_TIME`) and a payment once it was paid. The bench never calls it: its
million-row tables stay orders only.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, create_engine, func, select
from sqlalchemy.engine import Connection

from builder.demo.seed import CHUNK_SIZE, PRODUCTS, REFERENCE_TIME
from builder.demo.shop_schema import metadata, order_status_history, orders, payments, products

#: SKUs that start below their low-stock threshold, so the inventory app has something to show.
LOW_STOCK = ("SSD-1T", "KB-87", "LMP-LED", "YGM-6MM", "CHO-DK85")
_METHODS = (("alipay", 45), ("wechat", 45), ("card", 7), ("bank", 3))


def seed_oms(url: str, *, seed: int = 20261207) -> dict[str, int]:
    """Create and fill the OMS tables that are empty; returns the rows written per table
    (``repeat_orders``: orders given an earlier customer's name and phone)."""
    engine = create_engine(url)
    try:
        metadata.create_all(engine, tables=[products, order_status_history, payments],
                            checkfirst=True)
        inserted = {"products": 0, "order_status_history": 0, "payments": 0,
                    "repeat_orders": 0}
        with engine.begin() as conn:
            if _empty(conn, products):
                inserted["products"] = _insert(conn, products, product_rows(seed))
            if _empty(conn, order_status_history) and _empty(conn, payments):
                inserted["repeat_orders"] = _repeat_customers(conn, seed)
                history, paid = _history_and_payments(conn, seed)
                inserted["order_status_history"] = _insert(conn, order_status_history, history)
                inserted["payments"] = _insert(conn, payments, paid)
        return inserted
    finally:
        engine.dispose()


def product_rows(seed: int = 20261207) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for product in PRODUCTS:
        threshold = rng.choice((10, 20, 20, 30, 50))
        low = product.sku in LOW_STOCK
        stock = rng.randint(0, threshold - 1) if low else rng.randint(threshold + 5, 400)
        yield {"sku": product.sku, "name": product.name, "image": product.image,
               "price": product.price, "stock": stock, "low_stock_threshold": threshold,
               "updated_at": REFERENCE_TIME}


#: Share of orders placed by a customer who ordered before (same name and phone).
REPEAT_SHARE = 0.22


def _repeat_customers(conn: Connection, seed: int) -> int:
    """Let about a fifth of the orders come from earlier customers, so the dashboard's
    repeat-purchase rate has something to count (``seed_shop`` draws a new person per order).
    Addresses stay: a customer may ship to home one day and to the office the next."""
    rng = random.Random(seed + 2)
    people: dict[int, tuple[str, str]] = {}
    changes = []
    for order_id, name, phone in conn.execute(
            select(orders.c.id, orders.c.customer_name, orders.c.phone).order_by(orders.c.id)):
        earlier = [i for i in range(max(1, order_id - 300), order_id) if i in people]
        if earlier and order_id > 20 and rng.random() < REPEAT_SHARE:
            name, phone = people[rng.choice(earlier)]
            changes.append({"order_id": order_id, "name": name, "phone": phone})
        people[order_id] = (name, phone)
    if changes:
        conn.execute(orders.update().where(orders.c.id == bindparam("order_id"))
                     .values(customer_name=bindparam("name"), phone=bindparam("phone")), changes)
    return len(changes)


def _empty(conn: Connection, table: Any) -> bool:
    return not conn.execute(select(func.count()).select_from(table)).scalar()


def _insert(conn: Connection, table: Any, rows: Any) -> int:
    count, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            conn.execute(table.insert(), chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        conn.execute(table.insert(), chunk)
        count += len(chunk)
    return count


def _history_and_payments(conn: Connection, seed: int) -> tuple[list[dict[str, Any]],
                                                                list[dict[str, Any]]]:
    rng = random.Random(seed + 1)
    history: list[dict[str, Any]] = []
    paid: list[dict[str, Any]] = []
    rows = conn.execute(select(orders.c.id, orders.c.status, orders.c.amount,
                               orders.c.created_at, orders.c.shipped_at).order_by(orders.c.id))
    for order_id, status, amount, created, shipped in rows:
        steps = _steps(rng, status, created, shipped)
        previous = None
        for to_status, at, who in steps:
            history.append({"order_id": order_id, "from_status": previous, "to_status": to_status,
                            "changed_by": who, "changed_at": at, "note": None})
            if to_status == "paid":
                method = rng.choices([m for m, _ in _METHODS], [w for _, w in _METHODS])[0]
                paid.append({"order_id": order_id, "method": method, "amount": amount,
                             "paid_at": at, "transaction_no":
                             f"{method[:2].upper()}{at:%Y%m%d}{rng.randrange(10**10):010d}"})
            previous = to_status
    return history, paid


def _before_now(at: datetime) -> datetime:
    return min(at, REFERENCE_TIME - timedelta(minutes=1))


def _steps(rng: random.Random, status: str, created: datetime,
           shipped: datetime | None) -> list[tuple[str, datetime, str]]:
    """The (status, when, who) steps that lead an order to ``status``."""
    steps = [("pending_payment", created, "customer")]
    if status == "pending_payment":
        return steps
    paid_at = _before_now(created + timedelta(minutes=rng.randint(1, 30)))
    if status == "cancelled":
        if rng.random() < 0.7:  # most cancellations happen before paying
            return [*steps, ("cancelled", _before_now(paid_at + timedelta(hours=2)), "customer")]
        return [*steps, ("paid", paid_at, "customer"),
                ("cancelled", _before_now(paid_at + timedelta(hours=rng.randint(1, 20))), "ops")]
    steps.append(("paid", paid_at, "customer"))
    if status == "paid":
        return steps
    ship_at = shipped or _before_now(paid_at + timedelta(hours=20))
    steps.append(("shipped", max(ship_at, paid_at), "ops"))
    if status == "completed":
        steps.append(("completed", _before_now(ship_at + timedelta(days=rng.randint(2, 6))),
                      "system"))
    return steps
