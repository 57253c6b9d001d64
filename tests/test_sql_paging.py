"""Deep pages, NULL order and the probe cache of SQL tables, on all three engines.

A page past the middle of a sorted table is read from the other end (builder/queries.py
``wrap_page``): every page must hold exactly the rows that walking the whole table in order
gives, whichever way it was read. PostgreSQL leaves out NULLS FIRST/LAST on NOT NULL columns so
an index can serve the sort; NULL must still sort lowest on nullable ones. With no sort, a page
with the table's row ``key`` is ordered by it, unless the query orders its own rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import datasources
from builder.queries import wrap_page
from datasources.base import (
    DataSource,
    DataSourceQueryFailed,
    PageRequest,
    QueryRequest,
    SortKey,
)

ROWS = 23  # odd, and not a multiple of the page sizes below
QUERY = "SELECT id, grp, label FROM paging_items"


def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS paging_items"))
            conn.execute(text("CREATE TABLE paging_items (id INTEGER PRIMARY KEY, "
                              "grp INTEGER NOT NULL, label VARCHAR(20))"))
            # Inserted last id first: on PostgreSQL and MariaDB an unordered scan then gives
            # another order than the key's.
            conn.execute(text("INSERT INTO paging_items (id, grp, label) VALUES (:i, :g, :l)"),
                         [{"i": i, "g": i % 4, "l": None if i % 5 == 0 else f"x{i % 7}"}
                          for i in range(ROWS, 0, -1)])
    finally:
        engine.dispose()


@pytest.fixture
def items(db_url: str) -> Iterator[DataSource]:
    _seed(db_url)
    cls = datasources.build_registry().get(datasources.kind_for_url(db_url))
    source = cls("items", cls.from_url(db_url))
    yield source
    source.close()


def run(source: DataSource, sql: str = QUERY, **page: Any) -> Any:
    return source.run(QueryRequest(body=sql, values={}, page=PageRequest(**page)))


def walk(source: DataSource, size: int, sort: tuple[SortKey, ...], sql: str = QUERY,
         **page: Any) -> list[list[int]]:
    pages, number = [], 1
    while True:
        result = run(source, sql, size=size, number=number, sort=sort, **page)
        assert result.total == ROWS
        pages.append([r["id"] for r in result.rows])
        if not result.has_more:
            return pages
        number += 1


@pytest.mark.parametrize("sort", [
    (SortKey("id"),),
    (SortKey("id", True),),
    (SortKey("grp"),),                     # duplicates: the first column breaks ties
    (SortKey("grp", True), SortKey("id", True)),
    (SortKey("label"),),                   # NULLs first
    (SortKey("label", True),),             # NULLs last
])
@pytest.mark.parametrize("size", [5, 10])
def test_every_page_read_either_way_is_the_right_slice(items: DataSource, size: int,
                                                       sort: tuple[SortKey, ...]) -> None:
    # The whole table in one page is read from the start: the order every page must follow.
    whole = [r["id"] for r in run(items, size=ROWS, sort=sort).rows]
    pages = walk(items, size, sort)
    assert [i for p in pages for i in p] == whole
    assert all(len(p) == size for p in pages[:-1]) and 0 < len(pages[-1]) <= size
    # Without the total the page is read from the start: the same rows.
    last = len(pages)
    no_total = run(items, size=size, number=last, sort=sort, want_total=False)
    assert [r["id"] for r in no_total.rows] == pages[-1] and not no_total.has_more


def test_nulls_sort_lowest_and_a_page_past_the_end_is_empty(items: DataSource) -> None:
    ascending = run(items, size=ROWS, sort=(SortKey("label"),)).rows
    nulls = [r for r in ascending if r["label"] is None]
    assert ascending[:len(nulls)] == nulls and len(nulls) == ROWS // 5
    descending = run(items, size=ROWS, sort=(SortKey("label", True),)).rows
    assert all(r["label"] is None for r in descending[-len(nulls):])
    beyond = run(items, size=10, number=9, sort=(SortKey("id"),))
    assert beyond.rows == [] and beyond.total == ROWS and not beyond.has_more


def test_a_deep_page_is_read_from_the_other_end() -> None:
    from sqlalchemy.dialects import sqlite

    from builder.queries import CompiledSQL

    compiled = CompiledSQL(QUERY, {}, frozenset())
    page = PageRequest(size=10, number=3, sort=(SortKey("grp"),))
    paged = wrap_page(compiled, page, ["id", "grp", "label"], sqlite.dialect(), total=23)
    assert paged.reversed
    assert "ORDER BY q.\"grp\" DESC, q.\"id\" DESC" in paged.rows.text
    assert paged.rows.params["page_limit"] == 3 and paged.rows.params["page_offset"] == 0
    early = wrap_page(compiled, PageRequest(size=10, number=1, sort=(SortKey("grp"),)),
                      ["id", "grp", "label"], sqlite.dialect(), total=23)
    assert not early.reversed


@pytest.mark.server
def test_postgres_sorts_not_null_columns_from_an_index(postgres_url: str) -> None:
    _seed(postgres_url)
    cls = datasources.build_registry().get("postgresql")
    source = cls("items", cls.from_url(postgres_url))
    try:
        seen: list[str] = []
        run(source, size=5, sort=(SortKey("id", True),))  # builds the engine
        from sqlalchemy import event

        engine = source._engine  # noqa: SLF001 - the statements the source really sends
        event.listen(engine, "before_cursor_execute",
                     lambda *args: seen.append(args[2]))
        run(source, size=5, sort=(SortKey("id", True),))
        run(source, size=5, sort=(SortKey("label", True),))
        pages = [s for s in seen if "LIMIT" in s and "ORDER BY" in s]
        assert 'ORDER BY q."id" DESC\n' in pages[0]  # NOT NULL: no NULLS clause
        assert 'q."label" DESC NULLS LAST' in pages[1]
        assert not any("LIMIT 0" in s for s in seen)  # the columns were probed once, then kept
    finally:
        source.close()


def test_a_changed_table_is_probed_again(items: DataSource, db_url: str) -> None:
    everything = "SELECT * FROM paging_items"
    assert run(items, everything, size=5, sort=(SortKey("label"),)).total == ROWS
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE paging_items"))
            conn.execute(text("CREATE TABLE paging_items (id INTEGER PRIMARY KEY, "
                              "grp INTEGER NOT NULL, title VARCHAR(20))"))
            conn.execute(text("INSERT INTO paging_items (id, grp, title) VALUES (1, 1, 'a')"))
    finally:
        engine.dispose()
    with pytest.raises(DataSourceQueryFailed):  # the kept columns name one that is gone
        run(items, everything, size=5, sort=(SortKey("label"),))
    # ... which made the source forget them: the new column sorts at once.
    result = run(items, everything, size=5, sort=(SortKey("title"),))
    assert [r["title"] for r in result.rows] == ["a"]


def test_a_total_hint_counts_only_past_the_middle(items: DataSource) -> None:
    sort = (SortKey("grp"), SortKey("id"))
    whole = [r["id"] for r in run(items, size=ROWS, sort=sort).rows]
    early = run(items, size=5, number=2, sort=sort, want_total=False, total_hint=ROWS)
    assert early.total is None and [r["id"] for r in early.rows] == whole[5:10]
    late = run(items, size=5, number=4, sort=sort, want_total=False, total_hint=ROWS)
    assert late.total == ROWS and [r["id"] for r in late.rows] == whole[15:20]
    # A stale hint (rows were added or removed since) only decides whether to count.
    stale = run(items, size=5, number=5, sort=sort, want_total=False, total_hint=1000)
    assert stale.total is None and [r["id"] for r in stale.rows] == whole[20:]


def test_with_no_sort_the_row_key_orders_every_page(items: DataSource) -> None:
    pages = walk(items, 5, (), key="id")
    assert [i for p in pages for i in p] == list(range(1, ROWS + 1))
    # The last page is read from the other end, with the same rows.
    last = run(items, size=5, number=len(pages), key="id", want_total=False)
    assert [r["id"] for r in last.rows] == pages[-1]


def test_a_query_ordering_its_own_rows_keeps_its_order(items: DataSource, db_url: str) -> None:
    from sqlalchemy.dialects import sqlite

    from builder.queries import CompiledSQL

    own = QUERY + " ORDER BY grp DESC, id"
    paged = wrap_page(CompiledSQL(own, {}, frozenset()), PageRequest(size=5, key="id"),
                      ["id", "grp", "label"], sqlite.dialect())
    assert "ORDER BY" not in paged.rows.text.split(") AS q")[-1]
    expected = sorted(range(1, ROWS + 1), key=lambda i: (-(i % 4), i))
    # MariaDB drops an ORDER BY inside the wrapper's derived table: there it is lifted around it.
    assert [r["id"] for r in run(items, own, size=ROWS).rows] == expected
    assert [i for p in walk(items, 5, (), own, key="id") for i in p] == expected
    assert [i for p in walk(items, 5, (), own) for i in p] == expected  # a bare API call
    assert [i for p in walk(items, 4, (), QUERY + " ORDER BY 2 DESC, `id`" if
                            db_url.startswith("mysql") else QUERY + " ORDER BY 2 DESC, id")
            for i in p] == expected


def test_on_mariadb_the_own_order_is_lifted_around_the_query() -> None:
    from sqlalchemy.dialects import mysql

    from builder.queries import CompiledSQL

    own = CompiledSQL(QUERY + " ORDER BY grp DESC, id", {}, frozenset())
    paged = wrap_page(own, PageRequest(size=5, number=4), ["id", "grp", "label"],
                      mysql.dialect(), total=ROWS)
    # Past the middle it is read from the other end like any sorted page.
    assert paged.reversed and paged.rows.text.endswith(
        "ORDER BY q.`grp` ASC, q.`id` DESC\nLIMIT :page_limit OFFSET :page_offset")
    # An order that cannot be lifted exactly stays as it was (MariaDB may then ignore it).
    for sql in (QUERY + " ORDER BY grp LIMIT 10", QUERY + " ORDER BY paging_items.grp",
                QUERY + " ORDER BY LENGTH(label)", QUERY + ' ORDER BY "grp"'):
        paged = wrap_page(CompiledSQL(sql, {}, frozenset()), PageRequest(size=5),
                          ["id", "grp", "label"], mysql.dialect())
        assert "ORDER BY" not in paged.rows.text.split(") AS q")[-1], sql


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT * FROM t ORDER BY id", (("id", False),)),
    ("SELECT * FROM t ORDER BY Created_At DESC, id -- newest first", (("created_at", True),
                                                                       ("id", False))),
    ("SELECT * FROM t ORDER BY 2 desc", (("name", True),)),
    ("SELECT * FROM t ORDER BY `name`", (("name", False),)),
    ('SELECT * FROM t ORDER BY "name"', None),  # a string on MySQL: no order at all
    ("SELECT * FROM t ORDER BY id LIMIT 5", None),
    ("SELECT * FROM t ORDER BY id NULLS LAST", None),
    ("SELECT * FROM t ORDER BY t.id", None),
    ("SELECT * FROM t ORDER BY COALESCE(name, id)", None),
    ("SELECT * FROM t ORDER BY <<sortBy.value>>", None),
    ("SELECT * FROM t ORDER BY missing", None),
    ("SELECT * FROM t ORDER BY 4", None),
    ("SELECT * FROM t WHERE id IN (SELECT id FROM u ORDER BY id)", None),
    ("SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM t", None),
])
def test_an_own_order_is_read_as_sort_keys_only_when_exact(
        sql: str, expected: tuple[tuple[str, bool], ...] | None) -> None:
    from builder.queries import own_order

    keys = own_order(sql, ("id", "name", "created_at"))
    assert (None if keys is None else tuple((k.column, k.descending) for k in keys)) == expected


def test_a_key_the_query_does_not_return_is_ignored(items: DataSource) -> None:
    result = run(items, "SELECT grp, COUNT(*) AS n FROM paging_items GROUP BY grp",
                 size=10, key="id")
    assert sorted(r["grp"] for r in result.rows) == [0, 1, 2, 3]


def test_the_deep_keyed_page_is_read_from_the_other_end() -> None:
    from sqlalchemy.dialects import sqlite

    from builder.queries import CompiledSQL

    page = PageRequest(size=10, number=3, key="id")
    paged = wrap_page(CompiledSQL(QUERY, {}, frozenset()), page, ["id", "grp", "label"],
                      sqlite.dialect(), total=23)
    assert paged.reversed and paged.rows.text.endswith(
        'ORDER BY q."id" DESC\nLIMIT :page_limit OFFSET :page_offset')


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT * FROM t ORDER BY a", True),
    ("select * from t order /* the newest */ by a desc limit 5", True),
    ("SELECT * FROM (SELECT * FROM t ORDER BY a LIMIT 3) AS s", False),
    ("SELECT a, ROW_NUMBER() OVER (ORDER BY a) AS n FROM t", False),
    ("SELECT 'ORDER BY' AS x FROM t -- ORDER BY x", False),
    ("SELECT * FROM t WHERE a = <<order.by>>", False),
])
def test_an_own_order_by_is_found_outside_brackets(sql: str, expected: bool) -> None:
    from builder.queries import orders_itself

    assert orders_itself(sql) is expected
