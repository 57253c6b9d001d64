"""The chart widget: rows of a query as a bar, line or pie chart (Chart.js, vendored)."""

from widgets.base import COLOR, WidgetType, bindable

SERIES = {
    "type": "object",
    "title": "series",
    "additionalProperties": False,
    "required": ["key"],
    "properties": {
        "key": {"type": "string", "description": "Column holding the numbers"},
        "label": {"type": "string", "description": "Name in the legend (default: the key)"},
        "type": {"enum": ["bar", "line"],
                 "description": "Bar or line (default: the chart's chartType); mix them on one "
                                "chart"},
        "axis": {"enum": ["left", "right"], "default": "left",
                 "description": "right: a second y axis, for numbers of another size "
                                "(revenue next to order counts)"},
        "color": {**COLOR, "description": "#rrggbb (default: the next colour of the palette)"},
    },
}

WIDGET = WidgetType(
    type="chart",
    title="Chart",
    description="Rows of a query as a bar, line or pie chart.",
    properties={
        "title": bindable({"type": "string", "description": "Shown above the chart"}),
        "data": bindable({"type": "array", "description": "Rows, usually <<someQuery.data>>"}),
        "x": {"type": "string",
              "description": "Column for the x axis (pie: the slices); default: the first column"},
        "series": {"type": "array", "items": SERIES, "minItems": 1,
                   "description": "Columns to draw; default: every numeric column but x"},
        "chartType": {"enum": ["bar", "line", "pie"], "default": "bar",
                      "description": "Kind of chart; each series may override bar/line"},
        "stacked": {"type": "boolean", "default": False,
                    "description": "Stack the series of each axis on top of each other"},
    },
    default_size=(6, 6),
    vendor_scripts=("vendor/chartjs/chart.umd.min.js",),
)
