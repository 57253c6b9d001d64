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
#: What people read for each status (the apps map codes to these with ``labels``).
STATUS_LABELS = {"pending_payment": "待付款", "paid": "已付款", "shipped": "已发货",
                 "completed": "已完成", "cancelled": "已取消"}
#: The order state machine: which statuses an order may move to from each status.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending_payment": ("paid", "cancelled"),
    "paid": ("shipped", "cancelled"),
    "shipped": ("completed",),
    "completed": (),
    "cancelled": (),
}

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

#: The catalogue with stock: what "create order" decrements and the inventory app watches.
products = Table(
    "products",
    metadata,
    Column("sku", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("image", String(300), nullable=False),
    Column("price", Numeric(10, 2), nullable=False),
    Column("stock", Integer, nullable=False),
    #: Below this many in stock the inventory app highlights the row and counts it.
    Column("low_stock_threshold", Integer, nullable=False, default=20),
    Column("updated_at", DateTime, nullable=False),
    mysql_charset="utf8mb4",
)

#: Every status change of an order: who and when (the first row has no ``from_status``).
order_status_history = Table(
    "order_status_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Integer, nullable=False),
    Column("from_status", String(20), nullable=True),
    Column("to_status", String(20), nullable=False),
    Column("changed_by", String(100), nullable=False),
    Column("changed_at", DateTime, nullable=False),
    Column("note", String(300), nullable=True),
    Index("ix_order_status_history_order", "order_id", "changed_at"),
    mysql_charset="utf8mb4",
)

#: The payment of a paid order (at most one per order).
payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Integer, nullable=False, unique=True),
    Column("method", String(20), nullable=False),  # alipay, wechat, card, bank
    Column("amount", Numeric(10, 2), nullable=False),
    Column("paid_at", DateTime, nullable=False),
    Column("transaction_no", String(64), nullable=False),
    mysql_charset="utf8mb4",
)

PAYMENT_METHODS = {"alipay": "支付宝", "wechat": "微信支付", "card": "银行卡", "bank": "对公转账"}

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
