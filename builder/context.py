"""The objects one Toolcrib app instance wires together, reachable from request handlers."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from builder.config import Settings
from builder.connections import Connections
from builder.published import PublishedApps
from builder.registry import Registry
from builder.security.secretbox import SecretBox
from builder.store import Store
from datasources.base import DataSource
from widgets.base import WidgetType


@dataclass
class Toolcrib:
    settings: Settings
    store: Store
    box: SecretBox
    widgets: Registry[WidgetType]
    datasource_kinds: Registry[type[DataSource]]
    connections: Connections
    published: PublishedApps

    def close(self) -> None:
        self.connections.close()
        self.store.dispose()


def toolcrib() -> Toolcrib:
    """The Toolcrib of the current Flask app."""
    return current_app.extensions["toolcrib"]
