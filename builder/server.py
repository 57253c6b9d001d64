"""Serving: gunicorn (production, the default) or Werkzeug's development server."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def serve(app_factory_config: dict[str, Any] | None, *, host: str, port: int,
          workers: int | None, dev: bool) -> None:
    if dev:
        from builder import create_app

        create_app(app_factory_config).run(host=host, port=port, debug=False,
                                           use_reloader=False, threaded=True)
        return
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers or default_workers())
            self.cfg.set("worker_class", "sync")
            self.cfg.set("accesslog", None)
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 5)
            # gunicorn 27 opens a control socket at one fixed path per OS user: two servers on
            # one machine would share it. Toolcrib does not use it.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Flask:
            from builder import create_app

            return create_app(app_factory_config)

    _Gunicorn().run()
