#!/usr/bin/env python3
"""Draw one small SVG tile per demo product into static/demo/products/<sku>.svg.

The catalogue comes from ``builder.demo.seed.PRODUCTS``; re-run this script after changing it
(``python scripts/make_product_images.py``). Output is deterministic, so a re-run with an
unchanged catalogue leaves the files byte for byte identical. Tiles for SKUs no longer in the
catalogue are removed.

Text uses system fonts (an SVG shown through <img> cannot load web fonts), hence the CJK font list.
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from builder.demo.seed import PRODUCTS, Product  # noqa: E402

OUT = ROOT / "static" / "demo" / "products"
SIZE = 160
FONT = "'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', 'Hiragino Sans GB', sans-serif"

# Gradient pairs (top-left -> bottom-right), dark enough for white text.
PALETTE = (
    ("#6366f1", "#8b5cf6"), ("#0ea5e9", "#2563eb"), ("#10b981", "#0d9488"),
    ("#f59e0b", "#ea580c"), ("#ec4899", "#e11d48"), ("#14b8a6", "#0e7490"),
    ("#a855f7", "#c026d3"), ("#f97316", "#dc2626"), ("#64748b", "#334155"),
    ("#22c55e", "#15803d"), ("#06b6d4", "#3b82f6"), ("#d97706", "#92400e"),
)

# Icons on an 80x80 canvas, drawn with a white 5px round stroke; "solid" parts are filled.
ICONS: dict[str, str] = {
    "headphones": (
        '<path d="M12 50 V40 a28 28 0 0 1 56 0 V50"/>'
        '<rect x="6" y="44" width="16" height="26" rx="6" class="solid"/>'
        '<rect x="58" y="44" width="16" height="26" rx="6" class="solid"/>'
    ),
    "cup": (
        '<rect x="22" y="6" width="36" height="11" rx="4" class="solid"/>'
        '<rect x="25" y="20" width="30" height="54" rx="8"/>'
        '<path d="M25 34 H55"/>'
    ),
    "keyboard": (
        '<rect x="4" y="20" width="72" height="42" rx="7"/>'
        '<path d="M15 32 h2 M27 32 h2 M39 32 h2 M51 32 h2 M63 32 h2'
        ' M21 42 h2 M33 42 h2 M45 42 h2 M57 42 h2 M24 52 H56"/>'
    ),
    "leaf": (
        '<path d="M14 66 C12 30 36 12 68 12 C70 46 48 68 14 66 Z"/>'
        '<path d="M14 66 C30 50 42 40 56 26"/>'
    ),
    "plug": (
        '<rect x="26" y="12" width="28" height="30" rx="5" class="solid"/>'
        '<path d="M33 12 V4 M47 12 V4"/>'
        '<path d="M40 42 V52 C40 64 22 60 22 76"/>'
    ),
    "hdmi": (
        '<path d="M20 12 H60 V30 L54 38 H26 L20 30 Z" class="solid"/>'
        '<path d="M40 38 V52 C40 64 22 60 22 76"/>'
    ),
    "chocolate": (
        '<rect x="16" y="6" width="48" height="68" rx="5"/>'
        '<path d="M16 29 H64 M16 52 H64 M40 6 V74"/>'
        '<path d="M44 74 L64 50 V74 Z" class="solid"/>'
    ),
    "mouse": (
        '<rect x="20" y="6" width="40" height="68" rx="20"/>'
        '<path d="M40 6 V28 M20 30 H60"/>'
    ),
    "battery": (
        '<rect x="6" y="22" width="62" height="38" rx="7"/>'
        '<rect x="68" y="33" width="6" height="16" rx="2" class="solid"/>'
        '<path d="M40 28 L30 43 H42 L36 56" stroke-width="4"/>'
    ),
    "lamp": (
        '<path d="M16 74 H48 M32 74 L22 46 L44 24"/>'
        '<path d="M38 16 L66 30 L54 44 Z" class="solid"/>'
        '<circle cx="22" cy="46" r="3" class="solid"/>'
    ),
    "backpack": (
        '<path d="M30 18 V12 a10 10 0 0 1 20 0 V18"/>'
        '<rect x="14" y="18" width="52" height="58" rx="14"/>'
        '<rect x="26" y="48" width="28" height="16" rx="4"/>'
    ),
    "book": (
        '<rect x="20" y="6" width="46" height="68" rx="5"/>'
        '<path d="M14 18 H26 M14 32 H26 M14 46 H26 M14 60 H26 M34 22 H56 M34 32 H52"/>'
    ),
    "pen": (
        '<path d="M56 8 L72 24 L30 66 L10 70 L14 50 Z"/>'
        '<path d="M48 16 L64 32 M14 50 L30 66"/>'
    ),
    "umbrella": (
        '<path d="M6 40 A34 34 0 0 1 74 40 Q65 33 57 40 Q48 33 40 40 Q32 33 23 40 Q15 33 6 40 Z"'
        ' class="solid"/>'
        '<path d="M40 40 V66 a7 7 0 0 1 -14 0"/>'
    ),
    "bean": (
        '<ellipse cx="40" cy="40" rx="22" ry="32" transform="rotate(35 40 40)"/>'
        '<path d="M58 14 C42 26 50 40 38 50 C30 57 26 60 22 66"/>'
    ),
    "speaker": (
        '<rect x="18" y="4" width="44" height="72" rx="12"/>'
        '<circle cx="40" cy="50" r="13"/>'
        '<circle cx="40" cy="21" r="5" class="solid"/>'
    ),
    "drive": (
        '<rect x="8" y="18" width="64" height="44" rx="9"/>'
        '<path d="M20 31 H46"/>'
        '<circle cx="58" cy="49" r="4" class="solid"/>'
    ),
    "plant": (
        '<path d="M22 50 H58 L53 76 H27 Z" class="solid"/>'
        '<path d="M40 50 V34"/>'
        '<path d="M40 36 C40 20 28 12 14 14 C16 28 26 36 40 36 Z"/>'
        '<path d="M40 32 C42 18 54 10 68 12 C66 26 56 32 40 32 Z"/>'
    ),
    "bottle": (
        '<rect x="31" y="2" width="18" height="10" rx="3" class="solid"/>'
        '<path d="M33 12 V18 C26 22 22 28 22 36 V70 a6 6 0 0 0 6 6 H52 a6 6 0 0 0 6 -6 V36'
        ' C58 28 54 22 47 18 V12"/>'
        '<path d="M22 44 H58 M22 60 H58"/>'
    ),
    "phone": (
        '<rect x="21" y="4" width="38" height="72" rx="9"/>'
        '<circle cx="32" cy="16" r="4" class="solid"/>'
        '<path d="M34 66 H46"/>'
    ),
    "bolt": (
        '<path d="M31 6 V20 M49 6 V20"/>'
        '<rect x="18" y="20" width="44" height="54" rx="10"/>'
        '<path d="M44 30 L32 48 H44 L36 64" stroke-width="4"/>'
    ),
    "watch": (
        '<path d="M28 4 H52 L50 20 M28 4 L30 20 M28 76 H52 L50 60 M28 76 L30 60"/>'
        '<rect x="18" y="18" width="44" height="44" rx="12"/>'
        '<path d="M40 30 V40 H49"/>'
    ),
}


def _text_width_em(text: str) -> float:
    """Rough advance width in em: CJK glyphs are square, Latin ones about half as wide."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.58 if ch != " " else 0.3 for ch in text)


