"""The demo ``shop`` data: size, determinism, realism, and product images present on disk."""

from __future__ import annotations

import importlib.util
import random
import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from builder.demo import seed as seed_mod
from builder.demo.seed import (
    HISTORY_DAYS,
    PRODUCTS,
    REFERENCE_TIME,
    generate_orders,
    seed_shop,
    tracking_number,
)
from builder.demo.shop_schema import COURIERS, orders

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"^[A-Za-z]+ [A-Za-z]+$")
TRACKING = {
    "SF": r"SF\d{12}",
    "ZTO": r"7[3568]\d{12}",
    "STO": r"77\d{11}",
    "YTO": r"YT\d{13}",
    "YD": r"43\d{11}",
    "EMS": r"11\d{11}|E[A-Z]\d{9}CN",
    "JD": r"JD00\d{11}",
    "DBL": r"DPK\d{12}",
}


def _rows(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(orders).order_by(orders.c.id))]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('shop') / 'shop.db'}"
    assert seed_shop(url) == 1500
    return _rows(url)


def test_default_size_and_ids(shop: list[dict[str, Any]]) -> None:
    assert len(shop) == 1500
    assert [r["id"] for r in shop] == list(range(1, 1501))
    assert {r["version"] for r in shop} == {1}


def test_requested_count_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seed_mod, "CHUNK_SIZE", 7)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert seed_shop(url, orders=22) == 22
    assert seed_shop(url, orders=0) == 0
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(orders)) == 22
    engine.dispose()


