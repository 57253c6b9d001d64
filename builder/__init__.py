"""Toolcrib: a self-hosted low-code builder for internal tools."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # flask is imported by create_app: `toolcrib serve`'s master never needs it
    from flask import Flask

__version__ = "0.1.0"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Wire settings, the metadata store, registries and blueprints into a Flask app."""
    from flask import Flask

    import datasources
    import widgets
    from builder.config import load_settings
    from builder.connections import Connections
    from builder.context import Toolcrib
    from builder.published import PublishedApps
    from builder.security.secretbox import SecretBox, load_key_material
    from builder.store import Store
    from builder.web import register_blueprints
    from builder.web.session_cookie import CookieSessions

    settings = load_settings(config)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(
        __name__,
        static_folder=str(settings.static_path),
        static_url_path="/static",
        template_folder="web/templates",
        instance_path=str(settings.instance_path),
    )
    box = SecretBox(load_key_material(settings.secret_key, settings.key_file))
    app.secret_key = box.session_key
    app.session_interface = CookieSessions()
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    store = Store(settings.database_url)
    widget_types = widgets.build_registry()
    kinds = datasources.build_registry()
    app.extensions["toolcrib"] = Toolcrib(
        settings=settings,
        store=store,
        box=box,
        widgets=widget_types,
        datasource_kinds=kinds,
        connections=Connections(store, box, kinds),
        published=PublishedApps(store, widget_types),
    )
    register_blueprints(app)
    return app
