"""What a widget type declares: its properties (JSON Schema), the state it exposes, its events.

A widget type is one module in ``widgets/`` holding one :class:`WidgetType` (and a ``.js`` file
of the same name for the browser, plus any vendored library it names in ``vendor_scripts``),
listed in :data:`widgets.DEFAULT_WIDGETS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Schema = dict[str, Any]

#: Marks a property whose value may be a ``<<binding>>`` evaluated in the browser.
BINDABLE = "x-bindable"
#: Marks a property of a list's items evaluated per table row in the browser, where
#: ``<<row.column>>`` is that row (``rowStyles[].when``; see ``builder/appspec/scan.py``).
ROW_SCOPE = "x-row-scope"

#: A colour property: ``#rrggbb`` (the editor offers a colour picker).
COLOR: Schema = {"type": "string", "format": "color", "pattern": "^#[0-9a-fA-F]{6}$",
                 "errorMessage": "a colour is #rrggbb"}


def bindable(schema: Schema) -> Schema:
    """A property that accepts either a literal matching ``schema`` or a ``<<binding>>``."""
    return {**schema, BINDABLE: True}


def action_list(description: str) -> Schema:
    """An event property: a list of actions (see ``builder/appspec/schema.py``)."""
    return {"$ref": "#/$defs/actions", "description": description}


@dataclass(frozen=True)
class WidgetType:
    type: str
    title: str
    description: str
    #: JSON Schema of each property the app file may set (besides name/type/at/visible).
    properties: dict[str, Schema]
    #: JSON Schema of each value the widget exposes at runtime (``<<name.value>>``); the server
    #: checks values a browser sends against these before binding them into a query.
    state: dict[str, Schema] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    #: Grid size [w, h] when dropped from a palette.
    default_size: tuple[int, int] = (4, 1)
    #: Browser implementation, a file next to the widget module.
    script: str = ""
    #: Third-party files under ``static/`` the browser code needs (``vendor/chartjs/...``),
    #: loaded before the widget scripts, and only on pages that show a widget of this type.
    vendor_scripts: tuple[str, ...] = ()
    vendor_styles: tuple[str, ...] = ()

    @property
    def script_path(self) -> Path:
        return Path(__file__).with_name(self.script or f"{self.type}.js")

    def referenceable(self) -> set[str]:
        """Names a binding may read from a widget of this type."""
        return set(self.state) | set(self.properties)
