"""Flask's signed-cookie sessions, cheaper for requests that carry no session cookie."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    """Flask's own sessions; a request without the cookie skips building the signer.

    API calls with a token send no cookie, and building the signer (key derivation included)
    was about 35 µs of each such request (docs/performance.md). What the session then holds is
    what Flask would give: a new, empty one.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
