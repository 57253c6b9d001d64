"""A small SQL tokenizer: enough to know what is code, string, quoted identifier or comment.

It does not parse SQL. It exists so that ``builder/queries.py`` can tell where each ``<<expr>>``
binding sits (a binding inside ``'...'`` or a comment is refused), find a second statement after a
``;``, and read a statement's first keyword, on the SQL dialects Toolcrib talks to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Token kinds. ``binding`` is an opaque ``<<...>>`` span handed in by the caller.
CODE_KINDS = ("word", "punct", "binding")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$")


@dataclass(frozen=True)
class Token:
    kind: str  # ws | comment | string | ident | word | punct | binding
    start: int
    end: int


class BindingInLiteral(ValueError):
    """A binding starts inside a string, quoted identifier or comment."""

    def __init__(self, start: int, where: str) -> None:
        super().__init__(f"binding at {start} is inside a {where}")
        self.start = start
        self.where = where


@dataclass(frozen=True)
class Flavor:
    """The lexical rules that differ between engines."""

    backslash_escapes: bool = False  # MySQL: '\'' and "\"" inside strings
    double_quote_is_string: bool = False  # MySQL: "..." is a string unless ANSI_QUOTES
    hash_comments: bool = False  # MySQL: '# to end of line'
    nested_comments: bool = True  # PostgreSQL: /* /* */ */
    dollar_quotes: bool = True  # PostgreSQL: $$...$$ and $tag$...$tag$


GENERIC = Flavor()
MYSQL = Flavor(backslash_escapes=True, double_quote_is_string=True, hash_comments=True,
               nested_comments=False, dollar_quotes=False)


def flavor_for(dialect_name: str | None) -> Flavor:
    return MYSQL if dialect_name in ("mysql", "mariadb") else GENERIC


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_$" or ord(ch) > 127


def tokenize(sql: str, bindings: Mapping[int, int] | None = None,
             flavor: Flavor = GENERIC) -> list[Token]:
    """Split ``sql`` into tokens; ``bindings`` maps each binding's start to its end.

    Raises :class:`BindingInLiteral` when a binding starts inside a string, quoted identifier or
    comment. Unterminated strings/comments run to the end of the text (the database reports them).
    """
    spans = bindings or {}
    tokens: list[Token] = []
    n, i = len(sql), 0

    def skip_to(j: int, stop: str, where: str, escapes: bool = False, doubled: bool = True) -> int:
        """Scan from ``j`` to just after the closing ``stop``; refuse bindings on the way."""
        while j < n:
            if j in spans:
                raise BindingInLiteral(j, where)
            if escapes and sql[j] == "\\":
                j += 2
                continue
            if sql.startswith(stop, j):
                if doubled and sql.startswith(stop, j + len(stop)):
                    j += 2 * len(stop)
                    continue
                return j + len(stop)
            j += 1
        return n

    while i < n:
        ch = sql[i]
        if i in spans:
            tokens.append(Token("binding", i, spans[i]))
            i = spans[i]
            continue
        start = i
        if ch.isspace():
            while i < n and sql[i].isspace() and i not in spans:
                i += 1
            kind = "ws"
        elif sql.startswith("--", i) or (flavor.hash_comments and ch == "#"):
            i = skip_to(i, "\n", "comment", doubled=False)
            kind = "comment"
        elif sql.startswith("/*", i):
            i = _block_comment(sql, i, spans, flavor.nested_comments)
            kind = "comment"
        elif ch == "'":
            escapes = flavor.backslash_escapes or (
                i > 0 and sql[i - 1] in "eE" and (i < 2 or not _is_word_char(sql[i - 2])))
            i = skip_to(i + 1, "'", "string", escapes=escapes)
            kind = "string"
        elif ch == '"':
            where = "string" if flavor.double_quote_is_string else "quoted identifier"
            i = skip_to(i + 1, '"', where, escapes=flavor.backslash_escapes)
            kind = "string" if flavor.double_quote_is_string else "ident"
        elif ch == "`":
            i = skip_to(i + 1, "`", "quoted identifier")
            kind = "ident"
        elif ch == "$" and flavor.dollar_quotes and (i == 0 or not _is_word_char(sql[i - 1])) \
                and (m := _DOLLAR_TAG.match(sql, i)):
            i = skip_to(m.end(), m.group(), "string", doubled=False)
            kind = "string"
        elif _is_word_char(ch):
            while i < n and _is_word_char(sql[i]) and i not in spans:
                i += 1
            kind = "word"
        else:
            i += 1
            kind = "punct"
        tokens.append(Token(kind, start, i))
    return tokens


def _block_comment(sql: str, i: int, spans: Mapping[int, int], nested: bool) -> int:
    depth, j, n = 0, i, len(sql)
    while j < n:
        if j in spans:
            raise BindingInLiteral(j, "comment")
        if sql.startswith("/*", j) and (nested or depth == 0):
            depth += 1
            j += 2
        elif sql.startswith("*/", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j
        else:
            j += 1
    return n


def significant(tokens: Sequence[Token]) -> list[Token]:
    """The tokens that are not whitespace or comments."""
    return [t for t in tokens if t.kind not in ("ws", "comment")]


def first_keyword(sql: str, tokens: Sequence[Token]) -> str:
    """The statement's keyword (``SELECT``, ``UPDATE``...), looking past ``(`` and ``WITH`` CTEs."""
    depth, in_with = 0, False
    for tok in significant(tokens):
        text = sql[tok.start:tok.end]
        if tok.kind == "punct":
            depth += {"(": 1, ")": -1}.get(text, 0)
            continue
        if tok.kind != "word" or (depth > 0 and in_with):
            continue
        word = text.upper()
        if word == "WITH" and not in_with:
            in_with = True
            continue
        if not in_with or word in ("SELECT", "VALUES", "TABLE", "INSERT", "UPDATE", "DELETE",
                                   "MERGE", "REPLACE"):
            return word
    return ""
