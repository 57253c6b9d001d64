"""Creating and authenticating users (the CLI, the admin pages and sign-in use these)."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from builder.errors import UserError
from builder.security.passwords import hash_password, verify_password
from builder.store.models import utcnow
from builder.store.people_models import ROLES, User


class UserAdminError(UserError):
    pass


def create_user(session: Session, *, username: str, password: str, role: str,
                email: str | None = None) -> User:
    username = username.strip()
    if not username:
        raise UserAdminError("a username is required")
    if role not in ROLES:
        raise UserAdminError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    taken = session.scalar(select(User.id).where(or_(
        func.lower(User.username) == username.lower(),
        *([func.lower(User.email) == email.lower()] if email else []),
    )))
    if taken:
        raise UserAdminError(f"a user named {username!r} (or with that email) already exists")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise UserAdminError(str(exc)) from None
    user = User(username=username, email=email or None, password_hash=password_hash, role=role)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, login: str) -> User | None:
    """By username or email, case-insensitively."""
    login = login.strip().lower()
    return session.scalar(select(User).where(or_(func.lower(User.username) == login,
                                                 func.lower(User.email) == login)))


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The user whose password this is, if enabled; records the sign-in time."""
    user = find_user(session, login)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or user.disabled:
        return None
    user.last_login_at = utcnow()
    return user
