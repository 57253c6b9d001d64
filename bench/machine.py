"""The machine and the software versions a result was measured with."""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import subprocess
from importlib import metadata
from pathlib import Path

from bench import data
from bench.instance import ROOT
from bench.servers import datasette_path


def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1]
    except OSError:
        pass
    return "?"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def _run(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except OSError:
        return "-"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else ""


def commit(rev: str) -> str:
    return _run(["git", "-C", str(ROOT), "rev-parse", "--short", rev])


def describe(backends: tuple[str, ...]) -> dict[str, str]:
    mem_kb = int(_first("/proc/meminfo", "MemTotal").split()[0])
    head = commit("HEAD")
    dirty = _run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    info = {
        "CPU": _first("/proc/cpuinfo", "model name"),
        "cores": str(os.cpu_count()),
        "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "OS": (_first("/etc/os-release", "PRETTY_NAME").strip('"')
               + f", kernel {platform.release()}"),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "Flask / SQLAlchemy / gunicorn": " / ".join(
            _version(d) for d in ("flask", "sqlalchemy", "gunicorn")),
        "wrk": _run(["wrk", "-v"]).split(" [")[0] if shutil.which("wrk") else "-",
        "Datasette": _run([str(datasette_path()), "--version"]) if datasette_path() else "-",
        "checkout": f"{head}{' + uncommitted changes' if dirty not in ('', '-') else ''}",
    }
    for kind, label in (("postgresql", "PostgreSQL"), ("mysql", "MariaDB")):
        if kind in backends and data.server_reachable(kind):
            info[label] = data.server_version(kind).split(" on ")[0].split(",")[0]
    return info
