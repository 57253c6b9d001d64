"""Data-source secrets: which configuration fields are write-only, and configurations with them
masked (for pages, the CLI and the audit log) or listed (to scrub them from driver messages)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import make_url

from builder.security.audit import MASK, redact
from datasources.base import DataSource

# --- secrets: which fields are write-only --------------------------------------------------------


def secret_fields(source_class: type[DataSource]) -> set[str]:
    """The configuration fields marked ``writeOnly`` (never shown, never logged)."""
    props = source_class.config_schema().get("properties", {})
    return {key for key, spec in props.items() if isinstance(spec, dict) and spec.get("writeOnly")}


def masked(config: dict[str, Any], secrets: set[str]) -> dict[str, Any]:
    """The configuration as it may be shown or audited: each set secret is ``•••``."""
    shown = {k: (MASK if k in secrets else v) for k, v in config.items() if v not in (None, "")}
    return redact(shown)


def secret_values(config: dict[str, Any], secrets: set[str]) -> list[str]:
    """The secret strings of a configuration, including a URL's password (to scrub messages)."""
    values = [str(config[k]) for k in secrets if config.get(k)]
    with_url = [str(config[k]) for k in ("url",) if config.get(k)]
    for url in with_url:
        try:
            password = make_url(url).password
        except Exception:  # noqa: BLE001 - not a URL SQLAlchemy can parse
            password = None
        if password:
            values.append(str(password))
    return values


def describe(config: dict[str, Any] | None) -> str:
    """Where a data source points, without any password."""
    if config is None:
        return "— stored settings cannot be decrypted —"
    if config.get("url"):
        try:
            return make_url(config["url"]).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - another URL form: hide whatever precedes '@'
            return re.sub(r"//[^/@]*@", "//***@", str(config["url"]))
    if config.get("path"):
        return str(config["path"])
    host, port, database = config.get("host", ""), config.get("port", ""), config.get(
        "database", "")
    user = f"{config['user']}@" if config.get("user") else ""
    where = f"{user}{host}{f':{port}' if port else ''}/{database}"
    if config.get("sslmode"):
        where += f" (TLS {config['sslmode']})"
    return where
