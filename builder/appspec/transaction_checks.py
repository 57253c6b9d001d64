"""Checks of ``transaction:`` queries that JSON Schema cannot express.

* step names are unique within the transaction, and a ``message`` needs the ``expectRows`` it
  explains;
* ``<<steps.NAME.prop>>`` names an *earlier* step and one of ``lastId``, ``rowcount``, ``row``,
  ``rows``; such a binding reads nothing else (the data source evaluates it between steps,
  without the widget values), and ``steps`` means nothing outside a transaction.

The other bindings of a step are checked like any query binding (widget state and server names
only) by ``semantic.py``, which asks :func:`claims_step_ref` first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from builder.appspec.problems import DocPath, did_you_mean
from builder.appspec.scan import Ref
from builder.transactions import STEP_PROPERTIES, STEPS

if TYPE_CHECKING:
    from builder.appspec.semantic import _Checker


def check_transaction(checker: _Checker, path: DocPath, query: dict[str, Any]) -> None:
    steps = query.get("transaction")
    if not isinstance(steps, list):
        return
    seen: dict[str, int] = {}
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        name = step.get("name")
        if isinstance(name, str):
            if name in seen:
                checker.add((*path, "transaction", i, "name"), f"duplicate step name '{name}' "
                            f"(also step {seen[name] + 1})")
            seen.setdefault(name, i)
        if "message" in step and "expectRows" not in step:
            checker.add((*path, "transaction", i, "message"), "message is shown when expectRows "
                        "is not met: add expectRows to this step (e.g. expectRows: 1)", key=True)


def _earlier_names(query: dict[str, Any], index: int) -> list[str]:
    steps = query.get("transaction")
    return [s["name"] for s in (steps[:index] if isinstance(steps, list) else [])
            if isinstance(s, dict) and isinstance(s.get("name"), str)]


def claims_step_ref(checker: _Checker, query: dict[str, Any], path: DocPath, source: str,
                    offset: int, ref: Ref, refs: list[Ref]) -> bool:
    """Check ``ref`` if it reads ``steps`` (True: handled here, reported or fine)."""
    from builder.appspec.semantic import _name_offset

    if ref[0] != STEPS:
        return False
    in_step = len(path) >= 4 and path[-3] == "transaction" and isinstance(path[-2], int)
    if not in_step:
        if STEPS in checker.widgets:
            return False  # the widget called steps
        checker.add(path, f"<<{source}>>: steps are known only inside a transaction, where a "
                          "step reads an earlier named step (<<steps.NAME.lastId>>)",
                    offset=offset + _name_offset(source, ref, 0))
        return True
    if not checker.reads_alone(path, source, offset, ref, refs, "the steps' values are known "
                               "only on the server, between steps; "):
        return True
    index = int(path[-2])
    earlier = _earlier_names(query, index)
    widget_note = " (in a transaction, steps means its earlier steps: rename the widget " \
                  "'steps' to read it)" if STEPS in checker.widgets else ""
    if len(ref) < 2 or not isinstance(ref[1], str):
        checker.add(path, f"read a step by its name: <<steps.NAME.lastId>>{widget_note}",
                    offset=offset + _name_offset(source, ref, 0))
        return True
    name = ref[1]
    if name not in earlier:
        later = _earlier_names(query, 10**6)
        if name in later:
            why = f"step '{name}' does not run before this one"
        else:
            known = ", ".join(earlier) or "none are named"
            why = f"unknown step '{name}'{did_you_mean(name, earlier)} (earlier steps: {known})"
        checker.add(path, why + widget_note, offset=offset + _name_offset(source, ref, 1))
        return True
    prop = ref[2] if len(ref) > 2 else None
    if prop in STEP_PROPERTIES:
        return True
    at = offset + _name_offset(source, ref, 1)
    if prop is None:
        checker.add(path, f"read a property of step '{name}': {', '.join(STEP_PROPERTIES)}, "
                          f"e.g. <<steps.{name}.lastId>>", offset=at)
        return True
    found = source.find(str(prop), at - offset + len(name))
    checker.add(path, f"'{prop}' is not a property of step '{name}'"
                      f"{did_you_mean(prop, STEP_PROPERTIES)} (a step has "
                      f"{', '.join(STEP_PROPERTIES)})",
                offset=offset + found if found >= 0 else at)
    return True
