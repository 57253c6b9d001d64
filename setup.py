"""Packaging extras that setup.cfg cannot express: the ``static/`` tree and the bundled ``apps/``.

They sit beside the packages (DESIGN.md's layout), so a wheel carries them as data files under
``<prefix>/share/toolcrib/``; ``builder/config.py`` looks there when the source tree is not
next to the code (a non-editable install).
"""

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent


def tree(folder: str) -> list[tuple[str, list[str]]]:
    """One (target dir, files) entry per directory below ``folder`` that holds files."""
    entries = []
    for directory in sorted({p.parent for p in (ROOT / folder).rglob("*") if p.is_file()}):
        files = sorted(str(p.relative_to(ROOT)) for p in directory.iterdir() if p.is_file())
        entries.append((f"share/toolcrib/{directory.relative_to(ROOT)}", files))
    return entries


setup(data_files=tree("static") + tree("apps"))
