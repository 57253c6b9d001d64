from widgets.base import WidgetType, action_list, bindable

WIDGET = WidgetType(
    type="input",
    title="Input",
    description="A one-line text or number field.",
    properties={
        "label": bindable({"type": "string"}),
        "value": bindable({"type": ["string", "number", "null"],
                           "description": "Initial value; follows its binding until edited"}),
        "inputType": {"enum": ["text", "number", "email", "password"], "default": "text"},
        "placeholder": {"type": "string"},
        "required": {"type": "boolean", "default": False},
        "maxLength": {"type": "integer", "minimum": 1},
        "pattern": {"type": "string", "description": "Regular expression the value must match"},
        "disabled": bindable({"type": "boolean", "default": False}),
        "onChange": action_list("Runs when the value changes"),
        "onSubmit": action_list("Runs when Enter is pressed"),
    },
    state={"value": {"type": ["string", "number", "null"]}},
    default_size=(4, 1),
)
