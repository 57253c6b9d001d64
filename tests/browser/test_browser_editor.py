"""The app editor in real headless Chromium: a developer builds the order-shipping screen from an
empty app with only the mouse and the keyboard, saves and publishes it, and an operator ships an
order with it. Also: two tabs saving the same app (409 and the choice it offers), undo/redo on the
canvas, and the YAML view following the canvas and the reverse, errors included.
Screenshots of each stage land in tests/artifacts/browser/editor-*.png.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, text

from builder.cli import main as cli_main
from builder.security.grants import app_by_slug, grant
from builder.security.users import find_user
from tests.auth_helpers import DEMO_ADMIN_PASSWORD, DEMO_OPERATOR_PASSWORD
from tests.browser.editor_page import EditorPage
from tests.browser.signin import sign_in

pytestmark = pytest.mark.browser

_apps = itertools.count(1)

GET_ORDERS = ("SELECT id, product_name, shipping_company, shipping_tracking_number, address, "
              "version FROM orders WHERE status = 'paid' ORDER BY id")
UPDATE_ORDER = ("UPDATE orders SET shipping_company = <<shippingCompany.value>>, "
                "shipping_tracking_number = <<shippingNumberInput.value>>, version = version + 1 "
                "WHERE id = <<ordersTable.selectedRow.id>> AND version = "
                "<<ordersTable.selectedRow.version>>")


def new_app(page: Page, base_url: str, title: str) -> str:
    """Create an empty app from the editor's app list, as a person does."""
    slug = f"{re.sub(r'[^a-z]+', '-', title.lower()).strip('-')}-{next(_apps)}"
    page.goto(f"{base_url}/editor/")
    page.fill('input[name="title"]', title)
    page.fill('input[name="slug"]', slug)
    with page.expect_navigation():
        page.click('.ed-create button[type="submit"]')
    expect(page.locator("body.ed-ready")).to_have_count(1)
    return slug


@pytest.fixture
def editor(page: Page, live_server: Any, artifacts: Path,
           request: pytest.FixtureRequest) -> Iterator[EditorPage]:
    sign_in(page, live_server.url, "admin", DEMO_ADMIN_PASSWORD, "/editor/")
    ed = EditorPage(page, artifacts, "editor-" + request.node.originalname.split("_")[1])
    yield ed
    assert ed.problems == []


