from widgets.base import WidgetType, action_list, bindable

OPTION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["value"],
    "properties": {"value": {"type": ["string", "number"]}, "label": {"type": "string"}},
}

WIDGET = WidgetType(
    type="select",
    title="Select",
    description="A dropdown of fixed or query-bound options.",
    properties={
        "label": bindable({"type": "string"}),
        "options": bindable({"type": "array", "items": OPTION}),
        "value": bindable({"type": ["string", "number", "null"],
                           "description": "Initial value; follows its binding until edited"}),
        "placeholder": {"type": "string"},
        "required": {"type": "boolean", "default": False},
        "disabled": bindable({"type": "boolean", "default": False}),
        "onChange": action_list("Runs when the user picks an option"),
    },
    state={"value": {"type": ["string", "number", "null"]}},
    default_size=(4, 1),
)
