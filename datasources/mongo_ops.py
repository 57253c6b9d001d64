"""The operations of a MongoDB document query: reads, table pages, writes and ``expectRows``.

``parse_query`` checks the shape of a query body; ``Operation(...).run()`` renders its bindings
(``datasources/mongo_values.py``) and runs it on a collection. Errors of the driver are turned
into the ``QueryError`` family by the data source around it (``datasources/mongo.py``).

``expectRows`` on updates and deletes compares the *matched* count (an upsert counts as one), so
saving the same values again still "changes" its document, as on the SQL sources. Nothing is
written when it does not hold:

* ``updateOne``/``deleteOne`` expecting 1 are single-document operations: 0 matched means nothing
  was written. Expecting more than 1 is refused before anything runs.
* ``updateMany``/``deleteMany`` (or a single one expecting 0) run in a transaction when the server
  has them (replica set, sharded cluster, Atlas) and abort on a mismatch. A standalone server has
  none: the matching ``_id``\\ s are read first (at most expectRows + 1), a wrong count is refused
  before writing, and the write is limited to those ``_id``\\ s, so it never touches more
  documents than expected; one changed by someone else in between is reported as such.
* Inserts know their count before they run: a mismatch is refused without writing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from builder.appspec.schema import DOCUMENT_OPERATIONS
from datasources import mongo_paging as paging
from datasources.base import (
    PageRequest,
    QueryInputError,
    QueryRequest,
    QueryResult,
    RowCountMismatch,
)
from datasources.mongo_values import Renderer, to_json

WRITES = ("insertOne", "insertMany", "updateOne", "updateMany", "deleteOne", "deleteMany")
WRITE_STAGES = ("$out", "$merge")
FIND_OPTIONS = ("projection", "sort", "limit", "skip")
_OPTIONS_OF = {"find": FIND_OPTIONS, "findOne": ("projection", "sort", "skip")}


def _docs(n: int) -> str:
    return f"{n} document" if n == 1 else f"{n} documents"


def mismatch(expected: int, actual: int, write: bool, note: str = "") -> RowCountMismatch:
    if not write:
        return RowCountMismatch(f"expected the query to return {_docs(expected)} but it "
                                f"returned {actual}")
    if actual < expected:
        return RowCountMismatch(
            f"expected {_docs(expected)} to change but {actual} matched — the record may have "
            "been changed by someone else or deleted; refresh and try again "
            f"({note or 'nothing was saved'})")
    return RowCountMismatch(f"expected {_docs(expected)} to change but {actual} would have — "
                            f"{note or 'nothing was saved'}; check the query's filter")


class _Abort(Exception):
    """Raised inside a transaction to abort it when expectRows does not hold."""

    def __init__(self, matched: int) -> None:
        super().__init__(matched)
        self.matched = matched


@dataclass
class DocQuery:
    collection: str
    op: str
    arg: Any
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def writes(self) -> bool:
        if self.op in WRITES:
            return True
        return self.op == "aggregate" and _has_write_stage(self.arg)


def _has_write_stage(pipeline: Any) -> bool:
    if isinstance(pipeline, dict):
        return any(k in WRITE_STAGES or _has_write_stage(v) for k, v in pipeline.items())
    if isinstance(pipeline, list):
        return any(_has_write_stage(v) for v in pipeline)
    return False


def parse_query(body: Any) -> DocQuery:
    if not isinstance(body, dict) or not isinstance(body.get("collection"), str) \
            or not body["collection"]:
        raise QueryInputError("a MongoDB query is a document with a collection and one "
                              f"operation ({', '.join(DOCUMENT_OPERATIONS)})")
    ops = [op for op in DOCUMENT_OPERATIONS if op in body]
    if len(ops) != 1:
        raise QueryInputError("a MongoDB query has exactly one operation: "
                              + ", ".join(DOCUMENT_OPERATIONS))
    op = ops[0]
    options = {k: body[k] for k in FIND_OPTIONS if k in body}
    allowed = _OPTIONS_OF.get(op, ())
    extra = [k for k in options if k not in allowed]
    if extra:
        hint = ": add a stage to the pipeline instead" if op == "aggregate" else ""
        users = " and ".join(o for o, names in _OPTIONS_OF.items() if extra[0] in names)
        raise QueryInputError(f"{extra[0]} applies to {users}, not to {op}{hint}")
    return DocQuery(body["collection"], op, body[op], options)


def _int_option(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise QueryInputError(f"{name} must be a whole number from 0, not {value!r}")
    return value


def _columns(rows: list[dict[str, Any]], first: list[str] | None = None) -> list[str]:
    seen: dict[str, None] = dict.fromkeys(first or [])
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _affected(result: Any) -> int:
    if hasattr(result, "deleted_count"):
        return int(result.deleted_count)
    return int(result.matched_count) + (1 if result.upserted_id is not None else 0)


def _sort_list(sort: Any) -> list[tuple[str, Any]] | None:
    if sort is None:
        return None
    if not isinstance(sort, dict):
        raise QueryInputError("sort is a document of field: 1 (ascending) or -1 (descending)")
    return list(sort.items())


@dataclass
class Operation:
    """One run of a document query on ``coll``."""

    coll: Collection[Any]
    query: DocQuery
    request: QueryRequest
    #: Whether the server runs transactions (asked only when a write needs one).
    transactions: Callable[[], bool]
    start_session: Callable[[], ClientSession]

    def __post_init__(self) -> None:
        self.r = Renderer(self.request.values)

    def run(self) -> QueryResult:
        op = self.query.op
        if op in ("updateOne", "updateMany", "deleteOne", "deleteMany"):
            return self._write()
        handler: Callable[[], QueryResult] = getattr(self, f"_{_SNAKE[op]}")
        return handler()

    # --- reads ----------------------------------------------------------------------------------

    def _find_args(self) -> tuple[dict[str, Any], Any, Any, int, int | None]:
        r, options = self.r, self.query.options
        filter_ = r.render(self.query.arg, "query")
        if not isinstance(filter_, dict):
            raise QueryInputError(f"{self.query.op} takes a filter document")
        projection = r.render(options.get("projection"), "expr")
        sort = r.render(options.get("sort"), "data")
        skip = _int_option(r.render(options.get("skip"), "data"), "skip") or 0
        limit = _int_option(r.render(options.get("limit"), "data"), "limit")
        return filter_, projection or None, sort or None, skip, limit

    def _find(self) -> QueryResult:
        filter_, projection, sort, skip, limit = self._find_args()
        first = paging.projected_fields(projection)
        page = self.request.page
        if page is not None:
            if skip or limit:  # page inside the author's window, like a subquery
                pipeline: list[Any] = [{"$match": filter_}]
                pipeline += [{"$sort": sort}] if sort else []
                pipeline += [{"$skip": skip}] if skip else []
                pipeline += [{"$limit": limit}] if limit else []
                pipeline += [{"$project": projection}] if projection else []
                return self._page_pipeline(pipeline, page, first)
            return self._page_find(filter_, projection, sort, page, first)
        max_rows = self.request.limits.max_rows
        cap = max_rows + 1 if not limit else min(limit, max_rows + 1)
        docs = list(self.coll.find(filter_, projection, sort=_sort_list(sort), skip=skip,
                                   limit=cap))
        return self._rows(docs, max_rows, first)

    def _page_find(self, filter_: dict[str, Any], projection: Any, sort: Any,
                   page: PageRequest, first: list[str] | None) -> QueryResult:
        size, offset = page.window()
        extra = paging.page_filters(page, first)
        combined = {"$and": [filter_, *extra]} if extra else filter_
        order = paging.page_sort(page.sort, sort, first)
        docs = list(self.coll.find(combined, projection, sort=list(order.items()), skip=offset,
                                   limit=size + 1))
        total = self.coll.count_documents(combined) if page.want_total else None
        rows = [to_json(d) for d in docs[:size]]
        return QueryResult(rows=rows, columns=_columns(rows, first), total=total,
                           has_more=len(docs) > size)

    def _page_pipeline(self, pipeline: list[Any], page: PageRequest,
                       first: list[str] | None) -> QueryResult:
        size, offset = page.window()
        extra = paging.page_filters(page, first)
        base = pipeline + ([{"$match": {"$and": extra}}] if extra else [])
        order = paging.page_sort(page.sort, None, first)
        docs = list(self.coll.aggregate(base + [{"$sort": order}, {"$skip": offset},
                                                {"$limit": size + 1}]))
        total = None
        if page.want_total:
            counted = list(self.coll.aggregate(base + [{"$count": "n"}]))
            total = int(counted[0]["n"]) if counted else 0
        rows = [to_json(d) for d in docs[:size]]
        return QueryResult(rows=rows, columns=_columns(rows, first), total=total,
                           has_more=len(docs) > size)

    def _rows(self, docs: list[Any], max_rows: int,
              first: list[str] | None = None) -> QueryResult:
        expect = self.request.expect_rows
        if expect is not None and len(docs) != expect:
            raise mismatch(expect, len(docs), write=False)
        rows = [to_json(d) for d in docs[:max_rows]]
        return QueryResult(rows=rows, columns=_columns(rows, first),
                           truncated=len(docs) > max_rows)

    def _find_one(self) -> QueryResult:
        filter_, projection, sort, skip, _ = self._find_args()
        doc = self.coll.find_one(filter_, projection, sort=_sort_list(sort), skip=skip)
        return self._rows([] if doc is None else [doc], 1, paging.projected_fields(projection))

    def _aggregate(self) -> QueryResult:
        pipeline = self.r.pipeline(self.query.arg)
        if self.query.writes:  # $out / $merge: the last stage, nothing to page or cap after it
            list(self.coll.aggregate(pipeline))
            return QueryResult(rows=[], columns=[])
        if self.request.page is not None:
            return self._page_pipeline(pipeline, self.request.page, None)
        max_rows = self.request.limits.max_rows
        docs = list(self.coll.aggregate(pipeline + [{"$limit": max_rows + 1}]))
        return self._rows(docs, max_rows)

    def _count(self) -> QueryResult:
        filter_ = self.r.render(self.query.arg, "query")
        if not isinstance(filter_, dict):
            raise QueryInputError("count takes a filter document")
        n = self.coll.count_documents(filter_)
        expect = self.request.expect_rows
        if expect is not None and n != expect:
            raise mismatch(expect, n, write=False)
        return QueryResult(rows=[{"count": n}], columns=["count"], rowcount=n)

    def _distinct(self) -> QueryResult:
        spec = self.query.arg if isinstance(self.query.arg, dict) else {}
        key = self.r.render(spec.get("key"), "data")
        if not isinstance(key, str):
            raise QueryInputError("distinct needs a key: the field whose values are listed")
        paging.check_field(key, None, "list the values")
        filter_ = self.r.render(spec.get("filter") or {}, "query")
        if not isinstance(filter_, dict):
            raise QueryInputError("distinct takes a filter document")
        values = self.coll.distinct(key, filter_)
        max_rows = self.request.limits.max_rows
        rows = [{"value": to_json(v)} for v in values[:max_rows]]
        return QueryResult(rows=rows, columns=["value"], truncated=len(values) > max_rows)

    # --- writes ---------------------------------------------------------------------------------

    def _insert_one(self) -> QueryResult:
        doc = self.r.render(self.query.arg, "data")
        if not isinstance(doc, dict):
            raise QueryInputError("insertOne takes one document")
        expect = self.request.expect_rows
        if expect not in (None, 1):
            raise mismatch(expect, 1, write=True)
        inserted = self.coll.insert_one(doc).inserted_id
        return QueryResult(rows=[{"_id": to_json(inserted)}], columns=["_id"], rowcount=1)

    def _insert_many(self) -> QueryResult:
        docs = self.r.render(self.query.arg, "data")
        if not isinstance(docs, list) or not docs or not all(isinstance(d, dict) for d in docs):
            raise QueryInputError("insertMany takes a non-empty list of documents")
        expect = self.request.expect_rows
        if expect is not None and len(docs) != expect:
            raise mismatch(expect, len(docs), write=True)
        ids = self.coll.insert_many(docs).inserted_ids
        return QueryResult(rows=[{"_id": to_json(i)} for i in ids], columns=["_id"],
                           rowcount=len(ids))

    def _write_args(self) -> tuple[dict[str, Any], Any, bool]:
        query, r = self.query, self.r
        if query.op.startswith("delete"):
            filter_ = r.render(query.arg, "query")
            update, upsert = None, False
        else:
            spec = query.arg if isinstance(query.arg, dict) else {}
            filter_ = r.render(spec.get("filter"), "query")
            raw = spec.get("update")
            update = r.pipeline(raw) if isinstance(raw, list) else r.render(raw, "data")
            upsert = r.render(spec.get("upsert", False), "data")
            if not isinstance(update, dict | list) or not update:
                raise QueryInputError(f"{query.op} needs an update document ({{$set: {{...}}}}) "
                                      "or pipeline")
            if not isinstance(upsert, bool):
                raise QueryInputError(f"upsert must be true or false, not {upsert!r}")
        if not isinstance(filter_, dict):
            raise QueryInputError(f"{query.op} takes a filter document")
        return filter_, update, upsert

    def _apply(self, filter_: dict[str, Any], update: Any, upsert: bool,
               session: ClientSession | None = None) -> Any:
        op, coll = self.query.op, self.coll
        if op == "updateOne":
            return coll.update_one(filter_, update, upsert=upsert, session=session)
        if op == "updateMany":
            return coll.update_many(filter_, update, upsert=upsert, session=session)
        if op == "deleteOne":
            return coll.delete_one(filter_, session=session)
        return coll.delete_many(filter_, session=session)

    def _write(self) -> QueryResult:
        filter_, update, upsert = self._write_args()
        expect = self.request.expect_rows
        op = self.query.op
        single = op in ("updateOne", "deleteOne")
        if expect is None or (single and expect == 1):
            result = self._apply(filter_, update, upsert)
            if expect is not None and _affected(result) != expect:
                raise mismatch(expect, _affected(result), write=True)
        elif single and expect > 1:
            raise RowCountMismatch(f"expected {_docs(expect)} to change but {op} changes at "
                                   f"most one — nothing was saved; use "
                                   f"{op.replace('One', 'Many')}")
        elif self.transactions():
            result = self._in_transaction(filter_, update, upsert, expect)
        else:
            result = self._guarded(filter_, update, upsert, expect)
        upserted = getattr(result, "upserted_id", None)
        rows = [{"_id": to_json(upserted)}] if upserted is not None else []
        return QueryResult(rows=rows, columns=["_id"] if rows else [], rowcount=_affected(result))

    def _in_transaction(self, filter_: dict[str, Any], update: Any, upsert: bool,
                        expect: int) -> Any:
        def body(session: ClientSession) -> Any:
            result = self._apply(filter_, update, upsert, session=session)
            if _affected(result) != expect:
                raise _Abort(_affected(result))
            return result

        with self.start_session() as session:
            try:
                return session.with_transaction(body)
            except _Abort as abort:
                raise mismatch(expect, abort.matched, write=True) from None

    def _guarded(self, filter_: dict[str, Any], update: Any, upsert: bool, expect: int) -> Any:
        """No transactions on this server: never write to more documents than expected."""
        ids = [d["_id"] for d in self.coll.find(filter_, {"_id": 1}, limit=expect + 1)]
        inserting = upsert and not ids  # counts as one, as in a transaction
        would = 1 if inserting else len(ids)
        if would != expect:
            raise mismatch(expect, would, write=True)
        limited = filter_ if inserting else {"$and": [filter_, {"_id": {"$in": ids}}]}
        # Upsert only when inserting the one expected document: a document of ``ids`` deleted
        # meanwhile is reported, not replaced by a new one.
        result = self._apply(limited, update, inserting)
        changed = _affected(result)
        if changed != expect:
            raise mismatch(expect, changed, write=True,
                           note=f"{_docs(changed)} of them were saved; this server has no "
                                "transactions to undo that")
        return result


_SNAKE = {"find": "find", "findOne": "find_one", "aggregate": "aggregate", "count": "count",
          "distinct": "distinct", "insertOne": "insert_one", "insertMany": "insert_many"}
