"""Tokenizer, AST and recursive-descent parser of the ``<<...>>`` binding language.

Private helper of :mod:`builder.bindings`; the browser twin is ``static/bindings.js``.
The grammar, lowest precedence first (see docs/bindings.md)::

    pipe        := conditional ("|" NAME ["(" [pipe ("," pipe)*] ")"])*
    conditional := nullish ["?" conditional ":" conditional]
    nullish     := or ("??" or)*          or  := and ("||" and)*
    and         := equality ("&&" equality)*
    equality    := relational (("==" | "!=") relational)*
    relational  := unary (("<" | ">" | "<=" | ">=") unary)*
    unary       := "!" unary | postfix
    postfix     := primary ("." NAME | "[" pipe "]")*
    primary     := NUMBER | STRING | true | false | null | NAME | "(" pipe ")" | "[" items "]"
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, NamedTuple

# Exactly JavaScript's \s / String.prototype.trim() set, so both sides agree on whitespace.
WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)

# name -> (min args, max args). Implementations live in builder.bindings.
FILTERS: dict[str, tuple[int, int]] = {
    "upper": (0, 0), "lower": (0, 0), "trim": (0, 0), "length": (0, 0),
    "string": (0, 0), "number": (0, 0), "json": (0, 0), "default": (1, 1),
    "join": (0, 1), "first": (0, 0), "last": (0, 0), "round": (0, 1),
}  # fmt: skip

MAX_DEPTH = 32  # nesting of parentheses, ternaries and "!"; keeps recursion shallow
_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None}
_OPS = ("===", "!==", "==", "!=", "<=", ">=", "&&", "||", "??",
        "<", ">", "!", "?", ":", "|", ".", ",", "(", ")", "[", "]")  # fmt: skip
_LEVELS = (("??",), ("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="))
_LOGICAL_LEVELS = 3  # the first three levels build Logical nodes, the rest Compare
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v",
            "/": "/", "\\": "\\", "'": "'", '"': '"'}  # fmt: skip
_HEX = frozenset("0123456789abcdefABCDEF")


class BindingError(ValueError):
    """Any error of the binding language."""


class BindingSyntaxError(BindingError):
    """The expression cannot be parsed; ``column`` is 1-based in the parsed text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


class BindingEvalError(BindingError):
    """The expression parsed but cannot be evaluated on this scope."""


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


@dataclass(frozen=True, slots=True)
class ArrayLit:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Path:
    """A name followed by static keys: ``rows[0].id`` is Path('rows', (0, 'id'))."""

    root: str
    keys: tuple[str | int | float, ...] = ()


@dataclass(frozen=True, slots=True)
class Member:
    """``obj[key]`` where the key is computed or obj is not a static path."""

    obj: Expr
    key: Expr


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Logical:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Conditional:
    test: Expr
    then: Expr
    otherwise: Expr


@dataclass(frozen=True, slots=True)
class Filter:
    operand: Expr
    name: str
    args: tuple[Expr, ...] = ()


Expr = Literal | ArrayLit | Path | Member | Not | Compare | Logical | Conditional | Filter


class Token(NamedTuple):
    kind: str  # "num" | "str" | "name" | "op" | "eof"
    value: Any
    pos: int  # 0-based offset
    text: str


def error(message: str, pos: int, extra: str = "") -> BindingSyntaxError:
    return BindingSyntaxError(f"{message} at column {pos + 1}{extra}", pos + 1)


def _is_name_start(ch: str) -> bool:
    if ch.isascii():
        return ch.isalpha() or ch in "_$"
    return unicodedata.category(ch)[0] == "L"


def _is_name_part(ch: str) -> bool:
    if ch.isascii():
        return ch.isalnum() or ch in "_$"
    return unicodedata.category(ch) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Mn", "Mc")


def _read_string(source: str, start: int) -> tuple[str, int]:
    quote, i, out = source[start], start + 1, []
    while i < len(source):
        ch = source[i]
        if ch == quote:
            text = "".join(out)
            if any("\ud800" <= c <= "\udfff" for c in text):  # join \uD83D\uDE00 pairs
                text = text.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
            return text, i + 1
        if ch == "\\":
            esc = source[i + 1 : i + 2]
            if esc == "u":
                digits = source[i + 2 : i + 6]
                if len(digits) != 4 or not set(digits) <= _HEX:
                    raise error("invalid \\u escape", i)
                out.append(chr(int(digits, 16)))
                i += 6
                continue
            if not esc:
                break
            if esc not in _ESCAPES:
                raise error(f"invalid escape '\\{esc}'", i)
            out.append(_ESCAPES[esc])
            i += 2
            continue
        out.append(ch)
        i += 1
    raise error("unterminated string", start)


def _ends_value(tok: Token) -> bool:
    return tok.kind in ("num", "str", "name") or tok.value in (")", "]")


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch in WHITESPACE:
            i += 1
            continue
        start = i
        if "0" <= ch <= "9" or (ch == "-" and "0" <= source[i + 1 : i + 2] <= "9"):
            if ch == "-" and tokens and _ends_value(tokens[-1]):
                raise error("arithmetic is not supported", i)
            m = _NUMBER.match(source, i)
            assert m is not None
            i = m.end()
            text = m.group()
            tokens.append(Token("num", float(text) if m.lastindex else int(text), start, text))
        elif ch in "'\"":
            value, i = _read_string(source, i)
            tokens.append(Token("str", value, start, source[start:i]))
        elif _is_name_start(ch):
            i += 1
            while i < n and _is_name_part(source[i]):
                i += 1
            tokens.append(Token("name", source[start:i], start, source[start:i]))
        else:
            op = next((op for op in _OPS if source.startswith(op, i)), None)
            if op in ("===", "!=="):
                raise error(f"'{op}' is not supported", i, f"; use '{op[:2]}' (always strict)")
            if op is None:
                raise _bad_char(ch, i)
            tokens.append(Token("op", op, start, op))
            i += len(op)
    tokens.append(Token("eof", None, n, ""))
    return tokens


