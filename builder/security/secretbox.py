"""Encrypts data-source credentials at rest with Fernet.

The key comes from ``TOOLCRIB_SECRET_KEY`` (any string; stretched to a Fernet key) or from a key
file in the instance folder created with mode 0600 on first use.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.fernet import Fernet


class SecretKeyError(RuntimeError):
    """The key is missing, unreadable or not the one the secrets were written with."""


def _derive(material: bytes, purpose: bytes) -> bytes:
    return hmac.new(material, purpose, hashlib.sha256).digest()


def load_key_material(secret_key: str, key_file: Path) -> bytes:
    """The instance's root secret: the env value, else the key file (created if absent)."""
    if secret_key:
        return secret_key.encode()
    if key_file.exists():
        material = key_file.read_bytes().strip()
        if not material:
            raise SecretKeyError(f"the key file {key_file} is empty")
        return material
    key_file.parent.mkdir(parents=True, exist_ok=True)
    material = base64.urlsafe_b64encode(os.urandom(32))
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(material + b"\n")
    return material


class SecretBox:
    def __init__(self, material: bytes) -> None:
        self._fernet_key = base64.urlsafe_b64encode(_derive(material, b"toolcrib-secrets"))
        self.session_key = _derive(material, b"toolcrib-session").hex()

    @functools.cached_property
    def _fernet(self) -> Fernet:
        # cryptography costs each server process ~6 MB and ~15 ms: imported at the first data
        # source opened, not at start-up.
        from cryptography.fernet import Fernet

        return Fernet(self._fernet_key)

    def seal(self, data: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(data).encode()).decode()

    def open(self, token: str) -> dict[str, Any]:
        from cryptography.fernet import InvalidToken

        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise SecretKeyError(
                "stored credentials cannot be decrypted with this instance's secret key: "
                "was TOOLCRIB_SECRET_KEY or instance/secret.key changed? Restore the old key "
                "or re-enter the data source credentials"
            ) from None