def test_build_the_order_shipping_screen_publish_it_and_ship_an_order(
        editor: EditorPage, live_server: Any, browser: Browser, artifacts: Path,
        tmp_path: Path) -> None:
    page = editor.page
    slug = new_app(page, live_server.url, "Ship orders")
    expect(page.locator("#ed-canvas-empty")).to_be_visible()
    editor.shot("01-empty")

    # --- queries first: widgets will read them ------------------------------------------------
    editor.new_query("getOrders", GET_ORDERS)
    page.check("#ed-query-runonload")
    page.click("#ed-query-run")
    expect(page.locator(".ed-result__meta")).to_have_text(
        re.compile(r"^\d+ rows( \(cut at \d+\))? · [\d.]+ ms$"))
    page.click("#ed-query-tab-schema")
    expect(page.locator(".ed-schema__table summary", has_text="orders")).to_be_visible()
    page.click("#ed-query-tab-result")
    editor.shot("02-getOrders")

    # --- widgets: drag, rename, resize, fill properties ---------------------------------------
    table = editor.drag_in("table", 0, 0)
    assert editor.widget(table)["at"] == [0, 0, 8, 8]
    editor.rename("ordersTable")
    editor.type_into("data", "<<getOrders.data>>")
    expect(editor.preview_of("data")).to_contain_text("items]")
    editor.field("data").press("Tab")
    page.click("text=Columns from getOrders")
    expect(editor.cell("ordersTable").locator("th")).to_have_count(6)
    editor.type_into("pageSize", "10")
    editor.type_into("defaultSort.column", "id")

    address = editor.drag_in("text", 8, 0)
    editor.rename("addressText")
    editor.type_into("label", "收货地址")
    # Completion inside << >>: the widget name, then a property.
    editor.type_into("text", "<<ord")
    expect(page.locator(".ed-bind__option", has_text="ordersTable")).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.type("selectedRow.address>>")
    assert editor.widget("addressText")["text"] == "<<ordersTable.selectedRow.address>>"
    expect(editor.preview_of("text")).to_have_text("= null")
    assert address == "text1"
    editor.type_into("color", "#1d4ed8")
    assert editor.widget("addressText")["color"] == "#1d4ed8"

    editor.drag_in("select", 8, 2)
    editor.rename("shippingCompany")
    editor.type_into("label", "快递公司")
    for value, label in (("SF", "顺丰"), ("ZTO", "中通")):
        editor.field("options.add").click()
        index = len(editor.widget("shippingCompany")["options"]) - 1
        editor.type_into(f"options.{index}.value", value)
        editor.type_into(f"options.{index}.label", label)
    editor.type_into("value", "<<ordersTable.selectedRow.shipping_company>>")

    editor.drag_in("input", 8, 3)
    editor.rename("shippingNumberInput")
    editor.type_into("label", "快递单号")
    editor.field("required").check()
    editor.type_into("value", "<<ordersTable.selectedRow.shipping_tracking_number>>")

    # A binding that names nothing is underlined with the reason, then fixed.
    editor.type_into("placeholder", "输入快递单号")
    editor.type_into("label", "<<shippingCompny.value>>")
    expect(editor.field("label")).to_have_class(re.compile(r"\bed-invalid\b"))
    expect(editor.preview_of("label")).to_have_text(
        "no widget or query is named 'shippingCompny' — did you mean 'shippingCompany'?")
    editor.type_into("label", "快递单号")
    expect(editor.field("label")).not_to_have_class(re.compile(r"\bed-invalid\b"))
    editor.shot("03-widgets")

    # The SQL editor underlines a binding it cannot evaluate, with the reason on hover.
    editor.new_query("updateOrder", UPDATE_ORDER.replace("shippingNumberInput", "shippingNumber"))
    problem = page.locator("#ed-query-sql .cm-lintRange-error")
    expect(problem).to_have_count(1)
    problem.hover()
    expect(page.locator(".cm-tooltip-lint")).to_contain_text("no widget or query is named")
    editor.sql_editor().click()
    page.keyboard.press("Control+A")
    page.keyboard.type(UPDATE_ORDER)
    page.keyboard.press("Escape")
    expect(problem).to_have_count(0)
    page.fill("#ed-query-expect", "1")

    button = editor.drag_in("button", 8, 4)
    editor.resize(button, 2)
    editor.wait_until(lambda: editor.widget(button)["at"] == [8, 4, 4, 1])
    editor.rename("updateButton")
    editor.type_into("label", "更新")
    editor.field("disabled.fx").click()  # a boolean that follows a binding
    editor.type_into("disabled", "<<!ordersTable.selectedRow>>")
    expect(editor.preview_of("disabled")).to_have_text("= true")
    # onClick: run updateOrder; on success refresh getOrders and toast; on error toast the error.
    page.select_option('[data-fkey="onClick.add"]', "run")
    page.select_option('[data-fkey="onClick.0.run"]', "updateOrder")
    page.select_option('[data-fkey="onClick.0.onSuccess.add"]', "refresh")
    page.select_option('[data-fkey="onClick.0.onSuccess.0.refresh"]', "getOrders")
    page.select_option('[data-fkey="onClick.0.onSuccess.add"]', "toast")
    editor.type_into("onClick.0.onSuccess.1.toast", "订单已更新")
    page.select_option('[data-fkey="onClick.0.onSuccess.1.kind"]', "success")
    page.select_option('[data-fkey="onClick.0.onError.add"]', "toast")
    editor.type_into("onClick.0.onError.0.toast", "<<updateOrder.error>>")
    page.select_option('[data-fkey="onClick.0.onError.0.kind"]', "error")
    assert editor.widget("updateButton")["onClick"] == [{
        "run": "updateOrder",
        "onSuccess": [{"refresh": "getOrders"}, {"toast": "订单已更新", "kind": "success"}],
        "onError": [{"toast": "<<updateOrder.error>>", "kind": "error"}],
    }]
    editor.shot("04-wired")

    # --- the live preview: the real runtime with the unsaved draft and live data ----------------
    page.click("#ed-tab-preview")
    frame = page.frame_locator("#ed-preview-frame")
    expect(frame.locator('[data-widget="ordersTable"] .tabulator-row')).to_have_count(10)
    frame.locator('[data-widget="ordersTable"] .tabulator-row').nth(1).locator(
        '.tabulator-cell[tabulator-field="product_name"]').click()
    expect(frame.locator('[data-widget="addressText"] .tc-text__body')).not_to_be_empty()
    expect(frame.locator('[data-widget="updateButton"] button')).to_be_enabled()
    editor.shot("05-preview")
    page.click("#ed-tab-canvas")

    # --- save (validated) and publish ------------------------------------------------------
    page.keyboard.press("Control+S")
    expect(editor.toast("Saved as version 2")).to_be_visible()
    expect(page.locator("#ed-dirty")).to_be_hidden()
    page.click("#ed-publish")
    expect(editor.toast("Published version 2")).to_be_visible()
    expect(page.locator("#ed-status")).to_have_text("v2 · published v2")
    editor.shot("06-published")

    saved = tmp_path / "saved.yaml"
    saved.write_text(editor.text(), encoding="utf-8")
    assert cli_main(["validate", str(saved), "--datasource", "shop"]) == 0

    # --- the operator uses it -------------------------------------------------------------
    tc = live_server.app.extensions["toolcrib"]
    with tc.store.session() as session:
        ops_user = find_user(session, "ops")
        assert ops_user is not None
        grant(session, app_by_slug(session, slug), user_id=ops_user.id)
    engine = create_engine(live_server.shop_url)
    with engine.connect() as conn:
        paid = [r[0] for r in conn.execute(text(
            "SELECT id FROM orders WHERE status = 'paid' ORDER BY id"))]
    order_id = paid[12]  # second page of ten; early orders belong to the operator-flow tests

    ops_context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        ops = ops_context.new_page()
        sign_in(ops, live_server.url, "ops", DEMO_OPERATOR_PASSWORD, f"/apps/{slug}")
        rows = ops.locator('[data-widget="ordersTable"] .tabulator-row')
        expect(rows).to_have_count(10)
        ops.locator('[data-widget="ordersTable"] .tabulator-page[data-page="2"]').click()
        row = rows.filter(has=ops.locator('.tabulator-cell[tabulator-field="id"]',
                                          has_text=re.compile(rf"^\s*{order_id}\s*$")))
        row.locator('.tabulator-cell[tabulator-field="product_name"]').click()
        expect(ops.locator('[data-widget="addressText"] .tc-text__body')).not_to_be_empty()
        ops.locator('[data-widget="shippingCompany"] select').select_option(label="中通")
        ops.locator('[data-widget="shippingNumberInput"] input').fill("ZT-EDITOR-1")
        ops.screenshot(path=str(artifacts / "editor-build-07-operator.png"))
        ops.locator('[data-widget="updateButton"] button').click()
        expect(ops.locator(".tc-toast--success", has_text="订单已更新")).to_be_visible()
        ops.screenshot(path=str(artifacts / "editor-build-08-shipped.png"))
    finally:
        ops_context.close()
    with engine.connect() as conn:
        shipped = conn.execute(text("SELECT shipping_company, shipping_tracking_number FROM orders "
                                    "WHERE id = :id"), {"id": order_id}).one()
    engine.dispose()
    assert tuple(shipped) == ("ZTO", "ZT-EDITOR-1")


