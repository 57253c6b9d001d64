"""Toolcrib with its audit log and allowlists switched off: a measurement, never a way to run it.

The ``ceiling`` section asks how close to the minimal Flask endpoint Toolcrib would come without
two of the security features the design requires on every run (docs/performance.md): the same
``toolcrib serve`` server (gunicorn, sync workers, the default count) and instance, but with
``audit.record`` and the allowlist checks replaced by no-ops in each worker. Sign-in, CSRF,
grants, state checks and bound parameters stay on.

    python -m bench.unguarded --port 8001   # with TOOLCRIB_INSTANCE_PATH set, like `serve`
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import builder
from builder import server

if TYPE_CHECKING:
    from flask import Flask

_create_app = builder.create_app


def _nothing(*_args: Any, **_kwargs: Any) -> None:
    return None


def create_app_unguarded(config: dict[str, Any] | None = None) -> Flask:
    from builder.security import allowlists, audit

    audit.record = _nothing  # type: ignore[assignment]
    allowlists.check = _nothing  # type: ignore[assignment]
    allowlists.check_request = _nothing  # type: ignore[assignment]
    return _create_app(config)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.unguarded")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    builder.create_app = create_app_unguarded  # what each worker's load() imports
    server.run_gunicorn(None, host=args.host, port=args.port, workers=None)


if __name__ == "__main__":
    main()