def test_same_seed_same_rows(tmp_path: Path) -> None:
    a, b, c = (f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db", "c.db"))
    seed_shop(a, orders=300, seed=7)
    seed_shop(b, orders=300, seed=7)
    seed_shop(c, orders=300, seed=8)
    assert _rows(a) == _rows(b)
    assert _rows(a) != _rows(c)
    assert list(generate_orders(50, seed=7)) == list(generate_orders(50, seed=7))


def test_chinese_and_english_names(shop: list[dict[str, Any]]) -> None:
    names = [r["customer_name"] for r in shop]
    chinese = [n for n in names if CJK.fullmatch(n[0]) and len(n) in (2, 3)]
    english = [n for n in names if LATIN.match(n)]
    assert len(chinese) > len(names) * 0.6
    assert len(english) > len(names) * 0.05
    assert len(chinese) + len(english) == len(names)


def test_addresses_mostly_chinese_some_english(shop: list[dict[str, Any]]) -> None:
    addresses = [r["address"] for r in shop]
    chinese = [a for a in addresses if re.search(r"[省市].*区.+ \d+ 号", a)]
    english = [a for a in addresses if not CJK.search(a)]
    assert len(chinese) > len(addresses) * 0.8
    assert english and any(a.endswith("Hong Kong") for a in english)
    assert len(chinese) + len(english) == len(addresses)


def test_status_mix(shop: list[dict[str, Any]]) -> None:
    statuses = Counter(r["status"] for r in shop)
    assert 0.55 < statuses["paid"] / len(shop) < 0.75
    for status in ("pending_payment", "shipped", "completed", "cancelled"):
        assert statuses[status] > 0, status


def test_paid_orders_await_shipment(shop: list[dict[str, Any]]) -> None:
    for r in shop:
        if r["status"] not in ("shipped", "completed"):
            assert r["shipping_company"] is None
            assert r["shipping_tracking_number"] is None
            assert r["shipped_at"] is None


def test_shipped_orders_have_tracking_numbers(shop: list[dict[str, Any]]) -> None:
    shipped = [r for r in shop if r["status"] in ("shipped", "completed")]
    assert shipped
    for r in shipped:
        assert r["shipping_company"] in COURIERS
        assert re.fullmatch(TRACKING[r["shipping_company"]], r["shipping_tracking_number"])
        assert r["created_at"] < r["shipped_at"] <= REFERENCE_TIME
    assert len({r["shipping_company"] for r in shipped}) >= 5


def test_tracking_number_shapes() -> None:
    assert set(TRACKING) == set(COURIERS), "every courier in the schema needs a number format"
    rng = random.Random(1)
    for courier, pattern in TRACKING.items():
        for abroad in (False, True):
            assert re.fullmatch(pattern, tracking_number(rng, courier, abroad=abroad)), courier
    with pytest.raises(ValueError):
        tracking_number(rng, "NOPE")


def test_international_ems_check_digit() -> None:
    rng = random.Random(3)
    for _ in range(50):
        number = tracking_number(rng, "EMS", abroad=True)
        digits = [int(d) for d in number[2:10]]
        check = 11 - sum(d * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11
        assert int(number[10]) == {10: 0, 11: 5}.get(check, check)


def test_time_line(shop: list[dict[str, Any]]) -> None:
    created = [r["created_at"] for r in shop]
    assert created == sorted(created), "ids run in time order"
    assert REFERENCE_TIME - timedelta(days=HISTORY_DAYS) <= created[0]
    assert created[-1] < REFERENCE_TIME
    assert created[-1] - created[0] > timedelta(days=HISTORY_DAYS - 2)


def test_products_and_amounts(shop: list[dict[str, Any]]) -> None:
    by_sku = {p.sku: p for p in PRODUCTS}
    assert 20 <= len(by_sku) == len(PRODUCTS) <= 30
    for r in shop:
        product = by_sku[r["sku"]]
        assert r["product_name"] == product.name
        assert r["product_image"] == product.image
        assert r["quantity"] in (1, 2, 3)
        assert Decimal(r["amount"]).quantize(Decimal("0.01")) == product.price * r["quantity"]
    assert len({r["sku"] for r in shop}) == len(PRODUCTS)
    for row in generate_orders(20):
        assert isinstance(row["amount"], Decimal)


def test_every_product_image_is_a_file(shop: list[dict[str, Any]]) -> None:
    paths = {r["product_image"] for r in shop} | {p.image for p in PRODUCTS}
    for path in paths:
        assert path.startswith("/static/demo/products/") and path.endswith(".svg")
        assert (ROOT / path.lstrip("/")).is_file(), path


def test_product_images_match_generator() -> None:
    """The committed tiles are what scripts/make_product_images.py draws from the catalogue."""
    spec = importlib.util.spec_from_file_location(
        "make_product_images", ROOT / "scripts" / "make_product_images.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder = ROOT / "static" / "demo" / "products"
    for index, product in enumerate(PRODUCTS):
        text = (folder / f"{product.sku}.svg").read_text(encoding="utf-8")
        stale = f"{product.sku}.svg is stale: re-run scripts/make_product_images.py"
        assert text == module.tile(product, index), stale
        assert "Noto Sans CJK SC" in text
    assert len(list(folder.glob("*.svg"))) == len(PRODUCTS)


def test_oms_tables_follow_the_orders_and_are_seeded_once(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    from builder.demo.seed_oms import seed_oms
    from builder.demo.shop_schema import TRANSITIONS

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    seed_shop(url, orders=400)
    first = seed_oms(url)
    assert first["products"] == 25 and first["order_status_history"] >= 400
    assert seed_oms(url) == {"products": 0, "order_status_history": 0, "payments": 0,
                             "repeat_orders": 0}
    engine = create_engine(url)
    with engine.connect() as conn:
        # The last step of every order's history is its status, and every step is allowed.
        last = dict(conn.execute(text(
            "SELECT h.order_id, h.to_status FROM order_status_history h WHERE h.id = "
            "(SELECT MAX(id) FROM order_status_history WHERE order_id = h.order_id)")).all())
        statuses = dict(conn.execute(text("SELECT id, status FROM orders")).all())
        assert last == statuses
        for before, after in conn.execute(text(
                "SELECT from_status, to_status FROM order_status_history "
                "WHERE from_status IS NOT NULL")):
            assert after in TRANSITIONS[before], (before, after)
        # Paid orders (and only they) have one payment of the order's amount.
        unpaid = conn.execute(text(
            "SELECT COUNT(*) FROM orders o JOIN payments p ON p.order_id = o.id "
            "WHERE o.status = 'pending_payment' OR p.amount <> o.amount")).scalar()
        assert unpaid == 0
        assert conn.execute(text(
            "SELECT COUNT(*) FROM products WHERE stock < low_stock_threshold")).scalar() == 5
    engine.dispose()