def _bad_char(ch: str, pos: int) -> BindingSyntaxError:
    if ch in "+-*/%":
        return error("arithmetic is not supported", pos)
    if ch == "=":
        return error("'=' is not supported", pos, "; use '==' to compare")
    if ch == "&":
        return error("unexpected character '&'", pos, "; did you mean '&&'?")
    return error(f"unexpected character '{ch}'", pos)


def describe(tok: Token) -> str:
    return {"eof": "end of expression", "op": f"'{tok.text}'", "name": f"name '{tok.text}'",
            "num": f"number {tok.text}", "str": f"string {tok.text}"}[tok.kind]  # fmt: skip


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (same algorithm in bindings.js, so suggestions agree)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def suggest_filter(name: str) -> str | None:
    best, best_distance = None, 3
    for known in FILTERS:
        d = _distance(name.lower(), known)
        if d < best_distance:
            best, best_distance = known, d
    return best


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, op: str) -> bool:
        tok = self.tokens[self.i]
        if tok.kind == "op" and tok.value == op:
            self.i += 1
            return True
        return False

    def expect(self, op: str) -> None:
        if not self.accept(op):
            tok = self.peek()
            raise error(f"expected '{op}'", tok.pos, f", found {describe(tok)}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise error("expression is nested too deeply", self.peek().pos)

    def items(self, close: str) -> tuple[Expr, ...]:
        """Comma-separated expressions up to ``close`` (already past the opener)."""
        items: list[Expr] = []
        if not self.accept(close):
            items.append(self.pipe())
            while self.accept(","):
                items.append(self.pipe())
            self.expect(close)
        return tuple(items)

    def pipe(self) -> Expr:
        expr = self.conditional()
        while self.accept("|"):
            tok = self.next()
            if tok.kind != "name":
                raise error("expected a filter name after '|'", tok.pos, f", found {describe(tok)}")
            if tok.value not in FILTERS:
                hint = suggest_filter(tok.value)
                extra = f"; did you mean '{hint}'?" if hint else f"; known: {', '.join(FILTERS)}"
                raise error(f"unknown filter '{tok.value}'", tok.pos, extra)
            args = self.items(")") if self.accept("(") else ()
            low, high = FILTERS[tok.value]
            if not low <= len(args) <= high:
                need = ("at most " if low < high else "exactly ") + "1 argument"
                need = need if high else "no arguments"
                raise error(f"filter '{tok.value}' takes {need}", tok.pos)
            expr = Filter(expr, tok.value, args)
        return expr

    def conditional(self) -> Expr:
        self.enter()
        expr = self.binary(0)
        if self.accept("?"):
            then = self.conditional()
            self.expect(":")
            expr = Conditional(expr, then, self.conditional())
        self.depth -= 1
        return expr

    def binary(self, level: int) -> Expr:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while (tok := self.peek()).kind == "op" and tok.value in _LEVELS[level]:
            self.i += 1
            right = self.binary(level + 1)
            node = Logical if level < _LOGICAL_LEVELS else Compare
            left = node(tok.value, left, right)
        return left

    def unary(self) -> Expr:
        if not self.accept("!"):
            return self.postfix()
        self.enter()
        expr = Not(self.unary())
        self.depth -= 1
        return expr

    def postfix(self) -> Expr:
        expr = self.primary()
        while True:
            tok = self.peek()
            if self.accept("."):
                name = self.next()
                if name.kind != "name":
                    extra = f", found {describe(name)}"
                    raise error("expected a property name after '.'", name.pos, extra)
                key: Expr = Literal(name.value)
            elif self.accept("["):
                key = self.pipe()
                self.expect("]")
            elif tok.kind == "op" and tok.value == "(":
                raise error("function calls are not supported", tok.pos)
            else:
                return expr
            static = isinstance(key, Literal) and isinstance(key.value, str | int | float)
            if isinstance(expr, Path) and static and not isinstance(key.value, bool):
                expr = Path(expr.root, (*expr.keys, key.value))
            else:
                expr = Member(expr, key)

    def primary(self) -> Expr:
        tok = self.next()
        if tok.kind in ("num", "str"):
            return Literal(tok.value)
        if tok.kind == "name":
            return Literal(_KEYWORDS[tok.value]) if tok.value in _KEYWORDS else Path(tok.value)
        if tok.kind == "op" and tok.value == "(":
            expr = self.pipe()
            self.expect(")")
            return expr
        if tok.kind == "op" and tok.value == "[":
            return ArrayLit(self.items("]"))
        raise error(f"unexpected {describe(tok)}", tok.pos)


def parse_expression(source: str) -> Expr:
    """Parse one expression; raises BindingSyntaxError with a 1-based column."""
    parser = _Parser(source)
    if parser.peek().kind == "eof":
        raise error("empty expression", 0)
    expr = parser.pipe()
    tok = parser.peek()
    if tok.kind != "eof":
        hint = "; a filter applies to everything before it: use (x | f)"
        hint = hint if isinstance(expr, Filter) else ""
        raise error(f"unexpected {describe(tok)}", tok.pos, hint)
    return expr
