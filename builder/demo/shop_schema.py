"""Schema of the demo ``shop`` database, portable across SQLite, MariaDB/MySQL and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
)

metadata = MetaData()

#: Order statuses: awaiting payment, paid (awaiting shipment), shipped, completed, cancelled.
STATUSES = ("pending_payment", "paid", "shipped", "completed", "cancelled")

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_name", String(100), nullable=False),
    Column("phone", String(30), nullable=False),
    Column("address", String(300), nullable=False),
    Column("product_name", String(200), nullable=False),
    Column("product_image", String(300), nullable=False),
    Column("sku", String(40), nullable=False),
    Column("quantity", Integer, nullable=False, default=1),
    Column("amount", Numeric(10, 2), nullable=False),
    Column("status", String(20), nullable=False),
    Column("shipping_company", String(20), nullable=True),
    Column("shipping_tracking_number", String(64), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("shipped_at", DateTime, nullable=True),
    #: Bumped by every update; ``updateOrder`` matches on it so two people editing one order
    #: cannot silently overwrite each other (``expectRows: 1`` turns a mismatch into a 409).
    Column("version", Integer, nullable=False, default=1),
    Index("ix_orders_status", "status"),
    Index("ix_orders_created_at", "created_at"),
    mysql_charset="utf8mb4",
)

#: Courier codes used by the flagship app's dropdown (value -> label).
COURIERS = {
    "SF": "顺丰",
    "ZTO": "中通",
    "STO": "申通",
    "YTO": "圆通",
    "YD": "韵达",
    "EMS": "EMS",
    "JD": "京东",
    "DBL": "德邦",
}
