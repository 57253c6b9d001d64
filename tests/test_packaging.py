"""A wheel (a non-editable install) carries static/ and the bundled apps, and finds them.

Built offline from this tree (``pip wheel --no-build-isolation``); without this the server of a
``pip install .`` had no JavaScript, CSS or apps to serve.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from builder import config

ROOT = Path(__file__).resolve().parents[1]


def _source_copy(target: Path) -> Path:
    """What a release is built from, copied so the build writes nothing into the checkout."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("builder", "widgets", "datasources", "static", "apps"):
        shutil.copytree(ROOT / name, target / name, ignore=skip)
    for name in ("setup.py", "setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    return target


def test_the_wheel_carries_every_static_file_and_app(tmp_path: Path) -> None:
    source = _source_copy(tmp_path / "src")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", str(source), "-w", str(tmp_path / "dist")],
                   check=True, capture_output=True, timeout=300)
    wheel, = (tmp_path / "dist").glob("toolcrib-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    marker = "/data/share/toolcrib/"
    shipped = {n.split(marker, 1)[1] for n in names if marker in n}
    expected = {str(p.relative_to(ROOT)) for folder in ("static", "apps")
                for p in (ROOT / folder).rglob("*") if p.is_file()}
    assert expected - shipped == set()
    assert "static/runtime.js" in shipped and "apps/order_shipping.yaml" in shipped
    assert any(n.startswith("widgets/") and n.endswith("table.js") for n in names)
    assert any(n.startswith("builder/web/templates/") for n in names)


def test_installed_data_is_used_when_the_source_tree_is_not_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed = tmp_path / "share" / "toolcrib"
    (installed / "static").mkdir(parents=True)
    monkeypatch.setattr(config, "INSTALLED_DATA", installed)
    # In this checkout the tree next to the code wins.
    assert config.shipped_folder("static") == ROOT / "static"
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path / "site-packages")
    assert config.shipped_folder("static") == installed / "static"