def test_two_tabs_saving_the_same_app_get_a_conflict_with_a_choice(
        editor: EditorPage, live_server: Any, artifacts: Path) -> None:
    page = editor.page
    slug = new_app(page, live_server.url, "Two tabs")
    other = EditorPage(page.context.new_page(), artifacts, editor.name + "-tab-b").open(
        live_server.url, slug)

    page.locator('.ed-palette__item[data-type="text"]').press("Enter")
    page.keyboard.press("Control+S")
    expect(editor.toast("Saved as version 2")).to_be_visible()

    other.page.locator('.ed-palette__item[data-type="button"]').press("Enter")
    other.page.click("#ed-save")
    dialog = other.page.locator("dialog.ed-dialog[open]")
    expect(dialog).to_contain_text("saved as version 2 by admin after you loaded version 1")
    expect(dialog.locator(".ed-diff__add", has_text="- name: text1")).to_be_visible()
    other.shot("conflict")
    dialog.get_by_role("button", name="Keep mine (save on top of version 2)").click()
    expect(other.toast("Saved as version 3")).to_be_visible()

    # The first tab is stale now: it reloads the newest version instead.
    editor.select("text1")
    editor.type_into("text", "changed")
    page.keyboard.press("Control+S")
    dialog = page.locator("dialog.ed-dialog[open]")
    expect(dialog).to_contain_text("saved as version 3")
    dialog.get_by_role("button", name=re.compile("^Reload version 3")).click()
    expect(editor.toast("Reloaded version 3")).to_be_visible()
    assert [w["name"] for w in editor.doc()["pages"][0]["widgets"]] == ["button1"]
    expect(page.locator("#ed-dirty")).to_be_hidden()
    expect(page.locator("#ed-status")).to_have_text("v3 · not published")

    # History: who saved what, on top of which version; a diff; a rollback.
    page.click("#ed-history")
    dialog = page.locator("dialog.ed-dialog[open]")
    rows = dialog.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("admin")
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("v2")
    rows.nth(1).get_by_role("button", name="Diff with v1").click()
    expect(dialog.locator(".ed-diff__add", has_text="- name: text1")).to_be_visible()
    editor.shot("history")
    rows.nth(1).get_by_role("button", name="Roll back to v2").click()
    page.locator("dialog.ed-dialog[open]").get_by_role("button", name="Roll back").click()
    expect(editor.toast("Version 2 restored as version 4")).to_be_visible()
    assert [w["name"] for w in editor.doc()["pages"][0]["widgets"]] == ["text1"]
    other.page.close()


