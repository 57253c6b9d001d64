"""``python -m bench [--short]``: run the benchmarks and write bench/results/latest.md."""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from pathlib import Path
from statistics import median
from typing import Any

from bench import (
    bigtables,
    concurrency,
    data,
    footprint,
    http_compare,
    instance,
    load,
    machine,
    options,
    report,
    servers,
    setup_env,
    workloads,
)
from bench.http_compare import Side
from bench.procs import Server

DOCS = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


def choose_client(opts: options.Options) -> str:
    if opts.client != "auto":
        return opts.client
    if load.have_wrk() or (opts.install and setup_env.ensure_wrk(log)):
        return "wrk"
    return "python"


def http_sides(backend: str, tc: Server, inst: instance.Instance, shop_url: str,
               opts: options.Options, work: Path, stack: ExitStack) -> list[Side]:
    rows, token = opts.rows, inst.token
    fl = stack.enter_context(running(servers.flask(shop_url, work, servers.toolcrib_workers())))
    sides = [Side("toolcrib", tc, lambda w: workloads.toolcrib(w, rows, token)),
             Side("flask", fl, lambda w: workloads.flask(w, rows))]
    if "ceiling" in opts.sections:
        bare = stack.enter_context(running(servers.toolcrib_unguarded(inst, work)))
        if not footprint.first_page(bare, token):
            raise RuntimeError(f"the unguarded Toolcrib answers no page of orders; see {bare.log}")
        sides.append(Side("unguarded", bare, lambda w: workloads.toolcrib(w, rows, token)))
        secret = secrets.token_urlsafe(24)
        guarded = stack.enter_context(running(servers.flask_secured(
            shop_url, work, servers.toolcrib_workers(), secret)))
        if load.status_of(guarded.url, workloads.flask("read_nototal", rows)) != 401:
            raise RuntimeError("the secured Flask endpoint answered without a token")
        sides.append(Side("flask_secured", guarded,
                          lambda w: workloads.flask(w, rows, secret)))
    if backend == "sqlite" and servers.datasette_path() is not None:
        ds = stack.enter_context(running(servers.datasette(work / "shop.db", work)))
        sides.append(Side("datasette", ds, lambda w: workloads.datasette(w, rows)))
    sides.append(Side("direct", None, lambda w: None, direct_url=shop_url))
    return sides


def run_backend(backend: str, opts: options.Options, work: Path, src: Path, client: str,
                results: dict[str, Any]) -> None:
    wants = set(opts.sections)
    big = "big" in wants and backend in ("sqlite", "postgresql")
    with ExitStack() as stack:
        log(f"[{backend}] preparing {opts.rows:,} orders" + (
            f" and {opts.big_rows:,} orders" if big else ""))
        if backend == "sqlite":
            shop_url = data.sqlite_copy(opts.rows, work / "shop.db")
            big_url = f"sqlite:///{data.cached_sqlite(opts.big_rows)}" if big else shop_url
        else:
            shop_url = stack.enter_context(data.server_database(backend, opts.rows))
            big_url = (stack.enter_context(data.server_database(backend, opts.big_rows))
                       if big else shop_url)
        inst = instance.create(work / "instance", {"shop": shop_url, "bigshop": big_url}, src)
        if inst.token is None:
            results["notes"].append("this Toolcrib has no sign-in yet: the run API was called "
                                    "without a token")
        if "footprint" in wants and backend == "sqlite":
            log("[footprint] cold starts")
            colds = [footprint.cold_start(inst, work) for _ in range(1 if opts.short else 3)]
            mid = sorted(colds, key=lambda c: c.first_page_ms)[len(colds) // 2]
            results["footprint"]["cold"] = {
                "listen_ms": median(c.listen_ms for c in colds),
                "first_page_ms": median(c.first_page_ms for c in colds),
                "idle_rss_mb": mid.idle.rss_mb, "idle_pss_mb": mid.idle.pss_mb,
                "processes": mid.processes}
            results["footprint"]["installed"] = footprint.installed_size(src)
            results["footprint"]["floor"] = footprint.library_floor(servers.toolcrib_workers())
        tc = stack.enter_context(running(servers.toolcrib(inst, work)))
        if not footprint.first_page(tc, inst.token):
            raise RuntimeError(f"Toolcrib answers no page of orders; see {tc.log}")
        if "http" in wants:
            with ExitStack() as side_stack:
                sides = http_sides(backend, tc, inst, shop_url, opts, work, side_stack)
                log(f"[http] {backend}: {', '.join(s.name for s in sides)}")
                rows = http_compare.compare(backend, sides, shop_url, opts.rows, opts, client,
                                            log)
                results["http"] += [r.as_json() for r in rows]
            if "footprint" in wants and backend == "sqlite":
                mem = tc.memory()
                results["footprint"]["loaded"] = {"rss_mb": mem.rss_mb, "pss_mb": mem.pss_mb,
                                                  "peak_mb": mem.peak_mb}
        if "concurrency" in wants:
            log(f"[concurrency] {backend}")
            got = concurrency.run(backend, tc, inst.token, shop_url, opts.rows, opts.concurrent)
            results["concurrency"] += [asdict(o) | {"ok": o.ok} for o in got]
        if big:
            log(f"[big] {backend}")
            rows_big, memory = bigtables.run(backend, tc, inst.token, opts.big_rows,
                                             opts.big_repeats)
            results["big"] += [asdict(r) for r in rows_big]
            results["big_memory"][backend] = memory
        if "pageload" in wants and backend == "sqlite":
            log("[pageload]")
            from bench import pageload

            results["pageload"] = asdict(pageload.run(tc, inst.username, inst.password))
        if "profile" in wants and backend == "sqlite":
            log("[profile] py-spy on getOrders")
            from bench import profile

            work_read = workloads.toolcrib("read", opts.rows, inst.token)
            prof = profile.record(tc, work_read, opts, client, opts.out, src,
                                  seconds=2.0 if opts.short else 10.0)
            if prof is None:
                results["notes"].append("profile skipped: py-spy is not installed")
            else:
                results["profile"] = asdict(prof)


def write_docs(markdown: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + START + "\n" + markdown + END + rest.split(END, 1)[1]
        DOCS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    opts = options.parse(argv)
    client = choose_client(opts)
    if opts.install and not setup_env.ensure_venv(log):
        log("Datasette is not available: its rows will be missing")
    results: dict[str, Any] = {
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(opts).items()},
        "client": client, "workers": servers.toolcrib_workers(), "notes": [], "http": [],
        "big": [], "big_memory": {}, "footprint": {}, "concurrency": []}
    if client != "wrk":
        results["notes"].append("wrk is not installed: load came from the Python client, "
                                "whose own CPU use limits the figures")
    opts.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="toolcrib-bench-"))
    try:
        src = instance.snapshot(opts.src, work / "src") if opts.src else instance.ROOT
        results["source"] = opts.src or "this checkout"
        if opts.src.startswith("git:"):
            results["source"] += " = " + machine.commit(opts.src[4:])
        for backend in opts.backends:
            if backend != "sqlite" and not data.server_reachable(backend):
                results["notes"].append(f"{backend} server not reachable at "
                                        f"{data.DEFAULT_URLS[backend]}: skipped")
                continue
            run_backend(backend, opts, work / backend, src, client, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"] = machine.describe(opts.backends)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M %Z")
    markdown = report.render(results)
    (opts.out / "latest.md").write_text(markdown, encoding="utf-8")
    (opts.out / "latest.json").write_text(json.dumps(results, indent=1, default=str),
                                          encoding="utf-8")
    if opts.docs:
        write_docs(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
