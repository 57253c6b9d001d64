"""A throwaway demo instance with the inventory and dashboard apps, for tests that write."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask

from builder import create_app
from builder.config import PROJECT_ROOT
from tests.auth_helpers import DEMO_ADMIN_PASSWORD, DEMO_OPERATOR_PASSWORD

#: The bundled apps such an instance imports: the two under test and the flagship (the demo
#: grants it to the operator it creates). Only these, so a test does not depend on the other
#: bundled apps.
REPORT_APPS = ("inventory.yaml", "dashboard.yaml", "order_shipping.yaml")


def report_instance(root: Path, *, orders: int = 300) -> tuple[Flask, str]:
    """Set up the demo (``orders`` orders) in ``root``; returns the app and the shop's URL."""
    from builder.demo.setup import set_up_demo

    apps = root / "apps"
    apps.mkdir(parents=True)
    for name in REPORT_APPS:
        shutil.copy(PROJECT_ROOT / "apps" / name, apps / name)
    instance = root / "instance"
    app = create_app({"instance_path": instance, "apps_path": apps,
                      "database_url": f"sqlite:///{instance / 'toolcrib.db'}"})
    tc = app.extensions["toolcrib"]
    tc.store.upgrade()
    list(set_up_demo(tc, orders=orders, admin_password=DEMO_ADMIN_PASSWORD,
                     operator_password=DEMO_OPERATOR_PASSWORD))
    return app, f"sqlite:///{instance / 'shop.db'}"
