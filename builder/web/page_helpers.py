"""Small helpers shared by the server-rendered admin and account pages."""

from __future__ import annotations

from datetime import datetime

from flask import Response, make_response, render_template, request

from builder.security.auth import Principal, principal


def me() -> Principal:
    """The signed-in principal of a view behind ``login_required``."""
    who = principal()
    assert who is not None, "view is not behind login_required"
    return who


def form_text(name: str, limit: int = 300) -> str:
    """A trimmed form field ('' when missing), cut at ``limit`` characters."""
    return request.form.get(name, "").strip()[:limit]


def form_int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


def when(moment: datetime | None, never: str = "never") -> str:
    """A stored UTC time as ``2026-11-22 05:22 UTC``."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else never


def secret_once(*, title: str, intro: str, secret: str, label: str, back_url: str,
                back_label: str, note: str = "") -> Response:
    """A page that shows a new password or token once; it is never stored or cached."""
    response = make_response(render_template(
        "secret_once.html", title=title, intro=intro, secret=secret, label=label,
        back_url=back_url, back_label=back_label, note=note))
    no_store(response)
    return response


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
