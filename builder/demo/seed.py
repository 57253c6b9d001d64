"""Deterministic generator for the demo ``shop`` database.

``seed_shop(url)`` creates the ``orders`` table on any SQLAlchemy URL (SQLite, MySQL/MariaDB,
PostgreSQL) and appends orders made from one ``random.Random(seed)``: the same seed and size give
the same rows, field for field, on every engine and every run. Timestamps lie in the
:data:`HISTORY_DAYS` before the fixed :data:`REFERENCE_TIME`, never relative to ``now()``, so
screenshots and benchmarks stay comparable; they increase with the row, so ids run in time order
(the time line is spread over the requested size, so 1,500 rows are not a prefix of 100,000).

The product catalogue (:data:`PRODUCTS`) is also the input of ``scripts/make_product_images.py``,
which draws ``static/demo/products/<sku>.svg`` for each entry.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from sqlalchemy import create_engine

from builder.demo.shop_schema import metadata
from builder.demo.shop_schema import orders as orders_table

#: Orders are created within the :data:`HISTORY_DAYS` days before this instant (naive UTC, like
#: what the apps write with CURRENT_TIMESTAMP on SQLite; see docs/architecture.md).
REFERENCE_TIME = datetime(2026, 11, 22, 9, 0, 0)
HISTORY_DAYS = 90
#: Rows per executemany call: large enough to be fast, small enough to keep memory flat.
CHUNK_SIZE = 5_000


@dataclass(frozen=True)
class Product:
    """One catalogue entry; ``icon`` names a drawing in make_product_images.py."""

    sku: str
    name: str
    short: str  # label on the product tile
    price: Decimal
    icon: str  # icon name, or "" to draw ``glyph`` instead
    glyph: str = ""

    @property
    def image(self) -> str:
        return f"/static/demo/products/{self.sku}.svg"


def _p(sku: str, name: str, short: str, price: str, icon: str, glyph: str = "") -> Product:
    return Product(sku, name, short, Decimal(price), icon, glyph)


PRODUCTS: tuple[Product, ...] = (
    _p("EAR-BT01", "无线蓝牙耳机", "蓝牙耳机", "199.00", "headphones"),
    _p("CUP-500", "保温杯 500ml", "保温杯", "89.00", "cup"),
    _p("KB-87", "机械键盘 87 键", "机械键盘", "329.00", "keyboard"),
    _p("TEA-GRN250", "Organic Green Tea 250g", "Green Tea", "68.00", "leaf"),
    _p("CBL-USBC1M", "USB-C Charging Cable 1m", "USB-C Cable", "29.90", "plug"),
    _p("MOU-WL02", "无线静音鼠标", "无线鼠标", "79.00", "mouse"),
    _p("PB-10K", "充电宝 10000mAh", "充电宝", "129.00", "battery"),
    _p("LMP-LED", "LED 护眼台灯", "护眼台灯", "159.00", "lamp"),
    _p("BAG-BP156", "双肩电脑包 15.6 英寸", "电脑包", "239.00", "backpack"),
    _p("NB-A5X3", "A5 笔记本 3 本装", "笔记本", "35.00", "book"),
    _p("PEN-GEL12", "中性笔 0.5mm 12 支装", "中性笔", "19.90", "pen"),
    _p("UMB-AUTO", "全自动折叠雨伞", "折叠伞", "69.00", "umbrella"),
    _p("COF-AR500", "Arabica Coffee Beans 500g", "Coffee Beans", "118.00", "bean"),
    _p("SPK-MINI", "便携蓝牙音箱", "蓝牙音箱", "189.00", "speaker"),
    _p("SSD-1T", "移动固态硬盘 1TB", "移动硬盘", "499.00", "drive"),
    _p("PLT-SUC", "多肉植物盆栽", "多肉盆栽", "25.00", "plant"),
    _p("BTL-750", "Stainless Steel Water Bottle 750ml", "Water Bottle", "79.00", "bottle"),
    _p("CASE-IP15", "透明防摔手机壳", "手机壳", "39.00", "phone"),
    _p("CHG-GAN65", "65W 氮化镓充电器", "快充充电器", "149.00", "bolt"),
    _p("WTB-SIL", "Silicone Smart Watch Band", "Watch Band", "59.00", "watch"),
    _p("HDMI-2M", "HDMI 2.1 Cable 2m", "HDMI Cable", "39.90", "hdmi"),
    _p("TWL-CT2", "纯棉毛巾 2 条装", "纯棉毛巾", "45.00", "", "巾"),
    _p("SCK-5P", "运动袜 5 双装", "运动袜", "49.00", "", "袜"),
    _p("YGM-6MM", "加厚瑜伽垫 6mm", "瑜伽垫", "99.00", "", "瑜"),
    _p("CHO-DK85", "Dark Chocolate 85% 100g", "Dark Chocolate", "32.00", "chocolate"),
)
# Cheap everyday items sell more often than a 1 TB drive.
_PRODUCT_WEIGHTS = tuple(3 if p.price < 60 else 2 if p.price < 200 else 1 for p in PRODUCTS)

# -- people -------------------------------------------------------------------------------------

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
)
_GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "霞", "平", "刚", "婷", "鹏", "飞", "琳", "秀英", "桂英", "建华", "志强", "晓燕", "海燕",
    "子涵", "浩然", "欣怡", "梓萱", "宇轩", "一诺", "思远", "雨桐", "嘉怡", "俊杰", "文博", "佳琪",
    "诗涵", "博文", "晨曦", "天佑", "若曦", "明轩", "雅琴", "国庆",
)
_FIRST = (
    "Emily", "James", "Olivia", "Daniel", "Sophia", "Michael", "Chloe", "William", "Grace",
    "Benjamin", "Hannah", "Lucas", "Amelia", "Ethan", "Charlotte", "Noah", "Isabella", "Ryan",
    "Mia", "Thomas", "Zoe", "Oliver", "Lily", "Jack", "Sarah", "David", "Emma", "Kevin",
)
_LAST = (
    "Carter", "Smith", "Johnson", "Brown", "Wilson", "Taylor", "Anderson", "Thompson", "Walker",
    "Harris", "Clark", "Lewis", "Robinson", "Young", "King", "Wright", "Green", "Baker", "Hall",
    "Turner", "Campbell", "Mitchell", "Roberts", "Evans", "Chan", "Wong", "Lee", "Ng", "Tan",
)

# -- addresses ----------------------------------------------------------------------------------

# city -> (province prefix ("" for a municipality), districts, streets)
_CITIES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "杭州市": ("浙江省", ("西湖区", "滨江区", "余杭区", "拱墅区", "上城区"),
              ("文三路", "学院路", "江南大道", "文一西路", "莫干山路", "庆春路")),
    "宁波市": ("浙江省", ("鄞州区", "海曙区", "江北区"), ("中山东路", "天童南路", "日丽中路")),
    "深圳市": ("广东省", ("南山区", "福田区", "宝安区", "龙岗区", "龙华区"),
              ("科技园南路", "深南大道", "海德三道", "福华一路", "民治大道", "新安六路")),
    "广州市": ("广东省", ("天河区", "海珠区", "越秀区", "番禺区"),
              ("天河路", "体育西路", "江南大道中", "环市东路", "兴南大道")),
    "南京市": ("江苏省", ("鼓楼区", "玄武区", "建邺区", "江宁区"),
              ("中山北路", "珠江路", "江东中路", "双龙大道")),
    "苏州市": ("江苏省", ("姑苏区", "吴中区", "工业园区"), ("干将路", "东环路", "星湖街")),
    "成都市": ("四川省", ("武侯区", "锦江区", "成华区", "青羊区"),
              ("天府大道", "人民南路", "春熙路", "建设路", "蜀都大道")),
    "武汉市": ("湖北省", ("洪山区", "武昌区", "江汉区"), ("珞喻路", "中南路", "解放大道")),
    "西安市": ("陕西省", ("雁塔区", "碑林区", "未央区"), ("小寨东路", "南大街", "凤城八路")),
    "青岛市": ("山东省", ("市南区", "崂山区", "市北区"), ("香港中路", "海尔路", "辽宁路")),
    "厦门市": ("福建省", ("思明区", "湖里区"), ("湖滨南路", "嘉禾路", "环岛东路")),
    "长沙市": ("湖南省", ("岳麓区", "天心区", "开福区"), ("麓山南路", "芙蓉中路", "湘江中路")),
    "郑州市": ("河南省", ("金水区", "二七区", "郑东新区"), ("花园路", "大学路", "商务外环路")),
    "合肥市": ("安徽省", ("蜀山区", "包河区"), ("长江西路", "马鞍山路")),
    "北京市": ("", ("朝阳区", "海淀区", "东城区", "西城区", "丰台区"),
              ("建国路", "中关村大街", "望京街", "学院路", "金融大街", "丰台北路")),
    "上海市": ("", ("浦东新区", "徐汇区", "静安区", "杨浦区", "闵行区"),
              ("世纪大道", "漕溪北路", "南京西路", "国定路", "虹梅路", "张江路")),
    "天津市": ("", ("和平区", "南开区", "河西区"), ("南京路", "鞍山西道", "友谊路")),
    "重庆市": ("", ("渝中区", "江北区", "渝北区"), ("解放碑步行街", "建新北路", "金开大道")),
}
_CITY_NAMES = tuple(_CITIES)
# Big cities order more.
_CITY_WEIGHTS = tuple(
    4 if c in ("上海市", "北京市", "深圳市", "杭州市", "广州市") else 2 if c != "合肥市" else 1
    for c in _CITY_NAMES
)
_COMMUNITIES = (
    "阳光花园", "万科城", "碧桂园", "翠苑一区", "绿城桂花园", "世纪花园", "保利香槟国际", "华润城",
    "金地名京", "锦绣江南", "滨江花园", "龙湖春江郦城",
)
_OFFICES = ("创业大厦", "科技大厦", "国际金融中心", "软件园二期", "东方大厦", "财富广场")

_HK_BUILDINGS = (
    "Harbour View Gardens", "Taikoo Shing Block 5", "Grand Promenade Tower 2", "Mei Foo Sun Chuen",
    "Laguna City Block 18", "The Belcher's Tower 3",
)
_HK_STREETS = (
    ("Nathan Road", "Tsim Sha Tsui, Kowloon"), ("Hennessy Road", "Wan Chai"),
    ("King's Road", "North Point"), ("Queen's Road East", "Wan Chai"),
    ("Sai Yeung Choi Street South", "Mong Kok, Kowloon"),
    ("Sha Tin Centre Street", "Sha Tin, N.T."),
)
_US = (("San Francisco", "CA", "941", "415"), ("Seattle", "WA", "981", "206"),
       ("New York", "NY", "100", "212"), ("Austin", "TX", "787", "512"))
_US_STREETS = ("Mission Street", "Pine Street", "Broadway", "Elm Avenue", "Lakeview Drive")
_UK = (("London", "NW1 6XE"), ("Manchester", "M1 4BT"), ("Edinburgh", "EH1 1YZ"))
_UK_STREETS = ("Baker Street", "Oxford Road", "Princes Street", "Victoria Road")
_AU = (("Sydney", "NSW", "2000"), ("Melbourne", "VIC", "3000"))
_AU_STREETS = ("George Street", "Collins Street", "Pitt Street")
_SG_STREETS = ("Ang Mo Kio Avenue 3", "Tampines Street 21", "Clementi Avenue 2", "Bedok North Road")
_CA = (("Toronto", "ON", "M5H 2N2", "416"), ("Vancouver", "BC", "V6B 1A1", "604"))
_CA_STREETS = ("Queen Street West", "Robson Street", "King Street East")

# -- couriers -----------------------------------------------------------------------------------

_MAINLAND_COURIERS = ("SF", "ZTO", "YTO", "STO", "YD", "JD", "EMS", "DBL")
_MAINLAND_COURIER_CUM = tuple(accumulate((25, 20, 15, 10, 12, 10, 5, 3)))
_ABROAD_COURIERS = ("SF", "EMS")

_PRODUCT_CUM = tuple(accumulate(_PRODUCT_WEIGHTS))
_CITY_CUM = tuple(accumulate(_CITY_WEIGHTS))
# price * quantity for every product and quantity 1-3, computed once.
_AMOUNTS = {(p.sku, q): p.price * q for p in PRODUCTS for q in (1, 2, 3)}


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(10**n)).zfill(n)


def _s10(rng: random.Random, prefix: str, country: str = "CN") -> str:
    """A UPU S10 item number (international EMS), with its real check digit."""
    serial = _digits(rng, 8)
    total = sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    check = 0 if check == 10 else 5 if check == 11 else check
    return f"{prefix}{serial}{check}{country}"


def tracking_number(rng: random.Random, courier: str, *, abroad: bool = False) -> str:
    """A tracking number in the courier's usual shape (SF + 12 digits, ZTO 14 digits, ...)."""
    if courier == "SF":
        return "SF" + _digits(rng, 12)
    if courier == "ZTO":
        return "7" + rng.choice("3568") + _digits(rng, 12)
    if courier == "STO":
        return "77" + _digits(rng, 11)
    if courier == "YTO":
        return "YT" + _digits(rng, 13)
    if courier == "YD":
        return "43" + _digits(rng, 11)
    if courier == "EMS":
        return _s10(rng, "E" + rng.choice("ABCDEFGHJ")) if abroad else "11" + _digits(rng, 11)
    if courier == "JD":
        return "JD00" + _digits(rng, 11)
    if courier == "DBL":
        return "DPK" + _digits(rng, 12)
    raise ValueError(f"unknown courier {courier!r}")


