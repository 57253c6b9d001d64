"""Checks of action lists (run, refresh, export, set, reset, navigate, …): targets exist, texts
bind only known names. A mixin of the semantic checker (``semantic._Checker``), whose ``add``,
``check_display``, ``queries``, ``widgets`` and ``pages`` it uses.
"""

from __future__ import annotations

from typing import Any

from builder.appspec.page_checks import check_navigate_params
from builder.appspec.problems import DocPath, article, did_you_mean
from builder.queries import is_select

_ACTION_CHECKS = {"run": "action_query", "refresh": "action_query", "toast": "action_text",
                  "copy": "action_text", "open": "action_text", "set": "action_set",
                  "reset": "action_reset", "navigate": "action_navigate",
                  "export": "action_export"}


class ActionChecks:
    queries: dict[str, Any]
    widgets: dict[str, Any]
    pages: Any

    def add(self, path: DocPath, message: str, **kw: Any) -> None:  # pragma: no cover
        raise NotImplementedError

    def check_display(self, path: DocPath, text: str, *args: Any, **kw: Any) -> Any:
        raise NotImplementedError  # pragma: no cover

    def check_actions(self, path: DocPath, actions: Any) -> None:
        for i, action in enumerate(actions if isinstance(actions, list) else []):
            if not isinstance(action, dict):
                continue
            verbs = [k for k in action if k in _ACTION_CHECKS]
            if len(verbs) == 1:
                getattr(self, _ACTION_CHECKS[verbs[0]])((*path, i), action)

    def action_query(self, path: DocPath, action: dict[str, Any]) -> None:
        verb = "run" if "run" in action else "refresh"
        target = action[verb]
        if isinstance(target, str) and target not in self.queries:
            hint = f": '{target}' is a widget" if target in self.widgets else \
                did_you_mean(target, self.queries)
            self.add((*path, verb), f"{verb}: unknown query '{target}'{hint}")
        for key in ("onSuccess", "onError"):
            if key in action:
                self.check_actions((*path, key), action[key])

    def action_export(self, path: DocPath, action: dict[str, Any]) -> None:
        target = action["export"]
        if isinstance(target, str):
            query = self.queries.get(target)
            if not isinstance(query, dict):
                hint = f": '{target}' is a widget" if target in self.widgets else \
                    did_you_mean(target, self.queries)
                self.add((*path, "export"), f"export: unknown query '{target}'{hint}")
            elif "sql" not in query:
                self.add((*path, "export"), f"export: '{target}' is a document (MongoDB) "
                                            "query; exporting those is not supported yet")
            elif isinstance(query["sql"], str) and not is_select(query["sql"]):
                self.add((*path, "export"), f"export: '{target}' does not return rows; only a "
                                            "SELECT can be exported")
        if isinstance(action.get("filename"), str):
            self.check_display((*path, "filename"), action["filename"])
        for key in ("onSuccess", "onError"):
            if key in action:
                self.check_actions((*path, key), action[key])

    def action_text(self, path: DocPath, action: dict[str, Any]) -> None:
        verb = next(k for k in ("toast", "copy", "open") if k in action)
        if isinstance(action[verb], str):
            self.check_display((*path, verb), action[verb])

    def action_set(self, path: DocPath, action: dict[str, Any]) -> None:
        target = action["set"]
        if isinstance(target, str) and target.count(".") == 1:
            name, prop = target.split(".")
            self.check_state_target((*path, "set"), "set", name, prop)
        if isinstance(action.get("to"), str):
            self.check_display((*path, "to"), action["to"])

    def action_reset(self, path: DocPath, action: dict[str, Any]) -> None:
        targets = action["reset"]
        if isinstance(targets, str):
            self.check_state_target((*path, "reset"), "reset", targets, None)
        elif isinstance(targets, list):
            for i, name in enumerate(targets):
                if isinstance(name, str):
                    self.check_state_target((*path, "reset", i), "reset", name, None)

    def check_state_target(self, path: DocPath, verb: str, name: str, prop: str | None) -> None:
        if name not in self.widgets:
            self.add(path, f"{verb}: unknown widget '{name}'{did_you_mean(name, self.widgets)}")
            return
        wtype = self.widgets[name][1]
        if prop is None or wtype is None or prop in wtype.state:
            return
        state = ", ".join(wtype.state) or "nothing"
        self.add(path, f"{verb}: '{prop}' is not state of {name}; {article(wtype.type)} has "
                       f"{state}{did_you_mean(prop, wtype.state)}")

    def action_navigate(self, path: DocPath, action: dict[str, Any]) -> None:
        target = action["navigate"]
        if isinstance(target, str) and target not in self.pages:
            self.add((*path, "navigate"), f"navigate: unknown page '{target}'"
                                          f"{did_you_mean(target, self.pages)}")
        params = action.get("params")
        for key, value in (params.items() if isinstance(params, dict) else []):
            if isinstance(value, str):
                self.check_display((*path, "params", key), value)
        check_navigate_params(self, path, action)
