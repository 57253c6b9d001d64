"""builder.bindings: the shared conformance cases, the public API, and parity with bindings.js."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from builder._binding_parser import FILTERS
from builder._binding_values import FILTER_FUNCS
from builder.bindings import (
    FILTER_NAMES,
    Binding,
    BindingError,
    BindingEvalError,
    BindingSyntaxError,
    evaluate,
    find_bindings,
    is_single_binding,
    parse,
    references,
    render,
)

ROOT = Path(__file__).resolve().parent.parent
CASES: list[dict[str, Any]] = json.loads(
    (ROOT / "tests" / "bindings_cases.json").read_text(encoding="utf-8")
)["cases"]


def _ids() -> list[str]:
    seen: Counter[str] = Counter()
    ids = []
    for case in CASES:
        ids.append(f"{case['group']}-{seen[case['group']]}")
        seen[case["group"]] += 1
    return ids


def same(a: Any, b: Any) -> bool:
    """Conformance equality: 1 == 1.0, but a boolean never equals a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def run_case(case: dict[str, Any]) -> Any:
    if "template" in case:
        return render(case["template"], case["state"])
    return evaluate(case["expr"], case["state"])


@pytest.mark.parametrize("case", CASES, ids=_ids())
def test_conformance(case: dict[str, Any]) -> None:
    if "error" not in case:
        result = run_case(case)
        assert same(result, case["expect"]), f"got {result!r}"
        return
    kind = BindingSyntaxError if case["error"] == "syntax" else BindingEvalError
    with pytest.raises(kind) as info:
        run_case(case)
    assert case.get("message_contains", "") in str(info.value)
    if "column" in case:
        assert info.value.column == case["column"]


def test_conformance_file_shape() -> None:
    assert len(CASES) >= 120
    groups = Counter(case["group"] for case in CASES)
    for group in ("paths", "indexes", "unicode", "missing", "null-safety", "literals", "not",
                  "equality", "comparison", "logical", "nullish", "ternary", "precedence",
                  "filters", "templates", "errors"):  # fmt: skip
        assert groups[group] >= 5, group
    for case in CASES:
        assert ("expr" in case) != ("template" in case), case
        assert ("expect" in case) != ("error" in case), case
        assert case.get("error", "syntax") in ("syntax", "eval"), case


def test_filter_tables_agree() -> None:
    js = subprocess.run(
        ["node", "-e", "console.log(JSON.stringify(require(process.argv[1]).FILTER_NAMES))",
         str(ROOT / "static" / "bindings.js")],
        capture_output=True, text=True, check=True,
    ).stdout if shutil.which("node") else json.dumps(list(FILTERS))  # fmt: skip
    assert list(FILTER_FUNCS) == list(FILTERS) == list(FILTER_NAMES) == json.loads(js)


def test_same_treats_bool_and_number_apart() -> None:
    assert same(1, 1.0) and same([1, {"a": 2.0}], [1.0, {"a": 2}])
    assert not same(True, 1) and not same(0, False) and not same(None, 0)


# --- find_bindings / is_single_binding ---------------------------------------------------


def test_find_bindings_positions_and_sources() -> None:
    text = "Hi <<  user.name >>, you have << count >> items"
    assert find_bindings(text) == [Binding(3, 19, "user.name"), Binding(30, 41, "count")]
    assert text[3:19] == "<<  user.name >>"
    assert find_bindings("no bindings, a > b >> c") == []
    assert find_bindings("<<>>") == [Binding(0, 4, "")]


def test_find_bindings_skips_quoted_close() -> None:
    text = "<< x == '>>' ? \"a\\\">>\" : 'b' >> tail"
    [binding] = find_bindings(text)
    assert binding.source == "x == '>>' ? \"a\\\">>\" : 'b'"
    assert text[binding.end :] == " tail"
    assert evaluate(binding.source, {"x": ">>"}) == 'a">>'


def test_find_bindings_unterminated() -> None:
    with pytest.raises(BindingSyntaxError) as info:
        find_bindings("ok <<a>> then <<b")
    assert info.value.column == 15
    assert "unterminated '<<'" in str(info.value)
    with pytest.raises(BindingSyntaxError):
        find_bindings("<< 'never closed >>")


@pytest.mark.parametrize(
    ("text", "single"),
    [("<<a>>", True), ("  <<a.b | upper>>\n", True), ("<<a>> ", True), ("x <<a>>", False),
     ("<<a>><<b>>", False), ("plain", False), ("", False), ("<<a", False)],
)  # fmt: skip
def test_is_single_binding(text: str, single: bool) -> None:
    assert is_single_binding(text) is single


