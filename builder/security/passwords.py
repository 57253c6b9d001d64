"""Password hashing with Werkzeug's scrypt (salted, memory-hard)."""

from __future__ import annotations

import functools

from werkzeug.security import check_password_hash, generate_password_hash

MIN_PASSWORD_LENGTH = 8


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so timing does not reveal valid usernames.

    Made at the first sign-in of the process, not at import: one scrypt is ~90 ms and 32 MB
    (briefly) at the start of every server process otherwise.
    """
    return generate_password_hash("not-a-real-password", method="scrypt")


class WeakPassword(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    dummy = _dummy_hash()  # on both paths: the first sign-in costs the same whoever it names
    if password_hash is None:
        check_password_hash(dummy, password)
        return False
    return check_password_hash(password_hash, password)
