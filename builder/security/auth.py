"""Who is making this request: a signed-in session or an ``Authorization: Bearer`` API token.

The request's principal is a plain snapshot of the user (id, name, role). Snapshots are kept in
this process's policy cache, which every change to users or tokens empties on every worker
(builder/store/generation.py), so a disabled user or a revoked token stops working at the next
request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, g, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from sqlalchemy import select, update

from builder.context import toolcrib
from builder.store.generation import policy_cache
from builder.store.models import utcnow
from builder.store.people_models import ApiToken, AppGrant, GroupMember, User

TOKEN_PREFIX = "tc_"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal(UserMixin):
    id: int
    username: str
    email: str | None
    role: str
    session_epoch: int
    via_token: bool = False

    def get_id(self) -> str:
        # The epoch makes a password reset or a disable sign out every existing session.
        return f"{self.id}.{self.session_epoch}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def builds_apps(self) -> bool:
        return self.role in ("admin", "developer")

    def as_binding_value(self) -> dict[str, Any]:
        """What ``<<current_user>>`` is in a query."""
        return {"id": self.id, "username": self.username, "email": self.email,
                "roles": [self.role]}

    @classmethod
    def of(cls, user: User, *, via_token: bool = False) -> Principal:
        return cls(user.id, user.username, user.email, user.role, user.session_epoch, via_token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def names_api_token() -> bool:
    """Whether this request sends ``Authorization: Bearer``: it is judged by the token alone.

    Such requests skip the CSRF check (``builder/web/__init__.py``), so the session cookie a
    browser sends along must not authenticate them (``_load_from_session``).
    """
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def _load_from_session(user_id: str) -> Principal | None:
    if names_api_token():
        return None
    ident, _, epoch = user_id.partition(".")
    if not ident.isdigit() or not epoch.isdigit():
        return None
    cache = policy_cache(toolcrib().store, "session_users")
    if cache is not None and user_id in cache:
        return cache[user_id]
    with toolcrib().store.session() as session:
        user = session.get(User, int(ident))
        found = user is not None
        if user is None or user.disabled or user.session_epoch != int(epoch):
            who = None
        else:
            who = Principal.of(user)
    if cache is not None and found:  # unknown ids are not kept: the cache cannot be flooded
        cache[user_id] = who
    return who


@dataclass
class _TokenEntry:
    who: Principal | None
    token_id: int
    last_used_at: datetime | None


def _load_from_bearer(req: Any) -> Principal | None:
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
        return None
    store = toolcrib().store
    token_hash = hash_token(token.strip())
    cache = policy_cache(store, "tokens")
    entry = cache.get(token_hash) if cache is not None else None
    if entry is None:
        with store.session() as session:
            row = session.execute(
                select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == token_hash)
            ).first()
            if row is None:
                return None  # unknown tokens are not kept: the cache cannot be flooded
            api_token, user = row
            usable = api_token.revoked_at is None and not user.disabled
            entry = _TokenEntry(Principal.of(user, via_token=True) if usable else None,
                                api_token.id, api_token.last_used_at)
        if cache is not None:
            cache[token_hash] = entry
    if entry.who is not None:
        _note_token_use(store, entry)
    return entry.who


def _note_token_use(store: Any, entry: _TokenEntry) -> None:
    """Record use at most once a minute: no write on every scripted request.

    A Core statement, so it does not count as a policy change (builder/store/generation.py).
    """
    now = utcnow()
    if entry.last_used_at is not None and now - entry.last_used_at <= timedelta(minutes=1):
        return
    entry.last_used_at = now
    with store.engine.begin() as conn:
        conn.execute(update(ApiToken.__table__).where(ApiToken.__table__.c.id == entry.token_id)
                     .values(last_used_at=now))


def is_api_request() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_auth(app: Flask) -> None:
    manager = LoginManager()
    manager.session_protection = "basic"
    manager.user_loader(_load_from_session)
    manager.request_loader(_load_from_bearer)

    @manager.unauthorized_handler
    def unauthorized() -> Any:
        if is_api_request():
            from builder.web.api import error_response

            return error_response("sign in first (or send an API token)", 401, "unauthorized")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    manager.init_app(app)


def principal() -> Principal | None:
    """The signed-in principal of this request, or None.

    The object itself, not Flask-Login's proxy: each attribute read through the proxy looks the
    user up again (~9 lookups per run request).
    """
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    return user if isinstance(user, Principal) else None


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if principal() is None:
            from flask import current_app

            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @login_required
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            who = principal()
            if who is None or who.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def can_use_app(who: Principal, app_id: int) -> bool:
    """Admins and developers use every app; operators the ones granted to them or a group."""
    if who.builds_apps:
        return True
    cache = policy_cache(toolcrib().store, "app_access")
    if cache is None:
        cache = g.setdefault("_app_access", {})
    key = (who.id, app_id)
    if key not in cache:
        with toolcrib().store.session() as session:
            groups = select(GroupMember.group_id).where(GroupMember.user_id == who.id)
            cache[key] = session.scalar(
                select(AppGrant.id).where(AppGrant.app_id == app_id).where(
                    (AppGrant.user_id == who.id) | AppGrant.group_id.in_(groups)
                ).limit(1)
            ) is not None
    return bool(cache[key])
