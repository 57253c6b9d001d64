"""Who is making this request: a signed-in session or an ``Authorization: Bearer`` API token.

The request's principal is a plain snapshot of the user (id, name, role), loaded once per request
from the metadata DB, so a disabled user or a revoked token stops working at the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, g, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from sqlalchemy import select

from builder.context import toolcrib
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


def _load_from_session(user_id: str) -> Principal | None:
    # A request that names an API token is judged by the token alone: such requests skip the
    # CSRF check, so the cookie that a browser sends along must not authenticate them.
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return None
    ident, _, epoch = user_id.partition(".")
    if not ident.isdigit() or not epoch.isdigit():
        return None
    with toolcrib().store.session() as session:
        user = session.get(User, int(ident))
        if user is None or user.disabled or user.session_epoch != int(epoch):
            return None
        return Principal.of(user)


def _load_from_bearer(req: Any) -> Principal | None:
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
        return None
    with toolcrib().store.session() as session:
        row = session.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == hash_token(token.strip()))
        ).first()
        if row is None:
            return None
        api_token, user = row
        if api_token.revoked_at is not None or user.disabled:
            return None
        now = utcnow()
        # Note use at most once a minute: no write on every scripted request.
        if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=1):
            api_token.last_used_at = now
        return Principal.of(user, via_token=True)


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
    """The signed-in principal of this request, or None."""
    user = current_user
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
    cache = g.setdefault("_app_access", {})
    if app_id not in cache:
        with toolcrib().store.session() as session:
            groups = select(GroupMember.group_id).where(GroupMember.user_id == who.id)
            cache[app_id] = session.scalar(
                select(AppGrant.id).where(AppGrant.app_id == app_id).where(
                    (AppGrant.user_id == who.id) | AppGrant.group_id.in_(groups)
                ).limit(1)
            ) is not None
    return cache[app_id]