def _chinese_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _english_name(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


# Mobile number prefixes in common use (China Mobile, Unicom, Telecom).
_MOBILE_PREFIXES = tuple(str(p) for p in (*range(130, 140), *range(150, 160), 166, 173, 176, 177,
                                          *range(180, 190), 191, 198, 199) if p != 154)


def _mainland_phone(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + _digits(rng, 8)


def _mainland_address(rng: random.Random) -> str:
    city = rng.choices(_CITY_NAMES, cum_weights=_CITY_CUM)[0]
    province, districts, streets = _CITIES[city]
    head = f"{province}{city}{rng.choice(districts)}{rng.choice(streets)} {rng.randint(1, 999)} 号"
    kind = rng.random()
    if kind < 0.5:
        return f"{head} {rng.randint(1, 6)} 单元 {rng.randint(1, 28)}{rng.randint(1, 4):02d} 室"
    if kind < 0.85:
        room = f"{rng.randint(1, 33)}{rng.randint(1, 6):02d}"
        return f"{head}{rng.choice(_COMMUNITIES)} {rng.randint(1, 24)} 栋 {room} 室"
    return f"{head}{rng.choice(_OFFICES)} {rng.randint(2, 40)} 楼"


def _abroad(rng: random.Random) -> tuple[str, str]:
    """(address, phone) in Hong Kong or overseas, written the local way."""
    r = rng.random()
    if r < 0.4:
        street, area = rng.choice(_HK_STREETS)
        flat = f"Flat {rng.randint(1, 40)}{rng.choice('ABCDEFGH')}, {rng.randint(2, 45)}/F"
        address = (f"{flat}, {rng.choice(_HK_BUILDINGS)}, {rng.randint(1, 500)} {street}, "
                   f"{area}, Hong Kong")
        return address, f"+852 {rng.choice('569')}{_digits(rng, 3)} {_digits(rng, 4)}"
    if r < 0.6:
        blk = rng.randint(100, 699)
        address = (f"Blk {blk} {rng.choice(_SG_STREETS)}, #{rng.randint(2, 25):02d}-"
                   f"{rng.randint(1, 499):03d}, Singapore {rng.randint(3, 59):02d}{blk:04d}")
        return address, f"+65 {rng.choice('89')}{_digits(rng, 3)} {_digits(rng, 4)}"
    if r < 0.75:
        city, state, zip3, area = rng.choice(_US)
        address = (f"{rng.randint(10, 9999)} {rng.choice(_US_STREETS)}, Apt {rng.randint(1, 30)}"
                   f"{rng.choice('ABCD')}, {city}, {state} {zip3}{_digits(rng, 2)}, USA")
        return address, f"+1 ({area}) 555-01{_digits(rng, 2)}"  # 555-01xx: fictional
    if r < 0.87:
        city, postcode = rng.choice(_UK)
        address = (f"Flat {rng.randint(1, 20)}, {rng.randint(1, 250)} {rng.choice(_UK_STREETS)}, "
                   f"{city} {postcode}, United Kingdom")
        return address, f"+44 7700 900{_digits(rng, 3)}"  # Ofcom drama range
    if r < 0.94:
        city, state, postcode = rng.choice(_AU)
        address = (f"Unit {rng.randint(1, 60)}, {rng.randint(1, 400)} {rng.choice(_AU_STREETS)}, "
                   f"{city} {state} {postcode}, Australia")
        return address, f"+61 4{_digits(rng, 2)} {_digits(rng, 3)} {_digits(rng, 3)}"
    city, prov, postcode, area = rng.choice(_CA)
    address = (f"Unit {rng.randint(100, 3500)}, {rng.randint(1, 900)} {rng.choice(_CA_STREETS)}, "
               f"{city}, {prov} {postcode}, Canada")
    return address, f"+1 ({area}) 555-01{_digits(rng, 2)}"


# -- time line ----------------------------------------------------------------------------------

# Orders per hour of day (0-23): quiet at night, busy at lunch, peak in the evening.
_HOUR_WEIGHTS = (3, 2, 1, 1, 1, 1, 2, 4, 6, 7, 8, 9, 10, 9, 8, 8, 8, 8, 9, 11, 13, 13, 10, 6)
# Busier days: weekends, and the 11.11 (双十一) shopping festival with the days around it.
_DAY_FACTORS = {(11, 10): 1.6, (11, 11): 3.5, (11, 12): 1.6}


def _hour_slots() -> tuple[datetime, tuple[float, ...]]:
    """Start time and cumulative order weight of each hour in the history window."""
    start = REFERENCE_TIME - timedelta(days=HISTORY_DAYS)
    weights = []
    for k in range(HISTORY_DAYS * 24):
        t = start + timedelta(hours=k)
        day = _DAY_FACTORS.get((t.month, t.day), 1.25 if t.weekday() >= 5 else 1.0)
        weights.append(_HOUR_WEIGHTS[t.hour] * day)
    return start, tuple(accumulate(weights))


_SLOTS_START, _SLOTS_CUM = _hour_slots()

#: Status weights by order age (upper bound, exclusive): the shop cancels orders left unpaid
#: for 3 days, parcels arrive within about 10 days, and a backlog of paid orders waits for the
#: operators (paid is ~65% overall).
_STATUS_BY_AGE: tuple[tuple[timedelta, tuple[str, ...], tuple[int, ...]], ...] = tuple(
    (limit, tuple(w), tuple(accumulate(w.values())))
    for limit, w in (
        (timedelta(hours=2), {"pending_payment": 30, "paid": 68, "cancelled": 2}),
        (timedelta(days=3), {"pending_payment": 25, "paid": 60, "shipped": 13, "cancelled": 2}),
        (timedelta(days=10), {"paid": 64, "shipped": 26, "completed": 7, "cancelled": 3}),
        (timedelta.max, {"paid": 65, "shipped": 1, "completed": 30, "cancelled": 4}),
    )
)


def _created_at(rng: random.Random, index: int, count: int) -> datetime:
    """Creation time of order ``index`` of ``count``: increasing with the index, so ids run in
    time order, and following the hourly/daily weights above."""
    q = (index + rng.random()) / count * _SLOTS_CUM[-1]
    k = min(bisect_right(_SLOTS_CUM, q), len(_SLOTS_CUM) - 1)
    below = _SLOTS_CUM[k - 1] if k else 0.0
    frac = (q - below) / (_SLOTS_CUM[k] - below)
    return _SLOTS_START + timedelta(hours=k, seconds=min(int(frac * 3600), 3599))


def _status(rng: random.Random, created: datetime) -> str:
    age = REFERENCE_TIME - created
    for limit, names, cum in _STATUS_BY_AGE:
        if age < limit:
            return rng.choices(names, cum_weights=cum)[0]
    raise AssertionError("unreachable: the last age bucket is unbounded")


def _order(rng: random.Random, index: int, count: int) -> dict[str, Any]:
    created = _created_at(rng, index, count)
    abroad = rng.random() < 0.08
    if abroad:
        address, phone = _abroad(rng)
        name = _english_name(rng) if rng.random() < 0.7 else _chinese_name(rng)
    else:
        address, phone = _mainland_address(rng), _mainland_phone(rng)
        name = _english_name(rng) if rng.random() < 0.08 else _chinese_name(rng)

    product = rng.choices(PRODUCTS, cum_weights=_PRODUCT_CUM)[0]
    quantity = rng.choices((1, 2, 3), cum_weights=(75, 93, 100))[0]
    status = _status(rng, created)

    company = tracking = shipped_at = None
    if status in ("shipped", "completed"):
        if abroad:
            company = rng.choice(_ABROAD_COURIERS)
        else:
            company = rng.choices(_MAINLAND_COURIERS, cum_weights=_MAINLAND_COURIER_CUM)[0]
        tracking = tracking_number(rng, company, abroad=abroad)
        # Handed to the courier 1.5 h to 3 days after the order, and before "now".
        room = int((REFERENCE_TIME - created).total_seconds() // 60) - 5
        shipped_at = created + timedelta(minutes=rng.randint(min(90, room), min(72 * 60, room)))

    return {
        "customer_name": name,
        "phone": phone,
        "address": address,
        "product_name": product.name,
        "product_image": product.image,
        "sku": product.sku,
        "quantity": quantity,
        "amount": _AMOUNTS[product.sku, quantity],
        "status": status,
        "shipping_company": company,
        "shipping_tracking_number": tracking,
        "created_at": created,
        "shipped_at": shipped_at,
        "version": 1,
    }


def generate_orders(count: int, *, seed: int = 20261122) -> Iterator[dict[str, Any]]:
    """Yield ``count`` order rows (without ``id``) for the ``orders`` table, deterministically."""
    rng = random.Random(seed)
    for index in range(count):
        yield _order(rng, index, count)


def seed_shop(url: str, *, orders: int = 1500, seed: int = 20261122) -> int:
    """Create the shop schema on ``url`` if missing and append ``orders`` generated rows.

    Rows are inserted in one transaction, :data:`CHUNK_SIZE` rows per executemany, so memory stays
    flat for a million rows. Existing rows are kept; seed an empty database for the ids 1..n.
    Returns the number of rows inserted.
    """
    if orders < 0:
        raise ValueError("orders must be >= 0")
    table = orders_table
    engine = create_engine(url)
    try:
        metadata.create_all(engine, tables=[table], checkfirst=True)
        inserted = 0
        with engine.begin() as conn:
            chunk: list[dict[str, Any]] = []
            for row in generate_orders(orders, seed=seed):
                chunk.append(row)
                if len(chunk) == CHUNK_SIZE:
                    conn.execute(table.insert(), chunk)
                    inserted += len(chunk)
                    chunk = []
            if chunk:
                conn.execute(table.insert(), chunk)
                inserted += len(chunk)
        return inserted
    finally:
        engine.dispose()

