"""The Flask shell shared by every surface. create_app() is the one composition point."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, request

from core.clock import Clock, FileClock, SystemClock

REPO = Path(__file__).resolve().parent.parent


def create_app(
    overrides: dict[str, Any] | None = None,
    *,
    clock: Clock | None = None,
    publisher: Any = None,
) -> Flask:
    """Build the app: config, database, clock, publisher, printing, blueprints."""
    from lobby import config, errors, inputs
    from lobby.context import LobbyContext
    from lobby.events import SocketPublisher, queue_options
    from lobby.extensions import babel, csrf, db, limiter, socketio
    from lobby.tx import configure_engine

    instance = os.environ.get("LOBBY_INSTANCE_PATH") or str(REPO / "instance")
    app = Flask(
        __name__,
        instance_path=instance,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    app.config.update(config.DEFAULTS)
    app.config.update(config.from_environment(app.instance_path))
    app.config.update(overrides or {})
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    db.init_app(app)
    if app.config.get("LOBBY_MIGRATIONS_IN_PROCESS", True):
        # Alembic costs ~12 MB; `python server.py` migrates in a child process and skips it.
        from flask_migrate import Migrate

        Migrate(
            app, db, directory=str(REPO / "migrations"), render_as_batch=True, compare_type=True
        )
    csrf.init_app(app)
    if str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis://", "rediss://")):
        from lobby.events import redis_client_options

        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", redis_client_options())
    limiter.init_app(app)

    def _locale() -> str:
        """Vietnamese first: pages are Vietnamese unless the visitor chose English (?lang=en,
        kept in a cookie); the JSON API follows Accept-Language (API.md)."""
        chosen = request.args.get("lang") or request.cookies.get("lang")
        if chosen in ("vi", "en"):
            return chosen
        if request.path.startswith("/api/"):
            return request.accept_languages.best_match(["vi", "en"]) or "vi"
        return "vi"

    babel.init_app(
        app, locale_selector=_locale, default_translation_directories=str(REPO / "translations")
    )
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        **queue_options(app.config["SOCKETIO_MESSAGE_QUEUE"], app.config["SOCKETIO_CHANNEL"]),
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS", []),
        ping_interval=20,
        ping_timeout=20,
    )
    with app.app_context():
        configure_engine(db.engine)

    from lobby.printing import Printing
    from lobby.refcache import RefCache

    tz = app.config["LOBBY_TIMEZONE"]
    if clock is None:
        clock_file = app.config.get("LOBBY_CLOCK_FILE")
        clock = FileClock(clock_file, tz) if clock_file else SystemClock(tz)
    app.extensions["lobby"] = LobbyContext(
        clock=clock,
        publisher=publisher or SocketPublisher(),
        open_always=bool(app.config["LOBBY_OPEN_ALWAYS"]),
        public_base_url=app.config["PUBLIC_BASE_URL"],
        speech_settings=app.config.get("LOBBY_SPEECH", {}),
        printing=Printing(app, clock=clock),
        reference=RefCache(float(app.config.get("LOBBY_REFERENCE_TTL", 5))),
    )

    from lobby import security, webhooks

    webhooks.init_app(app)
    errors.register(app)
    inputs.register(app)  # before the blueprints: their <int:…> routes use its converter
    security.init_app(app)
    _register_blueprints(app)

    from lobby import cli

    cli.register(app)
    return app


def _register_blueprints(app: Flask) -> None:
    import importlib

    from lobby import sockets, web

    sockets.register()
    app.register_blueprint(web.bp)
    for surface in ("api", "kiosk", "display", "counter", "phone", "admin", "tablet"):
        try:
            module = importlib.import_module(f"{surface}.views")
        except ModuleNotFoundError as exc:
            if exc.name != f"{surface}.views":
                raise
            continue
        app.register_blueprint(module.bp)