def test_keyboard_editing_and_undo_redo_on_the_canvas(editor: EditorPage,
                                                       live_server: Any) -> None:
    page = editor.page
    new_app(page, live_server.url, "Keys")
    page.locator('.ed-palette__item[data-type="button"]').press("Enter")
    expect(editor.cell("button1")).to_be_focused()
    assert editor.widget("button1")["at"] == [0, 0, 2, 1]
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "Shift+ArrowRight", "Shift+ArrowDown"):
        page.keyboard.press(key)
    assert editor.widget("button1")["at"] == [2, 1, 3, 2]
    page.keyboard.press("Control+D")
    assert editor.selection() == ["button2"]
    assert editor.widget("button2")["at"] == [2, 3, 3, 2]
    page.keyboard.press("Control+C")
    page.keyboard.press("Control+V")
    assert editor.selection() == ["button3"]
    page.keyboard.press("Delete")
    expect(editor.cell("button3")).to_have_count(0)
    editor.shot("keys")

    def names() -> list[str]:
        return [w["name"] for w in editor.doc()["pages"][0]["widgets"]]

    page.keyboard.press("Control+Z")  # the delete
    assert names() == ["button1", "button2", "button3"]
    page.keyboard.press("Control+Z")  # the paste
    page.keyboard.press("Control+Z")  # the duplicate
    assert names() == ["button1"]
    page.keyboard.press("Control+Z")  # the moves and resizes: one step for a run of nudges
    assert editor.widget("button1")["at"] == [0, 0, 2, 1]
    page.keyboard.press("Control+Z")  # the add
    assert names() == []
    expect(page.locator("#ed-undo")).to_be_disabled()
    page.keyboard.press("Control+Shift+Z")
    assert names() == ["button1"]
    page.keyboard.press("Control+Shift+Z")
    assert editor.widget("button1")["at"] == [2, 1, 3, 2]
    page.click("#ed-redo")
    assert names() == ["button1", "button2"]
    expect(page.locator("#ed-dirty")).to_be_visible()


