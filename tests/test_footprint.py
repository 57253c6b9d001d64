"""What each process of ``toolcrib serve`` imports: the footprint budget (DESIGN.md §8) is spent
per process, so a module imported where it is not needed costs memory in every one.

Each check runs in a fresh interpreter: this test process has imported everything already.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules_after(code: str, tmp_path: Path) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOOLCRIB_")}
    env["TOOLCRIB_INSTANCE_PATH"] = str(tmp_path / "instance")
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    return set(done.stdout.split())


def test_the_gunicorn_master_imports_neither_flask_nor_the_app(tmp_path: Path) -> None:
    modules = _modules_after("import builder.server, gunicorn.app.base, gunicorn.arbiter",
                             tmp_path)
    assert not {"flask", "sqlalchemy", "builder.context", "widgets", "datasources"} & modules


def test_a_worker_imports_no_mongodb_driver_and_no_cryptography_until_used(
        tmp_path: Path) -> None:
    modules = _modules_after("from builder import create_app\ncreate_app()", tmp_path)
    assert "flask" in modules
    assert not {"pymongo", "bson", "datasources.mongo", "cryptography"} & modules


def test_the_mongodb_kind_is_registered_and_loaded_at_its_first_use(tmp_path: Path) -> None:
    modules = _modules_after(
        "import datasources\n"
        "kinds = datasources.build_registry()\n"
        "assert 'mongodb' in kinds and 'mongodb' in kinds.names()\n"
        "import sys\nassert 'pymongo' not in sys.modules\n"
        "assert kinds.get('mongodb').kind == 'mongodb'", tmp_path)
    assert "pymongo" in modules


def test_a_start_with_nothing_to_migrate_loads_neither_sqlalchemy_nor_alembic(
        tmp_path: Path) -> None:
    """What ``toolcrib serve`` runs before it becomes gunicorn's master: the command line and
    the migration check (an instance at the newest revision needs no Alembic)."""
    serve = ("from builder.cli import build_parser\nbuild_parser()\n"
             "from builder.cli_instance import migrate_instance\nmigrate_instance()")
    first = _modules_after(serve, tmp_path)  # creates the schema
    assert "alembic" in first
    again = _modules_after(serve, tmp_path)
    assert not {"sqlalchemy", "alembic", "flask"} & again
