"""The Toolcrib a ``toolcrib`` command works on: the configured instance, its metadata schema
brought up to date, inside an app context (the audit log needs one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from builder.context import Toolcrib


@contextmanager
def instance_toolcrib() -> Iterator[Toolcrib]:
    from builder import create_app

    flask_app = create_app()
    tc: Toolcrib = flask_app.extensions["toolcrib"]
    try:
        tc.store.upgrade()
        with flask_app.app_context():
            yield tc
    finally:
        tc.close()
