from widgets.base import ROW_SCOPE, WidgetType, action_list, bindable

COLUMN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key"],
    "properties": {
        "key": {"type": "string", "description": "Column name in the query result"},
        "label": {"type": "string", "description": "Header shown to the user"},
        "format": {"enum": ["text", "image", "number", "date", "datetime", "link"],
                   "default": "text"},
        "width": {"type": "integer", "minimum": 20},
        "sortable": {"type": "boolean", "default": True},
        "hidden": {"type": "boolean", "default": False},
        "labels": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Show a label instead of each stored value, e.g. {SF: 顺丰}",
        },
    },
}

TONES = ("danger", "warning", "good", "muted")

ROW_STYLE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["when", "tone"],
    "properties": {
        "when": {"type": "string", "pattern": r"^\s*<<[\s\S]*>>\s*$", ROW_SCOPE: True,
                 "errorMessage": "'when' takes a <<binding>>, e.g. <<row.stock < row.low_stock>>",
                 "description": "A <<binding>> per row, e.g. <<row.stock < row.low_stock>>"},
        "tone": {"enum": list(TONES), "description": "How a matching row is highlighted"},
    },
}

WIDGET = WidgetType(
    type="table",
    title="Table",
    description="Rows of a query, paged, sorted and filtered on the server.",
    properties={
        "data": bindable({"type": "array", "description": "Usually <<someQuery.data>>"}),
        "columns": {"type": "array", "items": COLUMN},
        "pageSize": {"type": "integer", "minimum": 1, "maximum": 500, "default": 20},
        "selectable": {"type": "boolean", "default": True},
        "rowKey": {"type": "string", "default": "id",
                   "description": "Column that identifies a row (keeps the selection on reload)"},
        "defaultSort": {
            "type": "object",
            "additionalProperties": False,
            "required": ["column"],
            "properties": {"column": {"type": "string"},
                           "dir": {"enum": ["asc", "desc"], "default": "asc"}},
        },
        "filterable": {"type": "boolean", "default": False},
        "rowStyles": {"type": "array", "items": ROW_STYLE,
                      "description": "Highlight rows: the first rule whose `when` is true wins"},
        "onRowClick": action_list("Runs when a row is clicked"),
    },
    state={
        "selectedRow": {"type": ["object", "null"]},
        "selectedRowIndex": {"type": ["integer", "null"]},
        "pageNumber": {"type": "integer", "minimum": 1},
        "searchText": {"type": "string"},
    },
    default_size=(8, 8),
    vendor_scripts=("vendor/tabulator/tabulator.min.js",),
    vendor_styles=("vendor/tabulator/tabulator.min.css",),
)