def tile(product: Product, index: int) -> str:
    """The SVG document for one product."""
    top, bottom = PALETTE[index % len(PALETTE)]
    gid = f"g-{product.sku}"
    label = escape(product.short)
    label_size = min(19.0, 136 / max(_text_width_em(product.short), 1))
    if product.icon:
        art = (
            '<g transform="translate(40 18)" fill="none" stroke="#fff" stroke-width="5"'
            ' stroke-linecap="round" stroke-linejoin="round">'
            f"{ICONS[product.icon]}</g>"
        )
    else:
        glyph = escape(product.glyph or product.short[:1])
        art = (
            f'<text x="80" y="80" text-anchor="middle" font-size="58" font-weight="700"'
            f' fill="#fff">{glyph}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}"'
        f' viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label="{escape(product.name)}">'
        f"<title>{escape(product.name)}</title>"
        f'<defs><linearGradient id="{gid}" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/>'
        "</linearGradient>"
        "<style>.solid{fill:#fff;fill-opacity:.9}</style></defs>"
        f'<rect width="{SIZE}" height="{SIZE}" rx="28" fill="url(#{gid})"/>'
        '<circle cx="150" cy="6" r="78" fill="#fff" fill-opacity=".10"/>'
        f'<g font-family="{FONT}">{art}'
        f'<text x="80" y="{141 - (19 - label_size) / 3:.1f}" text-anchor="middle"'
        f' font-size="{label_size:.1f}" font-weight="600" fill="#fff">{label}</text></g>'
        "</svg>\n"
    )


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for index, product in enumerate(PRODUCTS):
        path = OUT / f"{product.sku}.svg"
        path.write_text(tile(product, index), encoding="utf-8")
        wanted.add(path.name)
    for stale in OUT.glob("*.svg"):
        if stale.name not in wanted:
            stale.unlink()
    print(f"wrote {len(wanted)} tiles to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
