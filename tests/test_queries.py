"""Compiling named SQL (bindings -> parameters) and the paging wrapper, without a server."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.dialects import mysql, postgresql, sqlite

from builder.queries import (
    MAX_PAGE_SIZE,
    CompiledSQL,
    compile_sql,
    is_select,
    probe_columns,
    wrap_page,
)
from datasources.base import FilterClause, PageRequest, QueryInputError, SortKey

HOSTILE = "' OR 1=1; DROP TABLE orders; --"
COLUMNS = ["id", "name", "city"]


def run_sqlite(compiled: CompiledSQL, setup: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        for statement in setup:
            conn.exec_driver_sql(statement)
        return [tuple(r) for r in conn.execute(compiled.statement(), compiled.params)]


PEOPLE = ("CREATE TABLE people (id INTEGER, name TEXT, city TEXT)",
          "INSERT INTO people VALUES (1, 'Ann', 'Oslo'), (2, 'Bob', NULL), (3, 'Cy', 'Rome'),"
          " (4, '50%_off!', 'Oslo')")


# --- compile_sql ----------------------------------------------------------------------------------


def test_each_binding_becomes_a_parameter() -> None:
    compiled = compile_sql(
        "UPDATE orders SET a = <<shippingCompany.value>>, b = << input.value >> "
        "WHERE id = <<ordersTable.selectedRow.id>>",
        {"shippingCompany.value": "SF", "input.value": HOSTILE, "ordersTable.selectedRow.id": 7},
    )
    assert compiled.text == "UPDATE orders SET a = :p0, b = :p1 WHERE id = :p2"
    assert compiled.params == {"p0": "SF", "p1": HOSTILE, "p2": 7}
    assert set(compiled.statement().compile().params) == {"p0", "p1", "p2"}


def test_no_value_ever_reaches_the_sql_text() -> None:
    compiled = compile_sql("SELECT <<a>> AS a WHERE 'x' IN (<<b>>)",
                           {"a": HOSTILE, "b": [HOSTILE, "x"]})
    assert "DROP" not in compiled.text and "OR 1=1" not in compiled.text
    assert run_sqlite(compiled) == [(HOSTILE,)]


@pytest.mark.parametrize(("ids", "expected"), [([1, 3], [1, 3]), ((2,), [2]), ([], [])])
def test_list_values_expand_inside_in(ids: Any, expected: list[int]) -> None:
    compiled = compile_sql("SELECT id FROM people WHERE id IN (<<ids>>) ORDER BY id", {"ids": ids})
    assert [r[0] for r in run_sqlite(compiled, PEOPLE)] == expected


def test_list_values_work_with_text_and_without_parentheses() -> None:
    compiled = compile_sql("SELECT id FROM people WHERE name IN <<names>> ORDER BY id",
                           {"names": ["Cy", "Ann", HOSTILE]})
    assert [r[0] for r in run_sqlite(compiled, PEOPLE)] == [1, 3]
    empty = compile_sql("SELECT id FROM people WHERE name IN <<names>>", {"names": []})
    assert run_sqlite(empty, PEOPLE) == []


def test_colons_in_strings_casts_and_names_are_not_parameters() -> None:
    sql = "SELECT '10:30' AS t, ':foo' AS f, 'a::b' AS g, <<x>> AS x -- :bar\n"
    compiled = compile_sql(sql, {"x": "ok"})
    assert set(compiled.statement().compile().params) == {"p0"}
    assert run_sqlite(compiled) == [("10:30", ":foo", "a::b", "ok")]


def test_postgres_casts_survive() -> None:
    compiled = compile_sql("SELECT <<x>>::int, now()::date, '1'::text", {"x": "5"})
    rendered = str(compiled.statement().compile(dialect=postgresql.dialect()))
    assert rendered == "SELECT %(p0)s::int, now()::date, '1'::text"


def test_placeholder_is_separated_from_adjacent_names() -> None:
    compiled = compile_sql("SELECT 1 WHERE x=<<a>>AND y=1", {"a": 1})
    assert ":p0 AND" in compiled.text
    assert set(compiled.statement().compile().params) == {"p0"}


@pytest.mark.parametrize("sql", [
    "SELECT * FROM t WHERE name = '<<x>>'",
    "SELECT * FROM t WHERE name = 'it''s <<x>>'",
    "SELECT * FROM t WHERE name LIKE '%<<x>>%'",
    'SELECT "<<x>>" FROM t',
    "SELECT `<<x>>` FROM t",
    "SELECT $$ <<x>> $$",
    "SELECT $tag$ <<x>> $tag$",
])
def test_binding_inside_quotes_is_refused(sql: str) -> None:
    with pytest.raises(QueryInputError, match=r"remove the .*quotes around <<x>>"):
        compile_sql(sql, {"x": "v"})


@pytest.mark.parametrize("sql", [
    "SELECT 1 -- where id = <<x>>",
    "SELECT 1 /* <<x>> */",
    "SELECT 1 /* outer /* inner */ <<x>> */",
])
def test_binding_inside_comment_is_refused(sql: str) -> None:
    with pytest.raises(QueryInputError, match="comment"):
        compile_sql(sql, {"x": "v"})


def test_quotes_and_comments_are_scanned_properly() -> None:
    sql = ("SELECT 'it''s -- not a comment' AS a, \"col\"\"x\" AS b, <<x>> AS c /* c */ -- d\n"
           "  , 'x' || <<y>>")
    compiled = compile_sql(sql, {"x": 1, "y": 2})
    assert compiled.params == {"p0": 1, "p1": 2}


def test_mysql_backslash_escapes_are_understood() -> None:
    sql = r"SELECT 'it\'s <<x>>'"
    with pytest.raises(QueryInputError, match="quotes"):
        compile_sql(sql, {"x": 1}, dialect="mysql")
    with pytest.raises(QueryInputError, match="quotes"):
        compile_sql('SELECT "a <<x>>"', {"x": 1}, dialect="mysql")
    with pytest.raises(QueryInputError, match="comment"):
        compile_sql("SELECT 1 # <<x>>", {"x": 1}, dialect="mysql")
    # PostgreSQL's E'' strings use backslash escapes too; plain strings do not.
    with pytest.raises(QueryInputError, match="quotes"):
        compile_sql(r"SELECT E'\' <<x>>'", {"x": 1})
    assert compile_sql(r"SELECT '\' || <<x>>", {"x": 1}).params == {"p0": 1}


def test_trailing_semicolon_is_dropped_and_a_second_statement_refused() -> None:
    assert compile_sql("SELECT 1; -- done\n", {}).text.startswith("SELECT 1 ")
    assert compile_sql("SELECT ';' AS s;", {}).text == "SELECT ';' AS s"
    for sql in ("SELECT 1; DELETE FROM orders", "SELECT 1;;", "UPDATE t SET a = <<a>>; SELECT 2"):
        with pytest.raises(QueryInputError, match="one SQL statement"):
            compile_sql(sql, {"a": 1})


def test_missing_and_unbindable_values_are_refused() -> None:
    with pytest.raises(QueryInputError, match="no value was given for <<a.b>>"):
        compile_sql("SELECT <<a.b>>", {})
    with pytest.raises(QueryInputError, match="dict"):
        compile_sql("SELECT <<a>>", {"a": {"$ne": 1}})
    with pytest.raises(QueryInputError, match="list"):
        compile_sql("SELECT 1 WHERE x IN (<<a>>)", {"a": [[1]]})
    with pytest.raises(QueryInputError, match="empty"):
        compile_sql("  -- nothing\n", {})
    with pytest.raises(QueryInputError, match="broken binding"):
        compile_sql("SELECT <<a", {})


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT * FROM orders", True),
    ("  -- hi\n/* x */ select 1", True),
    ("(SELECT 1) UNION (SELECT 2)", True),
    ("WITH a AS (SELECT 1) SELECT * FROM a", True),
    ("with recursive c(x) as (select 1 union all select x + 1 from c) select * from c", True),
    ("VALUES (1), (2)", True),
    ("WITH a AS (SELECT 1) UPDATE t SET x = 1", False),
    ("WITH a AS (SELECT 1) DELETE FROM t", False),
    ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", False),
    ("UPDATE orders SET a = 'SELECT'", False),
    ("INSERT INTO t SELECT * FROM u", False),
    ("DELETE FROM t", False),
    ("CREATE TABLE t (id int)", False),
    ("", False),
    ("SELECT * FROM t WHERE a = <<row[\"名\"]>>", True),
])
def test_is_select(sql: str, expected: bool) -> None:
    assert is_select(sql) is expected


# --- wrap_page ------------------------------------------------------------------------------------

DIALECTS: dict[str, Any] = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect(),
            "mysql": mysql.dialect()}


def page_of(**kw: Any) -> PageRequest:
    return PageRequest(**kw)


def test_page_sql_shape_and_parameters() -> None:
    compiled = compile_sql("SELECT * FROM people WHERE city <> <<c>>", {"c": "X"})
    paged = wrap_page(compiled, page_of(size=2, number=3, sort=(SortKey("name", True),)),
                      COLUMNS, DIALECTS["sqlite"])
    assert paged.rows.text == ('SELECT * FROM (\nSELECT * FROM people WHERE city <> :p0\n) AS q'
                               '\nORDER BY q."name" DESC, q."id" ASC'
                               "\nLIMIT :page_limit OFFSET :page_offset")
    assert paged.rows.params == {"p0": "X", "page_limit": 3, "page_offset": 4}
    assert paged.count is not None
    assert paged.count.text == ("SELECT COUNT(*) FROM (\nSELECT * FROM people WHERE city <> :p0"
                                "\n) AS q")


def test_postgres_sorts_nulls_like_the_other_engines() -> None:
    compiled = compile_sql("SELECT * FROM people", {})
    paged = wrap_page(compiled, page_of(sort=(SortKey("city"), SortKey("id", True))), COLUMNS,
                      DIALECTS["postgresql"])
    assert 'ORDER BY q."city" ASC NULLS FIRST, q."id" DESC NULLS LAST' in paged.rows.text


def test_mysql_quotes_with_backticks() -> None:
    paged = wrap_page(compile_sql("SELECT * FROM people", {}), page_of(sort=(SortKey("id"),)),
                      COLUMNS, DIALECTS["mysql"])
    assert "ORDER BY q.`id` ASC" in paged.rows.text


def test_trailing_comment_cannot_swallow_the_wrapper() -> None:
    compiled = compile_sql("SELECT id FROM people -- the end", {})
    paged = wrap_page(compiled, page_of(size=10), ["id"], DIALECTS["sqlite"])
    assert len(run_sqlite(paged.rows, PEOPLE)) == 4


@pytest.mark.parametrize(("flt", "expected"), [
    (FilterClause("city", "=", "Oslo"), [1, 4]),
    (FilterClause("city", "!=", "Oslo"), [2, 3]),
    (FilterClause("id", ">", 2), [3, 4]),
    (FilterClause("id", "<=", 2), [1, 2]),
    (FilterClause("name", "contains", "%"), [4]),
    (FilterClause("name", "contains", "_o"), [4]),
    (FilterClause("name", "contains", "!"), [4]),
    (FilterClause("name", "contains", "b"), [2]),
    (FilterClause("name", "starts", "5"), [4]),
    (FilterClause("name", "starts", "%"), []),
    (FilterClause("id", "in", [1, 3, 99]), [1, 3]),
    (FilterClause("id", "in", []), []),
    (FilterClause("city", "null"), [2]),
    (FilterClause("city", "notnull"), [1, 3, 4]),
    (FilterClause("city", "=", None), [2]),
    (FilterClause("name", "=", HOSTILE), []),
])
def test_filters_run_on_sqlite(flt: FilterClause, expected: list[int]) -> None:
    compiled = compile_sql("SELECT * FROM people", {})
    paged = wrap_page(compiled, page_of(size=10, sort=(SortKey("id"),), filter=(flt,)), COLUMNS,
                      DIALECTS["sqlite"])
    assert [r[0] for r in run_sqlite(paged.rows, PEOPLE)] == expected
    assert paged.count is not None
    assert run_sqlite(paged.count, PEOPLE) == [(len(expected),)]
    if isinstance(flt.value, str) and len(flt.value) > 3:
        assert flt.value not in paged.rows.text


def test_filter_values_are_bound() -> None:
    compiled = compile_sql("SELECT * FROM people", {})
    paged = wrap_page(compiled, page_of(filter=(FilterClause("name", "contains", HOSTILE),)),
                      COLUMNS, DIALECTS["postgresql"])
    assert HOSTILE not in paged.rows.text
    assert "ILIKE :f0 ESCAPE '!'" in paged.rows.text
    assert paged.rows.params["f0"] == "%' OR 1=1; DROP TABLE orders; --%"


@pytest.mark.parametrize("page", [
    PageRequest(sort=(SortKey("password"),)),
    PageRequest(filter=(FilterClause("password", "=", "x"),)),
    PageRequest(sort=(SortKey("id; DROP TABLE people"),)),
])
def test_unknown_sort_or_filter_column_is_refused(page: PageRequest) -> None:
    with pytest.raises(QueryInputError) as err:
        wrap_page(compile_sql("SELECT * FROM people", {}), page, COLUMNS, DIALECTS["sqlite"])
    assert "id, name, city" in err.value.message
    assert repr(page.sort[0].column if page.sort else page.filter[0].column) in err.value.message


def test_hostile_column_name_is_quoted() -> None:
    hostile = 'a"b; DROP TABLE people; --:x'
    setup = (f'CREATE TABLE people ("{hostile.replace(chr(34), chr(34) * 2)}" TEXT, id INT)',
             "INSERT INTO people VALUES ('v', 1), ('w', 2)")
    compiled = compile_sql("SELECT * FROM people", {})
    page = page_of(sort=(SortKey(hostile, True),), filter=(FilterClause(hostile, "notnull"),))
    paged = wrap_page(compiled, page, [hostile, "id"], DIALECTS["sqlite"])
    assert '"a""b; DROP TABLE people; --\\:x"' in paged.rows.text
    assert run_sqlite(paged.rows, setup) == [("w", 2), ("v", 1)]


def test_unknown_filter_operator_is_refused() -> None:
    page = page_of(filter=(FilterClause("id", "OR 1=1", 1),))
    with pytest.raises(QueryInputError, match="unknown filter operator"):
        wrap_page(compile_sql("SELECT * FROM people", {}), page, COLUMNS, DIALECTS["sqlite"])


def test_page_size_is_capped_and_numbers_checked() -> None:
    compiled = compile_sql("SELECT * FROM people", {})
    paged = wrap_page(compiled, page_of(size=10_000, number=2, want_total=False), COLUMNS,
                      DIALECTS["sqlite"])
    assert paged.size == MAX_PAGE_SIZE and paged.offset == MAX_PAGE_SIZE
    assert paged.count is None
    for bad in (page_of(number=0), page_of(size=0)):
        with pytest.raises(QueryInputError, match="1 or more"):
            wrap_page(compiled, bad, COLUMNS, DIALECTS["sqlite"])


def test_postgres_filter_numbers_are_sent_as_text() -> None:
    """An untyped text parameter lets PostgreSQL compare a number with a text column."""
    page = page_of(filter=(FilterClause("name", "=", 5),))
    paged = wrap_page(compile_sql("SELECT * FROM people", {}), page, COLUMNS,
                      DIALECTS["postgresql"])
    assert paged.rows.params["f0"] == "5"


def test_probe_returns_columns_only() -> None:
    probe = probe_columns(compile_sql("SELECT id, name FROM people WHERE id > <<n>>", {"n": 0}))
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        for statement in PEOPLE:
            conn.exec_driver_sql(statement)
        result = conn.execute(probe.statement(), probe.params)
        assert list(result.keys()) == ["id", "name"] and result.fetchall() == []
