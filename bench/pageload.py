"""Section 4: time to interactive of the flagship page in headless Chromium, and its bytes.

Sign in once (not timed), then open ``/apps/order-shipping`` in a fresh browser context with
that session (cold HTTP cache) and time navigation start -> first table row rendered. The page
stamps that moment itself: a script added before any of the page's own (``FIRST_ROW_JS``)
watches the DOM and, at the first animation frame after a table row appears, records
``performance.now()`` (whose origin is the navigation start). The moment the test driver sees
the row is kept too (``seen_ms``): it comes later by the driver's polling and its round trips to
the browser, 200-400 ms on this machine, which is not the page's time. Bytes are the transfer
sizes of the document and every resource from the Resource Timing API. Then the same page again
in the same context (warm cache).

Then the big table (``/apps/bench-big``, every order of ``bigshop``: 1,000,000 rows in a full
run): the rows the DOM holds on the first page and after a click on the pager's "last" button,
and how long that click took to show the last page (``performance.now()`` at the click to the
first animation frame in which the first row's id has changed, polled by the page itself).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from bench.procs import Server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
ROW = ".tabulator-row"
FIRST_ROW_JS = ("""(() => {
  const seen = new MutationObserver(() => {
    if (document.querySelector(""" + json.dumps(ROW) + """)) {
      seen.disconnect();
      requestAnimationFrame(() => { window.__benchFirstRow = performance.now(); });
    }
  });
  seen.observe(document, {childList: true, subtree: true});
})();""")
BYTES_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  return {bytes: (nav ? nav.transferSize : 0) + res.reduce((s, r) => s + r.transferSize, 0),
          requests: 1 + res.length};
}"""


@dataclass
class PageLoad:
    cold_ms: float  # stamped in the page (FIRST_ROW_JS)
    warm_ms: float
    cold_seen_ms: float  # when the test driver saw the row
    cold_bytes: int
    warm_bytes: int
    requests: int
    runs: int
    big: dict[str, Any] = field(default_factory=dict)  # see big_table()


def _sign_in(browser, server: Server, user: str, password: str):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server.url}/login")
    if page.locator("input[name=password]").count():
        page.fill("input[name=login]", user)
        page.fill("input[name=password]", password)
        page.locator("form button, form input[type=submit]").first.click()
        page.wait_for_load_state()
    state = context.storage_state()
    context.close()
    return state


def _open(page, url: str) -> tuple[float, float, int, int]:  # type: ignore[no-untyped-def]
    """(TTI stamped in the page, when the driver saw the row, bytes, requests)."""
    page.goto(url, wait_until="commit")
    page.wait_for_selector(ROW, timeout=30_000)
    seen = float(page.evaluate("() => performance.now()"))
    page.wait_for_function("() => window.__benchFirstRow !== undefined", timeout=30_000)
    tti = float(page.evaluate("() => window.__benchFirstRow"))
    page.wait_for_load_state("networkidle")
    got = page.evaluate(BYTES_JS)
    return tti, seen, int(got["bytes"]), int(got["requests"])


LAST_PAGE_JS = """() => new Promise((done) => {
  const firstId = () => {
    const cell = document.querySelector('.tabulator-row .tabulator-cell');
    return cell ? cell.textContent : null;
  };
  const before = firstId();
  const started = performance.now();
  document.querySelector('.tabulator-page[data-page="last"]').click();
  const look = () => {
    if (firstId() !== before && firstId() !== null) done(performance.now() - started);
    else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})"""
ROWS_JS = "() => document.querySelectorAll('.tabulator-row').length"
COUNTER_JS = """() => { const c = document.querySelector('.tabulator-page-counter');
  return c ? c.textContent.trim() : ''; }"""


def big_table(browser, state, server: Server, runs: int = 3) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The big table's first page, then its last page through the pager (see the docstring)."""
    first_rows, last_rows, last_ms, counter = [], [], [], ""
    for _ in range(runs):
        context = browser.new_context(storage_state=state)
        page = context.new_page()
        page.goto(f"{server.url}/apps/bench-big", wait_until="commit")
        page.wait_for_selector(ROW, timeout=60_000)
        page.wait_for_load_state("networkidle")
        first_rows.append(int(page.evaluate(ROWS_JS)))
        last_ms.append(float(page.evaluate(LAST_PAGE_JS)))
        page.wait_for_load_state("networkidle")
        last_rows.append(int(page.evaluate(ROWS_JS)))
        counter = str(page.evaluate(COUNTER_JS))
        context.close()
    return {"rows_first_page": max(first_rows), "rows_last_page": max(last_rows),
            "last_page_ms": median(last_ms), "counter": counter, "runs": runs}


def run(server: Server, user: str, password: str, runs: int = 5) -> PageLoad:
    from playwright.sync_api import sync_playwright

    url = f"{server.url}/apps/order-shipping"
    cold, warm, seen, cold_bytes, warm_bytes, requests = [], [], [], [], [], 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            state = _sign_in(browser, server, user, password)
            for i in range(runs + 1):  # the first run only warms the server
                context = browser.new_context(storage_state=state)
                page = context.new_page()
                page.add_init_script(FIRST_ROW_JS)
                tti, tti_seen, size, requests = _open(page, url)
                tti_warm, _seen, size_warm, _ = _open(page, url)
                context.close()
                if i:
                    cold.append(tti)
                    seen.append(tti_seen)
                    cold_bytes.append(size)
                    warm.append(tti_warm)
                    warm_bytes.append(size_warm)
            big = big_table(browser, state, server)
        finally:
            browser.close()
    return PageLoad(median(cold), median(warm), median(seen), int(median(cold_bytes)),
                    int(median(warm_bytes)), requests, runs, big)
