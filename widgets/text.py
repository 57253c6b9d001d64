from widgets.base import WidgetType, bindable

WIDGET = WidgetType(
    type="text",
    title="Text",
    description="A piece of text, usually bound to other widgets or queries.",
    properties={
        "text": bindable({"type": ["string", "number", "boolean", "null"]}),
        "label": bindable({"type": "string"}),
        "placeholder": {"type": "string", "description": "Shown when the text is empty"},
        "selectable": {"type": "boolean", "default": True},
        "color": {"type": "string", "format": "color", "pattern": "^#[0-9a-fA-F]{6}$",
                  "description": "Colour of the text, #rrggbb"},
    },
    default_size=(4, 2),
)
