"""File input widget: picks one CSV or Excel (.xlsx) file for an ``import:`` query to upload.

The file stays in the browser until a ``run`` of the import query sends it (multipart) to
``POST /api/apps/<slug>/queries/<name>/import``. Its state is the file's name and size, never
its content. The server enforces ``accept`` and ``maxSize`` again (builder/web/imports.py).
"""

from widgets.base import WidgetType, action_list, bindable

FILE_TYPES = (".csv", ".xlsx")
#: Default and largest ``maxSize`` in bytes.
DEFAULT_MAX_SIZE = 5 * 1024 * 1024
MAX_SIZE_LIMIT = 50 * 1024 * 1024

WIDGET = WidgetType(
    type="fileinput",
    title="File input",
    description="Picks a CSV or Excel (.xlsx) file for an import query to upload.",
    properties={
        "label": bindable({"type": "string"}),
        "accept": {"type": "array", "items": {"enum": list(FILE_TYPES)}, "minItems": 1,
                   "uniqueItems": True, "default": list(FILE_TYPES),
                   "description": "File types offered and accepted: .csv, .xlsx"},
        "maxSize": {"type": "integer", "minimum": 1, "maximum": MAX_SIZE_LIMIT,
                    "default": DEFAULT_MAX_SIZE,
                    "description": "Largest file in bytes (default 5 MB); the server refuses "
                                   "bigger ones"},
        "placeholder": {"type": "string", "description": "Shown when no file is chosen"},
        "disabled": bindable({"type": "boolean", "default": False}),
        "onChange": action_list("Runs after a file is picked (or cleared)"),
    },
    state={
        "fileName": {"type": ["string", "null"]},
        "fileSize": {"type": ["integer", "null"], "minimum": 0},
    },
    default_size=(6, 1),
)
