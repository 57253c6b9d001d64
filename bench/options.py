"""Command-line options of ``python -m bench`` and what ``--short`` changes."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

SECTIONS = ("http", "ceiling", "big", "footprint", "pageload", "concurrency", "profile")
BACKENDS = ("sqlite", "postgresql", "mysql")


@dataclass
class Options:
    short: bool = False
    rounds: int = 3
    duration: float = 5.0
    connections: int = 16
    threads: int = 2
    rows: int = 100_000
    big_rows: int = 1_000_000
    big_repeats: int = 3
    concurrent: int = 100
    backends: tuple[str, ...] = BACKENDS
    sections: tuple[str, ...] = SECTIONS
    client: str = "auto"  # wrk when installed, else the Python client
    install: bool = True  # apt-get wrk, pip Datasette and py-spy into bench/.venv
    out: Path = field(default_factory=lambda: Path(__file__).with_name("results"))
    docs: bool = False  # also refresh the table in docs/performance.md
    src: str = ""  # the Toolcrib tree to measure: a folder or git:REV (default: this checkout)


def parse(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--short", action="store_true",
                   help="smoke mode: tiny tables, 1 round of 0.5 s (1 s with wrk), no warm-up, "
                        "SQLite only, nothing installed")
    p.add_argument("--rounds", type=int)
    p.add_argument("--duration", type=float, help="seconds of load per run")
    p.add_argument("--connections", type=int)
    p.add_argument("--rows", type=int, help="orders in the comparison table")
    p.add_argument("--big-rows", type=int, help="orders in the big table")
    p.add_argument("--backends", help="comma-separated: " + ",".join(BACKENDS))
    p.add_argument("--sections", help="comma-separated: " + ",".join(SECTIONS))
    p.add_argument("--client", choices=("auto", "wrk", "python"))
    p.add_argument("--no-install", action="store_true")
    p.add_argument("--out", type=Path, help="folder for latest.md / latest.json")
    p.add_argument("--src", default="",
                   help="Toolcrib source to measure: a folder, or git:REV exported from this "
                        "repo (default: this checkout)")
    p.add_argument("--docs", action="store_true",
                   help="write the results table into docs/performance.md")
    a = p.parse_args(argv)
    o = Options()
    if a.short:
        o = Options(short=True, rounds=1, duration=0.5, connections=4, rows=2_000,
                    big_rows=5_000, big_repeats=1, concurrent=20, backends=("sqlite",),
                    sections=("http", "ceiling", "big", "footprint", "concurrency"),
                    install=False)
    for name in ("rounds", "duration", "connections", "rows", "big_rows", "client", "out"):
        if getattr(a, name) is not None:
            setattr(o, name, getattr(a, name))
    if a.backends:
        o.backends = _pick(a.backends, BACKENDS)
    if a.sections:
        o.sections = _pick(a.sections, SECTIONS)
    o.install = o.install and not a.no_install
    o.docs = a.docs
    o.src = a.src
    o.threads = min(o.threads, o.connections)
    return o


def _pick(text: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    chosen = tuple(x.strip() for x in text.split(",") if x.strip())
    bad = [x for x in chosen if x not in allowed]
    if bad:
        raise SystemExit(f"unknown: {', '.join(bad)} (choose from {', '.join(allowed)})")
    return chosen
