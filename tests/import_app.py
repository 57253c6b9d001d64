"""The bundled order-import app on a shop database of any engine, for the import tests.

Only this app is published (not every bundled app), so a test does not depend on the others.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, func, select, text

from builder.datasource_admin import add_datasource
from builder.demo.seed_oms import product_rows
from builder.demo.shop_schema import metadata, orders, products
from builder.security import grants as access
from builder.security.users import require_user
from builder.store import apps as app_records
from tests.auth_helpers import ensure_user

SLUG = "order-import"
APP_FILE = Path(__file__).resolve().parent.parent / "apps" / "order_import.yaml"
HEADER = ["客户", "电话", "地址", "SKU", "数量", "金额", "状态", "下单时间"]
SKUS = ["EAR-BT01", "CUP-500", "KB-87", "MOU-WL02"]
STATUS = {"待付款": "pending_payment", "已付款": "paid", "已发货": "shipped"}
#: Orders already in the shop (their phones are what a duplicate collides with).
SEED_PHONES = ["13000000001", "13000000002", "13000000003"]


def make_shop(url: str) -> None:
    """(Re)create the shop tables at ``url`` with the products and three orders."""
    engine = create_engine(url)
    try:
        metadata.drop_all(engine)
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(products.insert(), list(product_rows()))
            conn.execute(orders.insert(), [
                {"customer_name": f"老客户{i}", "phone": phone, "address": "杭州",
                 "product_name": "保温杯 500ml", "product_image": "", "sku": "CUP-500",
                 "quantity": 1, "amount": 89, "status": "paid",
                 "created_at": datetime(2024, 1, 1 + i), "version": 1}
                for i, phone in enumerate(SEED_PHONES)])
    finally:
        engine.dispose()


def shop_rows(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def order_count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(orders)).scalar_one())
    finally:
        engine.dispose()


def publish_import_app(app: Flask, shop_url: str, *, operator: str = "ops",
                       password: str = "ops-pass-123") -> None:
    """The ``shop`` data source, the app published and granted to ``operator``."""
    tc = app.extensions["toolcrib"]
    list(add_datasource(tc, "shop", shop_url, test=False))
    ensure_user(app, operator, "operator", password)
    with tc.store.session() as session:
        version = app_records.save_version(session, slug=SLUG, title="批量导入订单",
                                           source=APP_FILE.read_text(encoding="utf-8"))
        app_records.publish(session, version)
        access.grant(session, access.app_by_slug(session, SLUG),
                     user_id=require_user(session, operator).id)


def good_rows(n: int, *, start: int = 0) -> list[list[Any]]:
    """``n`` valid rows (unique phones), as a user would type them."""
    labels = list(STATUS)
    return [[f"客户{start + i}", f"139{start + i:08d}", f"上海市 {start + i} 号",
             SKUS[i % len(SKUS)], 1 + i % 3, f"{10 + i}.50", labels[i % len(labels)],
             f"2024-06-{1 + i % 28:02d} 10:{i % 60:02d}"]
            for i in range(n)]


def csv_bytes(rows: list[list[Any]], *, header: list[str] | None = None,
              encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER if header is None else header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)