def test_yaml_view_and_canvas_follow_each_other_and_errors_do_not_break_it(
        editor: EditorPage, live_server: Any) -> None:
    page = editor.page
    new_app(page, live_server.url, "Both views")
    page.locator('.ed-palette__item[data-type="text"]').press("Enter")
    page.click("#ed-tab-yaml")
    yaml_editor = page.locator("#ed-yaml .cm-content")
    expect(yaml_editor).to_contain_text("- name: text1")

    # Edit the YAML: the canvas follows.
    page.get_by_text("text: Text").click()
    page.keyboard.press("End")
    page.keyboard.type(" from YAML")
    expect(page.locator("#ed-status")).to_be_visible()
    editor.wait_until(lambda: editor.widget("text1")["text"] == "Text from YAML")
    page.click("#ed-tab-canvas")
    expect(editor.cell("text1")).to_contain_text("Text from YAML")

    # A validator problem: listed with line:col, marked inline; the canvas keeps working.
    page.click("#ed-tab-yaml")
    page.get_by_text("type: text").click()
    page.keyboard.press("End")
    page.keyboard.press("Backspace")
    page.keyboard.type("xt")  # "type: texxt"
    problems = page.locator("#ed-problems")
    expect(problems).to_contain_text("did you mean 'text'")
    expect(problems.locator("code").first).to_have_text(re.compile(r"^8:\d+$"))
    expect(page.locator("#ed-yaml .cm-lintRange-error")).to_have_count(1)
    expect(page.locator("#ed-problem-count")).to_have_text("1 problem")

    # A YAML syntax error: shown the same way; the canvas keeps the last good document.
    page.keyboard.type(": [")
    expect(problems).to_contain_text("Nested mappings are not allowed in compact mappings")
    expect(problems.locator("code").first).to_have_text(re.compile(r"^8:\d+$"))
    editor.shot("yaml-error")
    assert editor.widget("text1")["type"] == "texxt"
    page.click("#ed-tab-canvas")
    expect(editor.cell("text1")).to_be_visible()
    page.keyboard.press("Control+Z")  # everything typed since the last switch of views
    assert editor.widget("text1") == {"name": "text1", "type": "text", "at": [0, 0, 4, 2],
                                      "text": "Text from YAML"}
    expect(page.locator("#ed-problem-count")).to_be_hidden()
    page.keyboard.press("Control+Z")
    assert editor.widget("text1")["text"] == "Text"


def test_a_click_in_the_property_panel_right_after_typing_is_not_lost(
        editor: EditorPage, live_server: Any) -> None:
    """Leaving a field redraws the panel; a person's click (press, ~150 ms, release) on the
    next field's <<>> button must still land, not hit a button the redraw replaced."""
    page = editor.page
    new_app(page, live_server.url, "Clicks")
    page.locator('.ed-palette__item[data-type="button"]').press("Enter")
    expect(editor.cell("button1")).to_be_focused()
    editor.type_into("label", "Update")
    box = editor.field("disabled.fx").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(150)
    page.mouse.up()
    expect(editor.field("disabled.fx")).to_have_attribute("aria-pressed", "true")
    assert editor.widget("button1")["label"] == "Update"
    assert editor.widget("button1")["disabled"] == "<<>>"
