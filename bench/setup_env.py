"""What the harness installs for itself: ``wrk`` (Debian) and, in ``bench/.venv`` so it never
mixes with Toolcrib's dependencies, Datasette and py-spy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable

from bench.servers import VENV, datasette_path

DATASETTE = "datasette==0.65.5"  # the version the reference baselines were measured with
VENV_PACKAGES = (DATASETTE, "py-spy")


def ensure_wrk(log: Callable[[str], None]) -> bool:
    if shutil.which("wrk"):
        return True
    if shutil.which("apt-get") is None:
        return False
    log("installing wrk (apt-get)")
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        if subprocess.run(argv, capture_output=True).returncode != 0:
            return False
    return shutil.which("wrk") is not None


def ensure_venv(log: Callable[[str], None]) -> bool:
    if datasette_path() is not None and (VENV / "bin" / "py-spy").exists():
        return True
    log(f"creating {VENV} with {', '.join(VENV_PACKAGES)}")
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    done = subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q",
                           *VENV_PACKAGES], capture_output=True, text=True)
    if done.returncode != 0:
        log(f"pip install into {VENV} failed:\n{done.stderr[-2000:]}")
    return datasette_path() is not None
