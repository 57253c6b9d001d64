"""The app editor seen through what a developer can see, click, drag and type.

Dragging from the palette goes through Chromium's input pipeline with the DevTools protocol
(``Input.dispatchMouseEvent``): the same events a real mouse produces. Playwright's own
``mouse.move`` waits forever when a drag starts on GridStack's palette items (its native
drag-and-drop detection never settles there); moving and resizing widgets on the grid uses it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect


class EditorPage:
    def __init__(self, page: Page, artifacts: Path, name: str) -> None:
        self.page = page
        self.artifacts = artifacts
        self.name = name
        self.problems: list[str] = []
        self._cdp: Any = None
        page.on("pageerror", lambda err: self.problems.append(f"page error: {err}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(f"console error: {message.text}")

    def shot(self, label: str) -> None:
        self.page.screenshot(path=str(self.artifacts / f"{self.name}-{label}.png"),
                             animations="disabled")

    def open(self, base_url: str, slug: str) -> EditorPage:
        self.page.goto(f"{base_url}/editor/apps/{slug}")
        expect(self.page.locator("body.ed-ready")).to_have_count(1)
        return self

    # --- the document -------------------------------------------------------------------------

    def text(self) -> str:
        return self.page.evaluate("ToolcribEditor.app.doc.text")

    def doc(self) -> dict[str, Any]:
        return self.page.evaluate("ToolcribEditor.app.doc.doc")

    def widget(self, name: str) -> dict[str, Any]:
        for page in self.doc()["pages"]:
            for widget in page["widgets"]:
                if widget["name"] == name:
                    return widget
        raise AssertionError(f"no widget {name} in {self.text()}")

    def wait_until(self, condition: Any, timeout_s: float = 5.0) -> None:
        """Poll ``condition()`` (no page-side eval: the CSP forbids it)."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the document is:\n{self.text()}")
            self.page.wait_for_timeout(50)

    def selection(self) -> list[str]:
        return self.page.evaluate("ToolcribEditor.app.doc.selection")

    # --- canvas -------------------------------------------------------------------------------

    def cell(self, name: str) -> Locator:
        return self.page.locator(f'.ed-cell[gs-id="{name}"]')

    def grid_box(self) -> dict[str, float]:
        box = self.page.locator("#ed-grid").bounding_box()
        assert box is not None
        return box

    def cell_width(self) -> float:
        return self.grid_box()["width"] / 12

    def _mouse(self, kind: str, x: float, y: float, buttons: int) -> None:
        if self._cdp is None:
            self._cdp = self.page.context.new_cdp_session(self.page)
        event = {"type": kind, "x": x, "y": y, "button": "left" if kind != "mouseMoved" or buttons
                 else "none", "buttons": buttons}
        if kind in ("mousePressed", "mouseReleased"):
            event["clickCount"] = 1
        self._cdp.send("Input.dispatchMouseEvent", event)

    def drag_in(self, widget_type: str, column: int, row: int) -> str:
        """Drag a widget type from the palette onto the grid; its top-left lands at (column, row).
        Returns the new widget's name (it is selected)."""
        before = {w["name"] for p in self.doc()["pages"] for w in p["widgets"]}
        item = self.page.locator(f'.ed-palette__item[data-type="{widget_type}"]').bounding_box()
        assert item is not None
        grid = self.grid_box()
        x0, y0 = item["x"] + 12, item["y"] + item["height"] / 2
        # GridStack places the helper's top-left corner: aim that at the target cell.
        x1 = grid["x"] + (column + 0.45) * self.cell_width()
        y1 = grid["y"] + row * 44 + item["height"] / 2 + 4
        self._mouse("mouseMoved", x0, y0, 0)
        self._mouse("mousePressed", x0, y0, 1)
        for i in range(1, 21):
            self._mouse("mouseMoved", x0 + (x1 - x0) * i / 20, y0 + (y1 - y0) * i / 20, 1)
        self._mouse("mouseReleased", x1, y1, 0)
        # The new widget is the selection (GridStack may finish the drop a moment later).
        self.wait_until(lambda: any(n not in before for n in self.selection()))
        added = [n for n in self.selection() if n not in before]
        assert len(added) == 1, (self.selection(), before)
        expect(self.cell(added[0])).to_have_class(re.compile(r"\bis-selected\b"))
        return added[0]

    def resize(self, name: str, columns: int, rows: int = 0) -> None:
        """Drag the widget's bottom-right handle by whole cells, with the mouse."""
        cell = self.cell(name)
        cell.hover()
        handle = cell.locator(".ui-resizable-se")
        box = handle.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x + columns * self.cell_width() / 2, y + rows * 22, steps=4)
        self.page.mouse.move(x + columns * self.cell_width(), y + rows * 44, steps=4)
        self.page.mouse.up()

    def select(self, name: str) -> None:
        self.cell(name).locator(".ed-w__name, .ed-w__button").first.click()
        expect(self.cell(name)).to_have_class(re.compile(r"\bis-selected\b"))

    # --- property panel -----------------------------------------------------------------------

    def field(self, key: str) -> Locator:
        return self.page.locator(f'#ed-props [data-fkey="{key}"]')

    def rename(self, name: str) -> None:
        box = self.page.locator("#ed-prop-name")
        box.click()
        box.press("Control+A")
        box.type(name)
        box.press("Enter")
        expect(self.cell(name)).to_have_count(1)

    def type_into(self, key: str, text: str) -> None:
        box = self.field(key)
        box.click()
        box.press("Control+A")
        box.press("Backspace")
        box.type(text)

    def preview_of(self, key: str) -> Locator:
        return self.field(key).locator("xpath=..").locator(".ed-bind__preview")

    def toast(self, message: str | re.Pattern[str]) -> Locator:
        return self.page.locator(".ed-toast", has_text=message)

    # --- queries ------------------------------------------------------------------------------

    def sql_editor(self) -> Locator:
        return self.page.locator("#ed-query-sql .cm-content")

    def new_query(self, name: str, sql: str) -> None:
        self.page.click("#ed-query-add")
        name_box = self.page.locator("#ed-query-name")
        expect(name_box).to_be_focused()
        name_box.press("Control+A")
        name_box.type(name)
        name_box.press("Enter")
        item = self.page.locator(".ed-query-item", has_text=re.compile(f"^{name}$"))
        expect(item).to_have_attribute("aria-current", "true")
        self.page.select_option("#ed-query-datasource", "shop")
        editor = self.sql_editor()
        editor.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Backspace")
        self.page.keyboard.type(sql)
        self.page.keyboard.press("Escape")  # close a completion list, if any
