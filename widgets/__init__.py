"""Built-in widget types. Add one by writing a module with a ``WIDGET`` and listing it here."""

from __future__ import annotations

from builder.registry import Registry, load_object, plugin_paths
from widgets.base import WidgetType

DEFAULT_WIDGETS: list[str] = [
    "widgets.table:WIDGET",
    "widgets.text:WIDGET",
    "widgets.button:WIDGET",
    "widgets.select:WIDGET",
    "widgets.input:WIDGET",
    "widgets.daterange:WIDGET",
    "widgets.stat:WIDGET",
    "widgets.chart:WIDGET",
    "widgets.fileinput:WIDGET",
]

ENTRY_POINT_GROUP = "toolcrib.widgets"


def build_registry(extra: list[str] | None = None) -> Registry[WidgetType]:
    registry: Registry[WidgetType] = Registry("widget type")
    for path in [*DEFAULT_WIDGETS, *plugin_paths(ENTRY_POINT_GROUP), *(extra or [])]:
        widget = load_object(path)
        if not isinstance(widget, WidgetType):
            raise TypeError(f"{path} is not a WidgetType")
        registry.register(widget.type, widget)
    return registry
