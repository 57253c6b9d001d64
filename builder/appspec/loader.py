"""Safe YAML loading that remembers where every node came from.

PyYAML's constructors drop source positions, so the document is built here from the composed node
tree: plain Python data (dicts, lists, str, int, float, bool, None) plus a :class:`SourceMap` from
document path to 1-based (line, column). Duplicate keys, tags, merge keys and anything that is
not plain data are refused as problems instead of being silently accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from builder.appspec.problems import DocPath, Problem, format_path

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {"str", "int", "float", "bool", "null", "timestamp"}
#: Limits that keep alias bombs ("billion laughs") and recursive anchors from hanging the loader.
MAX_NODES = 200_000
MAX_DEPTH = 64


@dataclass(frozen=True)
class ScalarSpan:
    """Where a scalar's text sits in the source, to place errors inside it (bindings in SQL)."""

    start: int  # character index of the node in the source
    end: int
    style: str | None  # None (plain), "'", '"', "|" or ">"


class SourceMap(dict[DocPath, tuple[int, int]]):
    """Document path -> 1-based (line, col) of its value; ``keys``: positions of mapping keys."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.keys: dict[DocPath, tuple[int, int]] = {}
        self.scalars: dict[DocPath, ScalarSpan] = {}

    def at(self, path: DocPath) -> tuple[int, int]:
        """Position of ``path``, or of its nearest ancestor that exists in the source."""
        path = tuple(path)
        while path:
            if path in self:
                return self[path]
            path = path[:-1]
        return self.get((), (1, 1))

    def key_at(self, path: DocPath) -> tuple[int, int]:
        """Position of the key of a mapping entry (falls back to the value's position)."""
        return self.keys.get(tuple(path)) or self.at(path)

    def locate(self, path: DocPath, offset: int) -> tuple[int, int]:
        """Position of character ``offset`` of the string at ``path``, where it can be mapped.

        Plain and quoted one-line scalars map exactly when they contain no escapes; literal blocks
        (``|``) map line by line. Anything else falls back to the start of the value.
        """
        path = tuple(path)
        span = self.scalars.get(path)
        start = self.at(path)
        if span is None:
            return start
        raw = self.text[span.start:span.end]
        line, col = start
        if span.style is None and "\n" not in raw:
            return (line, col + offset)
        if span.style in ("'", '"') and "\n" not in raw and "\\" not in raw and "''" not in raw:
            return (line, col + 1 + offset)
        if span.style == "|":
            return _locate_in_literal(raw, line, offset) or start
        return start


def _locate_in_literal(raw: str, line: int, offset: int) -> tuple[int, int] | None:
    lines = [ln.rstrip("\r") for ln in raw.split("\n")[1:]]  # line 0 holds the "|"
    content = [ln for ln in lines if ln.strip()]
    if not content:
        return None
    indent = len(content[0]) - len(content[0].lstrip(" "))
    remaining = offset
    for number, text in enumerate(lines, start=1):
        body = text[indent:]
        if remaining <= len(body):
            return (line + number, indent + remaining + 1)
        remaining -= len(body) + 1
    return None


class YamlLoadError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def load_yaml(text: str, filename: str) -> tuple[Any, SourceMap]:
    """Parse ``text`` into plain data and its source map; raises :class:`YamlLoadError`."""
    smap = SourceMap(text)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = ": ".join(part for part in (exc.context, exc.problem) if part)
        problem = Problem(filename, line, col, "", f"YAML syntax error: {what}")
        raise YamlLoadError([problem]) from None
    except yaml.YAMLError as exc:  # reader errors (bad characters) carry no marks
        raise YamlLoadError([Problem(filename, 1, 1, "", f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise YamlLoadError([Problem(filename, 1, 1, "", "the file is empty")])
    builder = _Builder(filename, smap)
    data = builder.build(node, ())
    if builder.problems:
        raise YamlLoadError(builder.problems)
    return data, smap


class _Builder:
    def __init__(self, filename: str, smap: SourceMap) -> None:
        self.filename = filename
        self.smap = smap
        self.problems: list[Problem] = []
        self.constructor = SafeConstructor()
        self.count = 0
        self.too_big = False

    def problem(self, node: Node, path: DocPath, message: str) -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.filename, mark.line + 1, mark.column + 1, format_path(path), message))

    def build(self, node: Node, path: DocPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES or len(path) > MAX_DEPTH:
            if not self.too_big:
                self.too_big = True
                self.problem(node, path[:1], "document too large or too deeply nested "
                                             "(recursive or repeated YAML aliases?)")
            return None
        self.smap.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, MappingNode):
            return self.build_mapping(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _TAG + "seq":
                self.problem(node, path, f"YAML tag {_tag(node)} is not allowed")
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.build_scalar(node, path)

    def build_mapping(self, node: MappingNode, path: DocPath) -> dict[str, Any]:
        if node.tag != _TAG + "map":
            self.problem(node, path, f"YAML tag {_tag(node)} is not allowed")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                self.problem(key_node, path, "YAML merge keys ('<<:') are not supported; "
                                             "write the keys out")
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path, "a mapping key must be plain text")
                continue
            key = str(key_node.value)
            key_path = (*path, key)
            if key in result:
                first_line = self.smap.keys[key_path][0]
                self.problem(key_node, key_path,
                             f"duplicate key '{key}' (first defined on line {first_line})")
                continue
            self.smap.keys[key_path] = (key_node.start_mark.line + 1,
                                        key_node.start_mark.column + 1)
            result[key] = self.build(value_node, key_path)
        return result

    def build_scalar(self, node: ScalarNode, path: DocPath) -> Any:
        self.smap.scalars[path] = ScalarSpan(node.start_mark.index, node.end_mark.index,
                                             node.style)
        kind = node.tag.removeprefix(_TAG) if node.tag.startswith(_TAG) else None
        if kind not in _SCALAR_TAGS:
            self.problem(node, path, f"YAML tag {_tag(node)} is not allowed (only plain data)")
            return None
        if kind in ("str", "timestamp"):  # dates stay text: the document must be JSON data
            return node.value
        if kind == "null":
            return None
        construct = {"int": self.constructor.construct_yaml_int,
                     "float": self.constructor.construct_yaml_float,
                     "bool": self.constructor.construct_yaml_bool}[kind]
        return construct(node)


def _tag(node: Node) -> str:
    return "'" + node.tag.replace(_TAG, "!!", 1) + "'"
