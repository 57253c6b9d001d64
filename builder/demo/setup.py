"""``toolcrib demo``: the demo shop database, its data source and the bundled apps, in one step."""

from __future__ import annotations

from collections.abc import Iterator

from builder.app_files import import_directory
from builder.context import Toolcrib
from builder.datasource_admin import add_datasource
from builder.store import datasources as records

DEMO_DATASOURCE = "shop"


def set_up_demo(tc: Toolcrib, *, orders: int = 1500) -> Iterator[str]:
    from builder.demo.seed import seed_shop

    shop_path = tc.settings.instance_path / "shop.db"
    shop_url = f"sqlite:///{shop_path}"
    if not shop_path.exists():
        count = seed_shop(shop_url, orders=orders)
        yield f"created demo shop database {shop_path} with {count} orders"
    else:
        yield f"using demo shop database {shop_path}"
    with tc.store.session() as session:
        have_shop = DEMO_DATASOURCE in records.names(session)
    if not have_shop:
        yield from add_datasource(tc, DEMO_DATASOURCE, shop_url)
    yield from import_directory(tc, tc.settings.apps_path, publish=True)
