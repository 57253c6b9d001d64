"""Settings from the environment (``TOOLCRIB_*``) and the instance folder."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

#: Top of the source tree (``apps/``, ``static/`` and ``widgets/`` live here).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Where a non-editable install (a wheel) puts ``static/`` and ``apps/`` (see setup.py).
INSTALLED_DATA = Path(sys.prefix) / "share" / "toolcrib"


def shipped_folder(name: str) -> Path:
    """``static`` or ``apps``: next to the code in a checkout, else the installed data files."""
    here = PROJECT_ROOT / name
    installed = INSTALLED_DATA / name
    return installed if not here.is_dir() and installed.is_dir() else here


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    #: Explicit key material; when empty the key file in the instance folder is used.
    secret_key: str = ""
    query_timeout_s: float = 10.0
    max_rows: int = 10_000
    #: Reverse proxies in front of the server whose X-Forwarded-For may be believed.
    trusted_proxies: int = 0
    #: Session cookies only over HTTPS (browsers also accept them on http://127.0.0.1).
    secure_cookies: bool = True
    apps_path: Path = field(default_factory=lambda: shipped_folder("apps"))
    static_path: Path = field(default_factory=lambda: shipped_folder("static"))
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key_file(self) -> Path:
        return self.instance_path / "secret.key"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def default_database_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'toolcrib.db'}"


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Read settings from the environment; ``overrides`` (e.g. from tests) win."""
    overrides = dict(overrides or {})
    instance = Path(
        overrides.pop("instance_path", None)
        or os.environ.get("TOOLCRIB_INSTANCE_PATH")
        or Path.cwd() / "instance"
    ).resolve()
    database_url = (
        overrides.pop("database_url", None)
        or os.environ.get("TOOLCRIB_DATABASE_URL")
        or default_database_url(instance)
    )
    settings = Settings(
        instance_path=instance,
        database_url=database_url,
        secret_key=os.environ.get("TOOLCRIB_SECRET_KEY", ""),
        query_timeout_s=_env_float("TOOLCRIB_QUERY_TIMEOUT", 10.0),
        max_rows=_env_int("TOOLCRIB_MAX_ROWS", 10_000),
        trusted_proxies=_env_int("TOOLCRIB_TRUSTED_PROXIES", 0),
        secure_cookies=os.environ.get("TOOLCRIB_SECURE_COOKIES", "1") not in ("0", "false", "no"),
    )
    return settings.with_overrides(**overrides) if overrides else settings
