"""Numbered migrations of the saved app format (the Appsmith way).

Every app file carries ``format: N``. ``MIGRATIONS[N - 1]`` turns a format-N document into format
N + 1, so an old file is brought up to :data:`CURRENT_FORMAT` one step at a time before it is
validated. To change the format: append a migration, bump nothing else (``CURRENT_FORMAT`` follows
the list), regenerate ``app.schema.json`` and migrate the bundled apps.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

Document = dict[str, Any]
Migration = Callable[[Document], Document]

#: MIGRATIONS[i] turns format i + 1 into format i + 2. Format 1 is the first format: none yet.
MIGRATIONS: list[Migration] = []

CURRENT_FORMAT = len(MIGRATIONS) + 1


class FormatError(ValueError):
    """The document's ``format:`` is missing or cannot be migrated."""


def current_format(migrations: Sequence[Migration] = MIGRATIONS) -> int:
    return len(migrations) + 1


def migrate(doc: Document, migrations: Sequence[Migration] = MIGRATIONS) -> Document:
    """Return ``doc`` brought up to the current format (a new dict when anything changed)."""
    if not isinstance(doc, dict):
        raise FormatError("an app file is a mapping with the keys format, app, title, pages "
                          "and queries")
    latest = current_format(migrations)
    if "format" not in doc:
        raise FormatError(f"missing 'format:' — add 'format: {latest}' at the top "
                          "(the version of the app format this file is written in)")
    version = doc["format"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise FormatError(f"format must be a whole number like {latest}, got {version!r}")
    if version < 1:
        raise FormatError(f"unknown format {version}: formats start at 1")
    if version > latest:
        raise FormatError(f"this file uses format {version}, but this version of Toolcrib "
                          f"understands formats up to {latest}: upgrade Toolcrib to open it")
    for number in range(version, latest):
        doc = migrations[number - 1](copy.deepcopy(doc))
        doc["format"] = number + 1
    return doc
