from widgets.base import COLOR, WidgetType, bindable

WIDGET = WidgetType(
    type="text",
    title="Text",
    description="A piece of text, usually bound to other widgets or queries.",
    properties={
        "text": bindable({"type": ["string", "number", "boolean", "null"]}),
        "label": bindable({"type": "string"}),
        "placeholder": {"type": "string", "description": "Shown when the text is empty"},
        "selectable": {"type": "boolean", "default": True},
        "color": {**COLOR, "description": "Colour of the text, #rrggbb"},
    },
    default_size=(4, 2),
)
