"""Sign-in and sign-out pages."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user

from builder.context import toolcrib
from builder.security import audit
from builder.security.auth import Principal, principal
from builder.security.users import authenticate

bp = Blueprint("auth", __name__)

#: Failed sign-ins allowed per login name or client address within the window.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL (no open redirect)."""
    if not target:
        return url_for("runtime.index")
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target):
        return url_for("runtime.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = request.values.get("next", "")
    if request.method == "GET":
        if principal() is not None:
            return redirect(safe_next(next_url))
        return render_template("login.html", next_url=next_url, error=None, login="")
    login_name = request.form.get("login", "").strip()
    password = request.form.get("password", "")
    if audit.recent_failed_signins(login_name, request.remote_addr, FAILURE_WINDOW) >= MAX_FAILURES:
        audit.record("signin_failed", outcome="rate_limited", actor=login_name)
        error = "登录失败次数过多，请 15 分钟后再试。Too many failed sign-ins; try again later."
        return render_template("login.html", next_url=next_url, error=error,
                               login=login_name), 429
    with toolcrib().store.session() as session:
        user = authenticate(session, login_name, password)
        who = Principal.of(user) if user else None
    if who is None:
        audit.record("signin_failed", outcome="bad_credentials", actor=login_name)
        error = "用户名或密码不正确。Wrong username or password."
        return render_template("login.html", next_url=next_url, error=error,
                               login=login_name), 401
    login_user(who)
    audit.record("signin", outcome="ok", who=who)
    return redirect(safe_next(next_url))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    who = principal()
    if who is not None:
        audit.record("signout", outcome="ok", who=who)
    logout_user()
    return redirect(url_for("auth.login"))
