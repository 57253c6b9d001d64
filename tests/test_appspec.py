"""The app format: loading, migration, validation messages with positions, the schema file."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

import widgets
from builder import appspec
from builder.appspec import migrations
from builder.appspec.cycles import find_cycles
from builder.appspec.problems import Problem, format_path

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "apps" / "order_shipping.yaml"
REGISTRY = widgets.build_registry()

# A small app the error tests edit one line at a time (line numbers on the right).
MINI = textwrap.dedent("""\
    format: 1
    app: mini
    title: Mini
    pages:
      - name: main
        widgets:
          - name: ordersTable
            type: table
            at: [0, 0, 8, 10]
            data: <<getOrders.data>>
            pageSize: 20
          - name: company
            type: select
            at: [8, 0, 4, 1]
            options: [{value: SF}]
            value: <<ordersTable.selectedRow.company>>
          - name: saveButton
            type: button
            at: [8, 1, 4, 1]
            label: Save
            onClick:
              - run: saveOrder
                onSuccess:
                  - refresh: getOrders
                  - toast: Saved
    queries:
      getOrders:
        datasource: shop
        runOnLoad: true
        sql: SELECT * FROM orders
      saveOrder:
        datasource: shop
        sql: |
          UPDATE orders SET company = <<company.value>>
          WHERE id = <<ordersTable.selectedRow.id>>
    """)
#  1 format   7 ordersTable   12 company   17 saveButton   22 run   26 queries   31 saveOrder
#  34 UPDATE ... <<company.value>>   35 WHERE id = <<ordersTable.selectedRow.id>>


def edit(old: str, new: str, text: str = MINI) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def check(text: str, datasources: set[str] | None = None) -> list[Problem]:
    names = {"shop"} if datasources is None else datasources
    return appspec.check_text(text, "app.yaml", widgets=REGISTRY, datasource_names=names)


def only(text: str, datasources: set[str] | None = None) -> Problem:
    problems = check(text, datasources)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def assert_problem(problem: Problem, where: str, path: str, fragment: str) -> None:
    assert str(problem).startswith(f"app.yaml:{where}: "), str(problem)
    assert problem.path == path
    assert fragment in problem.message, problem.message


# --- the flagship and the happy path ---------------------------------------------------------

def load_flagship() -> appspec.AppSpec:
    return appspec.load_app(FLAGSHIP.read_text(encoding="utf-8"), str(FLAGSHIP),
                            widgets=REGISTRY, datasource_names={"shop"})


def test_flagship_loads_cleanly() -> None:
    assert appspec.check_paths([str(FLAGSHIP.parent)], widgets=REGISTRY,
                               datasource_names={"shop", "shop_mongo"}) == []
    spec = load_flagship()
    assert spec.slug == "order-shipping" and spec.format == appspec.CURRENT_FORMAT
    assert [w.name for w in spec.all_widgets()][:2] == ["ordersTable", "addressText"]
    assert spec.widget("ordersTable").at == (0, 0, 8, 12)
    assert spec.widget("ordersTable").props["data"] == "<<getOrders.data>>"
    with pytest.raises(KeyError):
        spec.widget("nope")


def test_flagship_queries() -> None:
    update = load_flagship().queries["updateOrder"]
    assert update.kind == "sql" and update.datasource == "shop" and update.expect_rows == 1
    assert update.refs == [("shippingCompany", "value"), ("shippingNumberInput", "value"),
                           ("ordersTable", "selectedRow")]
    assert update.bindings == ["shippingCompany.value", "shippingNumberInput.value",
                               "ordersTable.selectedRow.id", "ordersTable.selectedRow.version"]
    assert update.server_refs == []


def test_flagship_public_json_has_no_sql() -> None:
    spec = load_flagship()
    public = spec.public_json()
    text = json.dumps(public, ensure_ascii=False)
    assert "UPDATE" not in text and "SELECT" not in text and "shop" not in text
    assert public["queries"] == {
        "getOrders": {"runOnLoad": True, "expectRows": None, "refs": [], "paged": True},
        "updateOrder": {"runOnLoad": False, "expectRows": 1, "paged": False,
                        "refs": [["shippingCompany", "value"], ["shippingNumberInput", "value"],
                                 ["ordersTable", "selectedRow"]]},
    }
    table = public["pages"][0]["widgets"][0]
    assert table["name"] == "ordersTable" and table["at"] == [0, 0, 8, 12]
    assert table["props"]["data"] == "<<getOrders.data>>"


def test_server_names_and_document_queries() -> None:
    spec = appspec.load_app(edit("    sql: SELECT * FROM orders\n", textwrap.indent(
        "collection: orders\nfind: {company: <<company.value>>, owner: <<current_user.email>>}\n"
        "sort: {id: 1}\n", "    ")), "app.yaml", widgets=REGISTRY)
    query = spec.queries["getOrders"]
    assert query.kind == "document"
    assert query.body == {"collection": "orders", "sort": {"id": 1}, "find": {
        "company": "<<company.value>>", "owner": "<<current_user.email>>"}}
    assert query.refs == [("company", "value")]
    assert query.server_refs == ["current_user.email"]


def test_load_app_raises_with_every_problem() -> None:
    text = edit("type: table", "type: tabel", edit("at: [8, 1, 4, 1]", "at: [9, 1, 4, 1]"))
    with pytest.raises(appspec.AppSpecError) as caught:
        appspec.load_app(text, "app.yaml", widgets=REGISTRY)
    assert len(caught.value.problems) == 2
    assert str(caught.value).splitlines() == [str(p) for p in caught.value.problems]


def test_check_paths_reads_folders_and_finds_duplicate_slugs(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(MINI, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text(MINI, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not an app", encoding="utf-8")
    problems = appspec.check_paths([str(tmp_path)], widgets=REGISTRY)
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'sub' / 'b.yml'}:2:6: app 'mini' is also defined in "
        f"{tmp_path / 'a.yaml'} (at app)"]


# --- YAML and format errors ------------------------------------------------------------------

def test_yaml_syntax_error() -> None:
    problem = only(edit("title: Mini", "title: [Mini"))
    assert_problem(problem, "4:6", "", "YAML syntax error")
    assert str(problem).startswith("app.yaml:4:6: YAML syntax error: ")


def test_duplicate_key() -> None:
    problem = only(edit("        label: Save\n", "        label: Save\n        label: Again\n"))
    assert_problem(problem, "21:9", "pages[0].widgets[2].label",
                   "duplicate key 'label' (first defined on line 20)")


def test_yaml_tags_are_refused() -> None:
    problem = only(edit("title: Mini", "title: !!python/object:os.system Mini"))
    assert_problem(problem, "3:8", "title", "YAML tag '!!python/object:os.system' is not allowed")


def test_missing_format() -> None:
    problem = only(edit("format: 1\n", ""))
    assert_problem(problem, "1:1", "format", "missing 'format:'")


def test_newer_format() -> None:
    problem = only(edit("format: 1", "format: 9"))
    assert_problem(problem, "1:9", "format", "format 9, but this version of Toolcrib "
                                             "understands formats up to 1")


def test_migrations_run_in_order() -> None:
    def rename_app(doc: dict) -> dict:  # a fake format 1 -> 2: "name" became "app"
        doc["app"] = doc.pop("name")
        return doc

    def add_title(doc: dict) -> dict:  # a fake format 2 -> 3
        doc.setdefault("title", doc["app"])
        return doc

    original = {"format": 1, "name": "x"}
    steps = [rename_app, add_title]
    assert migrations.migrate(original, steps) == {"format": 3, "app": "x", "title": "x"}
    assert original == {"format": 1, "name": "x"}  # not changed in place
    assert migrations.migrate({"format": 2, "app": "y"}, steps)["title"] == "y"
    assert migrations.migrate({"format": 1}) == {"format": 1}
    assert len(migrations.MIGRATIONS) + 1 == migrations.CURRENT_FORMAT
    with pytest.raises(migrations.FormatError, match="up to 3"):
        migrations.migrate({"format": 4}, steps)


# --- schema errors ---------------------------------------------------------------------------

def test_unknown_widget_type() -> None:
    problem = only(edit("type: table", "type: tabel"))
    assert_problem(problem, "8:15", "pages[0].widgets[0].type",
                   "unknown widget type 'tabel' — did you mean 'table'?")


def test_unknown_property() -> None:
    problem = only(edit("        label: Save\n", "        label: Save\n        lable: Save\n"))
    assert_problem(problem, "21:9", "pages[0].widgets[2].lable",
                   "unknown property 'lable' for a button — did you mean 'label'?")


def test_wrong_value_type() -> None:
    problem = only(edit("pageSize: 20", "pageSize: twenty"))
    assert_problem(problem, "11:19", "pages[0].widgets[0].pageSize",
                   "expected integer, got string 'twenty'")


def test_bindable_property_wrong_literal() -> None:
    problem = only(edit("        label: Save\n", "        label: Save\n        disabled: maybe\n"))
    assert_problem(problem, "21:19", "pages[0].widgets[2].disabled",
                   "expected boolean, got string 'maybe' (or a <<binding>>)")


def test_missing_required_property() -> None:
    problem = only(edit("        label: Save\n", ""))
    assert_problem(problem, "17:9", "pages[0].widgets[2].label",
                   "missing required property 'label' for a button")


def test_bad_at_outside_grid() -> None:
    problem = only(edit("at: [8, 1, 4, 1]", "at: [9, 1, 4, 1]"))
    assert_problem(problem, "19:13", "pages[0].widgets[2].at",
                   "does not fit the 12-column grid: x + w = 9 + 4 = 13 > 12")


def test_bad_at_value() -> None:
    problem = only(edit("at: [8, 1, 4, 1]", "at: [8, 1, 0, 1]"))
    assert_problem(problem, "19:20", "pages[0].widgets[2].at[2]", "at: w is 0 but must be at "
                                                                  "least 1")


def test_bad_action() -> None:
    problem = only(edit("- toast: Saved", "- tost: Saved"))
    assert_problem(problem, "25:17", "pages[0].widgets[2].onClick[0].onSuccess[1].tost",
                   "unknown action 'tost' — did you mean 'toast'?")


def test_action_with_two_verbs() -> None:
    problem = only(edit("- toast: Saved", "- {toast: Saved, copy: x}"))
    assert_problem(problem, "25:17", "pages[0].widgets[2].onClick[0].onSuccess[1]",
                   "this one has 'toast' and 'copy'")


def test_query_without_body() -> None:
    problem = only(edit("sql: SELECT * FROM orders", "description: no body"))
    assert_problem(problem, "27:3", "queries.getOrders", "a query needs a body")


# --- semantic errors -------------------------------------------------------------------------

def test_binding_syntax_error() -> None:
    problem = only(edit("<<ordersTable.selectedRow.id>>", "<<ordersTable..id>>"))
    # line 35 is "      WHERE id = <<ordersTable..id>>": the second '.' is column 32
    assert_problem(problem, "35:32", "queries.saveOrder.sql",
                   "binding syntax error in <<ordersTable..id>>: expected a property name")


def test_unterminated_binding() -> None:
    problem = only(edit("value: <<ordersTable.selectedRow.company>>",
                        "value: <<ordersTable.selectedRow.company"))
    assert_problem(problem, "16:16", "pages[0].widgets[1].value", "unterminated '<<'")


def test_binding_to_unknown_widget() -> None:
    problem = only(edit("value: <<ordersTable.selectedRow.company>>",
                        "value: <<orderTable.selectedRow.company>>"))
    assert_problem(problem, "16:18", "pages[0].widgets[1].value",
                   "unknown widget or query 'orderTable' in <<orderTable.selectedRow.company>>"
                   " — did you mean 'ordersTable'?")


def test_unknown_widget_property() -> None:
    problem = only(edit("value: <<ordersTable.selectedRow.company>>",
                        "value: <<ordersTable.selectedRo.company>>"))
    assert_problem(problem, "16:30", "pages[0].widgets[1].value",
                   "unknown property 'selectedRo' of ordersTable (a table) — did you mean "
                   "'selectedRow'?")


def test_unknown_query_in_action() -> None:
    problem = only(edit("refresh: getOrders", "refresh: getOrder"))
    assert_problem(problem, "24:26", "pages[0].widgets[2].onClick[0].onSuccess[0].refresh",
                   "unknown query 'getOrder' — did you mean 'getOrders'?")


def test_unknown_query_property() -> None:
    problem = only(edit("data: <<getOrders.data>>", "data: <<getOrders.rows>>"))
    assert_problem(problem, "10:27", "pages[0].widgets[0].data",
                   "unknown query property 'rows' of getOrders")


def test_query_reading_a_non_state_property() -> None:
    problem = only(edit("<<company.value>>", "<<company.options>>"))
    assert_problem(problem, "34:45", "queries.saveOrder.sql",
                   "a query cannot read company.options: only widget state is sent")


def test_query_reading_another_query() -> None:
    problem = only(edit("<<company.value>>", "<<getOrders.data>>"))
    assert_problem(problem, "34:37", "queries.saveOrder.sql",
                   "a query cannot read getOrders.data")


def test_binding_cycle() -> None:
    text = edit("        pageSize: 20\n", "        pageSize: 20\n"
                "      - {name: a, type: input, at: [0, 10, 4, 1], value: <<b.value>>}\n"
                "      - {name: b, type: input, at: [4, 10, 4, 1], value: <<a.value>>}\n")
    problem = only(text)
    assert_problem(problem, "12:60", "pages[0].widgets[1].value",
                   "binding cycle: a.value → b.value → a.value")


def test_duplicate_widget_names() -> None:
    problem = only(edit("- name: saveButton", "- name: company"))
    assert_problem(problem, "17:15", "pages[0].widgets[2].name",
                   "duplicate widget name 'company' (also pages[0].widgets[1], line 12)")


def test_query_named_like_a_widget() -> None:
    text = edit("  saveOrder:", "  company:", edit("run: saveOrder", "run: company"))
    problem = only(text)
    assert_problem(problem, "31:3", "queries.company", "same name as the widget")


def test_unknown_data_source() -> None:
    problem = only(edit("datasource: shop\n    runOnLoad", "datasource: shpo\n    runOnLoad"))
    assert_problem(problem, "28:17", "queries.getOrders.datasource",
                   "unknown data source 'shpo' — did you mean 'shop'?")
    assert check(edit("datasource: shop\n    runOnLoad", "datasource: x\n    runOnLoad"),
                 datasources=set()) != []
    assert appspec.check_text(MINI, "app.yaml", widgets=REGISTRY) == []  # names not checked


def test_set_action_needs_a_state_property() -> None:
    problem = only(edit("- toast: Saved", "- {set: company.options, to: []}"))
    assert_problem(problem, "25:23", "pages[0].widgets[2].onClick[0].onSuccess[1].set",
                   "set: 'options' is not state of company")


def test_binding_in_a_non_bindable_property() -> None:
    problem = only(edit("        options: [{value: SF}]\n", "        options: [{value: SF}]\n"
                        "        placeholder: <<ordersTable.selectedRow.company>>\n"))
    assert_problem(problem, "16:22", "pages[0].widgets[1].placeholder",
                   "'placeholder' of a select is not bindable")


# --- the schema file -------------------------------------------------------------------------

def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "builder" / "appspec" / "app.schema.json").read_text())
    assert committed == appspec.build_schema(REGISTRY), \
        "run: python -c 'from builder.appspec import write_schema; write_schema()'"


def test_schema_accepts_the_flagship() -> None:
    schema = appspec.build_schema(REGISTRY)
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(yaml.safe_load(FLAGSHIP.read_text(encoding="utf-8")))
    first_line = FLAGSHIP.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../builder/appspec/app.schema.json"


def test_write_schema(tmp_path: Path) -> None:
    target = appspec.write_schema(tmp_path / "s.json", REGISTRY)
    text = target.read_text(encoding="utf-8")
    assert text.endswith("}\n") and json.loads(text) == appspec.build_schema(REGISTRY)


# --- helpers ---------------------------------------------------------------------------------

def test_format_path_and_cycles() -> None:
    assert format_path(("pages", 0, "widgets", 2, "type")) == "pages[0].widgets[2].type"
    assert format_path(("queries", "a b")) == "queries['a b']"
    assert find_cycles({"a.x": ["b.x"], "b.x": ["a.x", "c.x"], "c.x": ["c.x"]}) == [
        ["a.x", "b.x", "a.x"], ["c.x", "c.x"]]


def test_docs_describe_every_widget_property() -> None:
    docs = (ROOT / "docs" / "app-format.md").read_text(encoding="utf-8")
    for name, widget in REGISTRY.all().items():
        assert f"### {name} — " in docs, name
        section = docs.split(f"### {name} — ", 1)[1].split("\n### ", 1)[0]
        for prop in [*widget.properties, *widget.state]:
            assert f"`{prop}`" in section, f"{name}.{prop} is not in docs/app-format.md"


def test_yaml_alias_bomb_is_refused() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]")
    problem = only("\n".join(lines) + "\n")
    assert "document too large" in problem.message


def test_windows_line_endings_keep_columns() -> None:
    text = edit("<<ordersTable.selectedRow.id>>", "<<ordersTable..id>>").replace("\n", "\r\n")
    assert_problem(only(text), "35:32", "queries.saveOrder.sql", "binding syntax error")
