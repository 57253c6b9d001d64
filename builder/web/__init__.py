"""HTTP layer: blueprints for sign-in, the runtime pages, the JSON API and the admin pages."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from builder.security import allowlists
from builder.security.auth import init_auth, is_api_request, names_api_token, principal
from builder.web.nav import admin_nav

#: Blueprint modules (each defines ``bp``); admin pages add themselves here.
BLUEPRINTS = [
    "builder.web.auth",
    "builder.web.runtime",
    "builder.web.api",
    "builder.web.export",
    "builder.web.imports",
    "builder.web.editor_api",
    "builder.web.editor",
    "builder.web.admin_users",
    "builder.web.admin_apps",
    "builder.web.account",
    "builder.web.admin_allowlists",
    "builder.web.admin_audit",
    "builder.web.admin_datasources",
]

csrf = CSRFProtect()
F = TypeVar("F", bound=Callable[..., Any])


_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy",
     "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
     "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
)


def _security_headers(response: Response) -> Response:
    """Each header the view did not set itself (one pass over the response's headers: four
    ``setdefault`` calls scanned them eight times: 25 µs -> 14 µs of a ~1 ms API request)."""
    present = {key.lower() for key, _value in response.headers}
    response.headers.extend([(key, value) for key, value in _SECURITY_HEADERS
                             if key.lower() not in present])
    return response


def error_page(status: int, message: str) -> tuple[str, int] | Response:
    if is_api_request():
        from builder.web.api import error_response

        code = {401: "unauthorized", 403: "forbidden", 404: "not_found"}.get(status, "error")
        return error_response(message, status, code)
    return render_template("error.html", status=status, message=message), status


def _check_instance_allowlist() -> tuple[str, int] | Response | None:
    try:
        allowlists.check_request()
    except allowlists.AddressNotAllowed as exc:
        return error_page(403, str(exc))
    return None


def accepts_large_body(limit: int) -> Callable[[F], F]:
    """Let a view take request bodies up to ``limit`` bytes instead of the instance's cap
    (``MAX_CONTENT_LENGTH``), from a signed-in caller only: nobody else can make the server spool
    a large body to disk."""

    def mark(view: F) -> F:
        view.max_content_length = limit  # type: ignore[attr-defined]
        return view

    return mark


def _body_limit() -> None:
    """Apply ``accepts_large_body`` before anything reads the body (the CSRF check reads the
    form)."""
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "max_content_length", None)
    if limit is not None and principal() is not None:
        request.max_content_length = limit


def _csrf_unless_token() -> None:
    """Cookie sessions need a CSRF token; API-token requests carry no cookie to forge."""
    if not names_api_token():
        csrf.protect()


def register_blueprints(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    init_auth(app)
    app.before_request(_check_instance_allowlist)

    @app.before_request
    def _csrf() -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            _body_limit()
            _csrf_unless_token()

    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)
    app.after_request(_security_headers)
    app.context_processor(lambda: {"current_principal": principal, "admin_nav": admin_nav})
    app.register_error_handler(CSRFError, lambda e: error_page(
        400, "the form or request expired or lacks its security token; reload the page"))
    app.register_error_handler(403, lambda e: error_page(
        403, "you do not have permission to do this"))
    app.register_error_handler(404, lambda e: error_page(404, "not found"))
