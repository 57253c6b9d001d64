"""A throwaway demo instance with a few bundled apps (by default the inventory and dashboard
apps), for tests that write."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask

from builder.config import PROJECT_ROOT
from tests.conftest import make_demo_app

#: The bundled apps such an instance imports: the two under test and the flagship (the demo
#: grants it to the operator it creates). Only these, so a test does not depend on the other
#: bundled apps.
REPORT_APPS = ("inventory.yaml", "dashboard.yaml", "order_shipping.yaml")


def report_instance(root: Path, *, orders: int = 300,
                    bundled: tuple[str, ...] = REPORT_APPS) -> tuple[Flask, str]:
    """Set up the demo (``orders`` orders) in ``root`` with the ``bundled`` apps of apps/ only;
    returns the app and the shop's URL."""
    apps = root / "apps"
    apps.mkdir(parents=True)
    for name in bundled:
        shutil.copy(PROJECT_ROOT / "apps" / name, apps / name)
    instance = root / "instance"
    app = make_demo_app(instance, orders=orders, apps_path=apps)
    return app, f"sqlite:///{instance / 'shop.db'}"
