"""The stat widget: one number on a card (a count, a sum, a rate), with a label and a tone."""

from widgets.base import WidgetType, bindable

TONES = ["neutral", "good", "warning", "danger"]

WIDGET = WidgetType(
    type="stat",
    title="Stat",
    description="A number card: a count, a sum or a rate from a query, formatted.",
    properties={
        "label": bindable({"type": "string", "description": "What the number is, e.g. 待发货"}),
        "value": bindable({"type": ["number", "string", "null"],
                           "description": "Usually <<someQuery.data[0].n>>"}),
        "format": {"enum": ["number", "currency", "percent", "text"], "default": "number",
                   "description": "number: 12,345; currency: ¥12,345.00; percent: 0.25 shows "
                                  "25%; text: as it comes"},
        "decimals": {"type": "integer", "minimum": 0, "maximum": 6,
                     "description": "Digits after the point (default: up to 2; currency: 2)"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "CNY",
                     "errorMessage": "currency is a three-letter code such as CNY or USD",
                     "description": "ISO 4217 code for format: currency, e.g. CNY, USD"},
        "prefix": {"type": "string", "description": "Text before the number, e.g. ¥"},
        "suffix": {"type": "string", "description": "Text after the number, e.g. 单"},
        "caption": bindable({"type": "string", "description": "Small text under the number"}),
        "trend": bindable({"type": ["number", "string", "null"],
                           "description": "Change to show next to the number: a number gets "
                                          "▲/▼ and the widget's format; text is shown as is"}),
        "trendGood": {"enum": ["up", "down"], "default": "up",
                      "description": "Which way of the trend is good (green); down for "
                                     "cancellations, refunds..."},
        "tone": bindable({"enum": TONES, "default": "neutral",
                          "description": "Colour of the card, e.g. <<lowStock.data[0].n > 0 ? "
                                         "\"danger\" : \"good\">>"}),
    },
    state={"value": {"type": ["number", "string", "null"]}},
    default_size=(3, 2),
)
