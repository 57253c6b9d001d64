"""Section 4: time to interactive of the flagship page in headless Chromium, and its bytes.

Sign in once (not timed), then open ``/apps/order-shipping`` in a fresh browser context with
that session (cold HTTP cache) and time navigation start -> first table row rendered, with
``performance.now()`` (whose origin is the navigation start). Bytes are the transfer sizes of
the document and every resource from the Resource Timing API. Then the same page again in the
same context (warm cache).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from bench.procs import Server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
ROW = ".tabulator-row"
BYTES_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  return {bytes: (nav ? nav.transferSize : 0) + res.reduce((s, r) => s + r.transferSize, 0),
          requests: 1 + res.length};
}"""


@dataclass
class PageLoad:
    cold_ms: float
    warm_ms: float
    cold_bytes: int
    warm_bytes: int
    requests: int
    runs: int


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


def _open(page, url: str) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    page.goto(url, wait_until="commit")
    page.wait_for_selector(ROW, timeout=30_000)
    tti = float(page.evaluate("() => performance.now()"))
    page.wait_for_load_state("networkidle")
    got = page.evaluate(BYTES_JS)
    return tti, int(got["bytes"]), int(got["requests"])


def run(server: Server, user: str, password: str, runs: int = 5) -> PageLoad:
    from playwright.sync_api import sync_playwright

    url = f"{server.url}/apps/order-shipping"
    cold, warm, cold_bytes, warm_bytes, requests = [], [], [], [], 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            state = _sign_in(browser, server, user, password)
            for i in range(runs + 1):  # the first run only warms the server
                context = browser.new_context(storage_state=state)
                page = context.new_page()
                tti, size, requests = _open(page, url)
                tti_warm, size_warm, _ = _open(page, url)
                context.close()
                if i:
                    cold.append(tti)
                    cold_bytes.append(size)
                    warm.append(tti_warm)
                    warm_bytes.append(size_warm)
        finally:
            browser.close()
    return PageLoad(median(cold), median(warm), int(median(cold_bytes)),
                    int(median(warm_bytes)), requests, runs)
