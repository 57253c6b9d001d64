"""A problem found in an app file, with where it is, and small helpers for writing them."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

#: A path inside the document: keys and list indexes, e.g. ("pages", 0, "widgets", 2, "type").
DocPath = tuple[str | int, ...]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f" (at {self.path})" if self.path else ""
        return f"{self.file}:{self.line}:{self.col}: {self.message}{where}"


def format_path(path: Iterable[str | int]) -> str:
    """``("pages", 0, "widgets", 2, "type")`` -> ``pages[0].widgets[2].type``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def did_you_mean(word: object, candidates: Iterable[str]) -> str:
    """`` — did you mean 'x'?`` for the nearest candidate, or an empty string."""
    if not isinstance(word, str):
        return ""
    pool = sorted(set(candidates))
    by_lower = {c.lower(): c for c in pool}
    if word.lower() in by_lower and by_lower[word.lower()] != word:
        return f" — did you mean '{by_lower[word.lower()]}'?"
    match = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return f" — did you mean '{match[0]}'?" if match else ""


def article(noun: str) -> str:
    """``a button``, ``an input``."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
