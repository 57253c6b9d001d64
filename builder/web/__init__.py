"""HTTP layer: blueprints for the runtime pages and the JSON API."""

from __future__ import annotations

from flask import Flask, Response


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    )
    return response


def register_blueprints(app: Flask) -> None:
    from builder.web.api import bp as api_bp
    from builder.web.runtime import bp as runtime_bp

    app.register_blueprint(runtime_bp)
    app.register_blueprint(api_bp)
    app.after_request(_security_headers)
