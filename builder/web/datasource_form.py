"""The data-source form, generated from a kind's ``config_schema()``, and its parsing.

Secret (``writeOnly``) fields are empty password inputs, never filled in by the server: on edit an
empty one keeps the stored value, and a checkbox clears it. A pasted connection URL fills the
fields it names. Errors are per field, for the page and for ``static/admin/datasource-form.js``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from datasources import kind_for_url
from datasources.base import DataSource

#: Fields shown as the record's read-only flag rather than stored in the configuration.
READ_ONLY = "read_only"
URL = "url"


# --- the form, from the kind's JSON Schema -------------------------------------------------------


@dataclass
class FormField:
    key: str
    label: str
    widget: str  # text, number, password, checkbox, select, textarea
    description: str = ""
    options: list[str] = field(default_factory=list)
    step: str = "1"
    minimum: Any = None
    maximum: Any = None
    default: Any = None
    secret: bool = False
    #: For a secret: a value is stored (the page says so, never what it is).
    stored: bool = False
    value: Any = ""
    error: str = ""


def field_label(key: str, spec: dict[str, Any]) -> str:
    if spec.get("title"):
        return str(spec["title"])
    words = key.removesuffix("_s").replace("_", " ")
    label = words[:1].upper() + words[1:]
    return f"{label} (s)" if key.endswith("_s") else label


def _type(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return "enum"
    kind = spec.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def schema_fields(source_class: type[DataSource]) -> tuple[FormField | None, list[FormField]]:
    """(the URL field if the kind has one, the other fields) in schema order."""
    props: dict[str, Any] = source_class.config_schema().get("properties", {})
    url_field: FormField | None = None
    fields: list[FormField] = []
    for key, spec in props.items():
        if not isinstance(spec, dict):
            continue
        kind = _type(spec)
        secret = bool(spec.get("writeOnly"))
        item = FormField(key=key, label=field_label(key, spec), widget="text",
                         description=str(spec.get("description", "")),
                         default=spec.get("default"), secret=secret,
                         minimum=spec.get("minimum"), maximum=spec.get("maximum"))
        if secret:
            item.widget = "password"
        elif kind == "enum":
            item.widget, item.options = "select", [str(o) for o in spec["enum"]]
        elif kind == "boolean":
            item.widget = "checkbox"
        elif kind in ("integer", "number"):
            item.widget, item.step = "number", ("1" if kind == "integer" else "any")
        elif kind in ("object", "array"):
            item.widget = "textarea"
        if key == URL:
            url_field = item
        else:
            fields.append(item)
    return url_field, fields


def _display(value: Any, widget: str) -> Any:
    if value is None:
        return False if widget == "checkbox" else ""
    if widget == "textarea":
        return json.dumps(value, ensure_ascii=False, indent=2)
    return value


def fill(fields: list[FormField], values: dict[str, Any], secrets_stored: set[str]) -> None:
    for item in fields:
        if item.secret:
            item.stored = item.key in secrets_stored
            item.value = ""  # never sent back
        else:
            item.value = _display(values.get(item.key), item.widget)


@dataclass
class ParsedForm:
    name: str
    config: dict[str, Any]
    read_only: bool
    errors: dict[str, str]
    #: Secrets typed into this submission (for the "type it again" note; never shown).
    typed_secrets: list[str]
    #: The submitted, non-secret values, to show the form again as it was.
    shown: dict[str, Any]


def _coerce(item: FormField, raw: str, kind: str) -> Any:
    text = raw.strip()
    if item.widget == "checkbox":
        return raw not in ("", "0", "off", "false")
    if text == "":
        return None
    if item.widget == "select":
        if text not in item.options:
            raise ValueError(f"choose one of {', '.join(item.options)}")
        return text
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError("enter a whole number") from None
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            raise ValueError("enter a number") from None
    if item.widget == "textarea":
        try:
            return json.loads(text)
        except ValueError:
            raise ValueError("enter valid JSON") from None
    return text


def parse_form(form: Any, kind: str, source_class: type[DataSource],
               stored: dict[str, Any] | None, *, name: str) -> ParsedForm:
    url_field, fields = schema_fields(source_class)
    props = source_class.config_schema().get("properties", {})
    errors: dict[str, str] = {}
    config: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    typed: list[str] = []
    for item in fields:
        raw = form.get(f"cfg-{item.key}", "")
        if item.secret:
            if form.get(f"clear-{item.key}"):
                continue
            if raw != "":
                config[item.key] = raw
                typed.append(item.key)
            elif stored and stored.get(item.key) not in (None, ""):
                config[item.key] = stored[item.key]
            continue
        shown[item.key] = raw if item.widget != "checkbox" else bool(form.get(f"cfg-{item.key}"))
        try:
            value = _coerce(item, raw, _type(props.get(item.key, {})))
        except ValueError as exc:
            errors[item.key] = str(exc)
            continue
        if value is not None:
            config[item.key] = value
    if url_field is not None:
        _apply_url(form, kind, source_class, stored, config, errors, typed)
    read_only = bool(config.pop(READ_ONLY, False))
    if not errors:
        errors.update(_schema_errors(source_class, {**config, READ_ONLY: read_only}
                                     if READ_ONLY in props else config))
    return ParsedForm(name=name, config=config, read_only=read_only, errors=errors,
                      typed_secrets=typed, shown=shown)


def _apply_url(form: Any, kind: str, source_class: type[DataSource],
               stored: dict[str, Any] | None, config: dict[str, Any], errors: dict[str, str],
               typed: list[str]) -> None:
    """A typed URL fills the fields it names (explicit URL wins over the form's fields)."""
    raw = form.get(f"cfg-{URL}", "").strip()
    if form.get(f"clear-{URL}"):
        return
    if not raw:
        if stored and stored.get(URL):
            config[URL] = stored[URL]
        return
    typed.append(URL)
    try:
        url_kind = kind_for_url(raw)
    except ValueError as exc:
        errors[URL] = str(exc)
        return
    if url_kind != kind:
        errors[URL] = f"this is a {url_kind} URL; start again with that kind"
        return
    try:
        fields = source_class.from_url(raw)
    except NotImplementedError:
        config[URL] = raw
        return
    except ValueError as exc:
        if getattr(source_class.from_url, "__func__", None) is DataSource.from_url.__func__:
            config[URL] = raw  # the kind takes its URL as it is
        else:
            errors[URL] = str(exc)
        return
    config.update(fields)


def _schema_errors(source_class: type[DataSource], config: dict[str, Any]) -> dict[str, str]:
    schema = source_class.config_schema()
    props = schema.get("properties", {})
    validator = jsonschema.Draft202012Validator(schema)
    errors: dict[str, str] = {}
    for error in validator.iter_errors(config):
        path = list(error.absolute_path)
        if path:
            errors.setdefault(str(path[0]), error.message)
        elif error.validator == "anyOf":
            choices = []
            for branch in error.schema.get("anyOf", []):
                names = [field_label(k, props.get(k, {})) for k in branch.get("required", [])]
                if names:
                    choices.append(" and ".join(names))
            errors.setdefault("", "fill in " + " — or — ".join(choices) if choices
                              else error.message)
        elif error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            errors.setdefault(missing or "", f"{field_label(missing, props.get(missing, {}))} is "
                                             "required" if missing else error.message)
        elif error.validator == "additionalProperties":
            errors.setdefault("", error.message)
        else:
            errors.setdefault("", error.message)
    return errors


# --- helpers -------------------------------------------------------------------------------------