# --- references ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("ordersTable.selectedRow.address", [("ordersTable", "selectedRow", "address")]),
        ("rows[0].id", [("rows", 0, "id")]),
        ('row["收货地址"]', [("row", "收货地址")]),
        ("a.b[i].c", [("a", "b"), ("i",)]),
        ("lookup[sel.code].label", [("lookup",), ("sel", "code")]),
        ("a.b ?? a.b | default(c.d)", [("a", "b"), ("c", "d")]),
        ("x ? y.z : !w", [("x",), ("y", "z"), ("w",)]),
        ("[a, b.c][0]", [("a",), ("b", "c")]),
        ("(p).q", [("p", "q")]),
        ("(p ?? r).q", [("p",), ("r",)]),
        ("(t | join(sep)) == 'a'", [("t",), ("sep",)]),
        ("1 == 'x'", []),
    ],
)
def test_references(source: str, expected: list[tuple[str | int, ...]]) -> None:
    assert references(source) == expected
    assert references(parse(source)) == expected


# --- render / evaluate / parse --------------------------------------------------------------


def test_render() -> None:
    scope = {"n": 3, "user": {"name": "Ada"}, "tags": ["a"], "x": None, "f": 0.5}
    assert render("plain text", scope) == "plain text"
    assert render(" <<n>> ", scope) == 3
    assert render("<<tags>>", scope) == ["a"]
    assert render("<<x>>", scope) is None
    assert render("<<n>>/<<x>>/<<f>>/<<tags>>/<<user>>", scope) == '3//0.5/["a"]/{"name":"Ada"}'
    assert render("<<n > 2>>!", scope) == "true!"


def test_syntax_error_is_a_value_error_with_column() -> None:
    with pytest.raises(ValueError) as info:
        parse("rows[0")
    err = info.value
    assert isinstance(err, BindingSyntaxError) and isinstance(err, BindingError)
    assert (str(err), err.column) == ("expected ']' at column 7, found end of expression", 7)
    assert issubclass(BindingEvalError, BindingError)


@pytest.mark.parametrize(
    ("source", "column"),
    [("a +", 3), ("  foo()", 6), ("x | uper", 5), ("'中文' | 收货", 8), ("a ? b", 6), ("(1", 3)],
)
def test_syntax_error_columns(source: str, column: int) -> None:
    with pytest.raises(BindingSyntaxError) as info:
        parse(source)
    assert info.value.column == column
    assert f"at column {column}" in str(info.value)


def test_parse_is_cached_and_evaluate_accepts_ast() -> None:
    assert parse("a.b[0]") is parse("a.b[0]")
    assert evaluate(parse("a.b[0]"), {"a": {"b": [7]}}) == 7


def test_python_values() -> None:
    class Obj:
        name = "attribute"

    assert evaluate("o.name", {"o": Obj()}) is None
    assert evaluate("o.__class__", {"o": Obj()}) is None
    assert evaluate("t[1]", {"t": (1, 2)}) == 2
    assert evaluate("a.b", MappingProxyType({"a": MappingProxyType({"b": 1})})) == 1
    assert evaluate("flag == 1", {"flag": True}) is False
    assert evaluate("n | round", {"n": 2.5}) == 3
    assert evaluate("d == 1", {"d": {1: "int key"}}) is False


def test_evaluate_path_is_fast() -> None:
    expr = parse("ordersTable.selectedRow.address")
    scope = {"ordersTable": {"selectedRow": {"address": "x"}}}
    start = time.perf_counter()
    for _ in range(10_000):
        evaluate(expr, scope)
    assert (time.perf_counter() - start) / 10_000 < 20e-6


# --- parity with static/bindings.js ---------------------------------------------------------

_NODE_SCRIPT = """
const B = require(process.argv[1]);
const cases = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8')).cases;
console.log(JSON.stringify(cases.map((c) => {
  try {
    return {value: 'template' in c ? B.render(c.template, c.state) : B.evaluate(c.expr, c.state)};
  } catch (e) { return {error: e.kind, message: e.message, column: e.column}; }
})));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_error_messages_match_javascript() -> None:
    """Beyond message_contains: every error message and column is identical in both."""
    out = subprocess.run(
        ["node", "-e", _NODE_SCRIPT, str(ROOT / "static" / "bindings.js"),
         str(ROOT / "tests" / "bindings_cases.json")],
        capture_output=True, text=True, check=True, encoding="utf-8",
    ).stdout  # fmt: skip
    for case, js in zip(CASES, json.loads(out), strict=True):
        try:
            result = run_case(case)
            assert "value" in js and same(js["value"], result), (case, js)
        except BindingError as err:
            expected: dict[str, Any] = {"error": "eval", "message": str(err)}
            if isinstance(err, BindingSyntaxError):
                expected.update(error="syntax", column=err.column)
            assert js == expected, case
