"""App definitions in YAML: load -> migrate -> validate -> dataclasses.

The entry points for the CLI (``toolcrib validate``) and the web layer:

- :func:`load_app` gives an :class:`~builder.appspec.model.AppSpec` or raises :class:`AppSpecError`;
- :func:`check_text` / :func:`check_paths` give the list of :class:`Problem` (empty when valid);
- :func:`build_schema` / :func:`write_schema` produce the JSON Schema editors use.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from builder.appspec.loader import SourceMap, YamlLoadError, load_yaml
from builder.appspec.migrations import CURRENT_FORMAT, FormatError, migrate
from builder.appspec.model import AppSpec, PageSpec, QuerySpec, WidgetSpec, build_app
from builder.appspec.problems import Problem
from builder.appspec.schema import build_schema, write_schema
from builder.appspec.validate import validate_document
from builder.registry import Registry
from widgets.base import WidgetType

__all__ = [
    "CURRENT_FORMAT", "AppSpec", "AppSpecError", "PageSpec", "Problem", "QuerySpec",
    "WidgetSpec", "build_schema", "check_paths", "check_text", "load_app", "write_schema",
]  # fmt: skip


class AppSpecError(ValueError):
    """An app file with problems; ``str()`` lists them one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _load(text: str, filename: str, widgets: Registry[WidgetType],
          datasource_names: Iterable[str] | None) -> tuple[Any, SourceMap, list[Problem]]:
    """(migrated document or None, its source map, problems)."""
    try:
        doc, smap = load_yaml(text, filename)
    except YamlLoadError as exc:
        return None, SourceMap(text), exc.problems
    try:
        doc = migrate(doc)
    except FormatError as exc:
        return None, smap, [_format_problem(doc, smap, filename, str(exc))]
    names = set(datasource_names) if datasource_names is not None else None
    problems = validate_document(doc, smap, widgets=widgets, datasource_names=names,
                                 filename=filename)
    return doc, smap, problems


def _format_problem(doc: Any, smap: SourceMap, filename: str, message: str) -> Problem:
    if not isinstance(doc, dict):
        return Problem(filename, 1, 1, "", message)
    line, col = smap.at(("format",)) if "format" in doc else (1, 1)
    return Problem(filename, line, col, "format", message)


def load_app(text: str, filename: str, *, widgets: Registry[WidgetType],
             datasource_names: Iterable[str] | None = None) -> AppSpec:
    """The app defined by ``text``; raises :class:`AppSpecError` listing every problem.

    ``datasource_names``: when given, a query naming another data source is a problem.
    """
    doc, _smap, problems = _load(text, filename, widgets, datasource_names)
    if problems or doc is None:
        raise AppSpecError(problems)
    return build_app(doc)


def check_text(text: str, filename: str, *, widgets: Registry[WidgetType],
               datasource_names: Iterable[str] | None = None) -> list[Problem]:
    """Problems of one app file (empty when it is valid)."""
    return _load(text, filename, widgets, datasource_names)[2]


def check_paths(paths: list[str], *, widgets: Registry[WidgetType],
                datasource_names: Iterable[str] | None = None) -> list[Problem]:
    """Problems of files and of every ``*.yaml``/``*.yml`` under folders, in file order.

    Two files defining the same app slug are a problem too (an import would mix them up).
    """
    problems: list[Problem] = []
    slugs: dict[str, str] = {}
    for file in _expand(paths):
        name = str(file)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, 1, 1, "", f"cannot read the file: {exc}"))
            continue
        doc, smap, found = _load(text, name, widgets, datasource_names)
        problems.extend(found)
        slug = doc.get("app") if isinstance(doc, dict) else None
        if isinstance(slug, str):
            if slug in slugs:
                line, col = smap.at(("app",))
                problems.append(Problem(name, line, col, "app", f"app '{slug}' is also defined "
                                                                f"in {slugs[slug]}"))
            slugs.setdefault(slug, name)
    return problems


def _expand(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")
                                and p.is_file()))
        else:
            files.append(path)
    return files
