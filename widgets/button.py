from widgets.base import WidgetType, action_list, bindable

WIDGET = WidgetType(
    type="button",
    title="Button",
    description="Runs a chain of actions when clicked; disabled while they run.",
    properties={
        "label": bindable({"type": "string"}),
        "disabled": bindable({"type": "boolean", "default": False}),
        "variant": {"enum": ["primary", "secondary", "danger"], "default": "primary"},
        "onClick": action_list("Runs when the button is clicked"),
    },
    required=("label",),
    default_size=(2, 1),
)
