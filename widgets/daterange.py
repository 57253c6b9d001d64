"""Date-range widget: two native date inputs (from, to) with optional presets."""

from widgets.base import WidgetType, action_list, bindable

#: An ISO calendar date (YYYY-MM-DD) or null when that end of the range is open.
ISO_DATE = {"type": ["string", "null"],
            "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}
PRESETS = ("today", "last7days", "last30days", "thisMonth")

WIDGET = WidgetType(
    type="daterange",
    title="Date range",
    description="Two date inputs (from, to), inclusive, with optional presets.",
    properties={
        "label": bindable({"type": "string"}),
        "start": bindable({**ISO_DATE, "description": "Initial first day (YYYY-MM-DD)"}),
        "end": bindable({**ISO_DATE, "description": "Initial last day, inclusive (YYYY-MM-DD)"}),
        "defaultPreset": {"enum": list(PRESETS),
                          "description": "Initial range when start/end are not given"},
        "presets": {"type": "array", "items": {"enum": list(PRESETS)}, "uniqueItems": True,
                    "description": "Buttons that pick a range: today, last7days, last30days, "
                                   "thisMonth"},
        "required": {"type": "boolean", "default": False,
                     "description": "A query reading the range refuses an empty start or end"},
        "disabled": bindable({"type": "boolean", "default": False}),
        "onChange": action_list("Runs when the range changes"),
    },
    state={
        "start": ISO_DATE,
        "end": ISO_DATE,
        #: The day after ``end``: ``created_at < <<dates.endExclusive>>`` on every engine.
        "endExclusive": ISO_DATE,
    },
    default_size=(6, 1),
)
