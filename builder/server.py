"""Serving: gunicorn (production, the default) or Werkzeug's development server."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:  # gunicorn's master never imports the app: each worker does (load())
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
    _exec_master(app_factory_config, host=host, port=port, workers=workers)


#: The command's ``sys.path``, handed to the fresh interpreter (and removed from its environment).
_PATH_VARIABLE = "TOOLCRIB_SERVER_SYS_PATH"
_BOOT = (f"import json, os, sys; sys.path[:] = json.loads(os.environ.pop({_PATH_VARIABLE!r})); "
         "from builder.server import main; main()")


def _exec_master(app_factory_config: dict[str, Any] | None, *, host: str, port: int,
                 workers: int | None) -> NoReturn:
    """Become gunicorn's master in a fresh interpreter (same pid), through ``main`` below.

    The command that gets here has imported the whole app (Flask, SQLAlchemy, the drivers...) to
    run the migrations or set up the demo. The master only forks, watches and restarts workers,
    each of which imports the app itself: kept, those ~65 MB would stay resident in the master
    for the server's lifetime. The fresh one is ~25 MB (Python and gunicorn). It finds modules
    exactly where this process did (its ``sys.path``; ``-P``: not the current directory first).
    """
    argv = [sys.executable, "-P", "-c", _BOOT, "--port", str(port), "--host", host]
    if workers:
        argv += ["--workers", str(workers)]
    if app_factory_config is not None:
        argv += ["--app-config", json.dumps(app_factory_config)]
    env = {**os.environ, _PATH_VARIABLE: json.dumps(sys.path)}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)


def run_gunicorn(app_factory_config: dict[str, Any] | None, *, host: str, port: int,
                 workers: int | None) -> None:
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


def main(argv: Sequence[str] | None = None) -> None:
    """gunicorn's master, as ``toolcrib serve`` and ``toolcrib demo`` start it once the metadata
    schema is up to date."""
    parser = argparse.ArgumentParser(prog="python -m builder.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--app-config", type=json.loads, default=None,
                        help="JSON object passed to the app factory")
    args = parser.parse_args(argv)
    run_gunicorn(args.app_config, host=args.host, port=args.port, workers=args.workers)


if __name__ == "__main__":
    main()
