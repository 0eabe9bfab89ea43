"""create_app(): the one composition point, as named steps. It is the only module that knows
every floor: the configuration, the extensions, the context with its ports, the surfaces (each
imported by name, so a missing one fails loudly) and the Socket.IO handlers."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Flask, request

import admin.views
import api.views
import counter.views
import display.views
import kiosk.views
import phone.booking  # its routes are on phone.views.bp
import phone.feedback  # its routes are on phone.views.bp
import phone.procedures  # its routes are on phone.views.bp
import phone.reception  # its routes are on phone.views.bp
import phone.views
import tablet.views
from core.clock import Clock, FileClock, SystemClock
from lobby import assets, cli, config, errors, forms, ratelimit, security, sockets, web, webhooks
from lobby.audit import models as audit_models  # noqa: F401  (its table: create_app(), Alembic)
from lobby.bookings import sms as booking_sms
from lobby.bookings.models import Booking  # noqa: F401  (its table: create_app and Alembic see it)
from lobby.config import REPO
from lobby.context import LobbyContext
from lobby.dossiers import models as _dossier_tables  # noqa: F401  (their tables, for Alembic)
from lobby.events import SocketPublisher, queue_options
from lobby.extensions import babel, csrf, db, socketio
from lobby.feedback import models as _feedback_tables  # noqa: F401  (Alembic, create_app see them)
from lobby.notify import outbox as notify_outbox  # its tables too (lobby.notify.models)
from lobby.notify.adapters import text_now as notify_text_now
from lobby.notify.settings import GATEWAY
from lobby.notify.settings import adapters as notify_adapters
from lobby.printing.service import Printing
from lobby.reception import models as reception_models  # noqa: F401  (its tables, for Alembic)
from lobby.refcache import RefCache
from lobby.stats import models as stats_models  # noqa: F401  (its table, for Alembic and create_all)
from lobby.tx import configure_engine

SURFACES = (web, api.views, kiosk.views, display.views, counter.views, phone.views)
SURFACES += (admin.views, tablet.views)


def create_app(
    overrides: dict[str, Any] | None = None,
    *,
    clock: Clock | None = None,
    publisher: Any = None,
) -> Flask:
    """Build the app: config, extensions, the context (clock, publisher, printing), the
    surfaces, the Socket.IO handlers and the commands."""
    app = _configure(overrides)
    _init_extensions(app)
    app.extensions["lobby"] = _context(app, clock, publisher)
    assets.init_app(app)  # first: its after-request hook (gzip) runs last
    webhooks.init_app(app)
    if notify_outbox.init_app(app) is not None and GATEWAY in notify_adapters(app):
        # A booking's one-time code goes out through the same SMS/Zalo gateway.
        booking_sms.use_sender(app, partial(notify_text_now, app, "booking_code"))
    errors.register(app)
    forms.register(app)  # before the blueprints: their <int:…> routes use its converter
    security.init_app(app)
    for surface in SURFACES:
        app.register_blueprint(surface.bp)
    sockets.register()
    cli.register(app)
    return app


def _configure(overrides: dict[str, Any] | None) -> Flask:
    instance = config.instance_path(REPO / "instance")
    app = Flask(
        "lobby",
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
    return app


def _locale() -> str:
    """Vietnamese first: pages are Vietnamese unless the visitor chose English (?lang=en, kept
    in a cookie); the JSON API follows Accept-Language (docs/api.md)."""
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in ("vi", "en"):
        return chosen
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(["vi", "en"]) or "vi"
    return "vi"


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    if app.config.get("LOBBY_MIGRATIONS_IN_PROCESS", True):
        # Alembic costs ~12 MB: loaded only when asked; `python server.py` migrates in a child
        # process and skips it.
        from flask_migrate import Migrate

        Migrate(
            app, db, directory=str(REPO / "migrations"), render_as_batch=True, compare_type=True
        )
    csrf.init_app(app)
    ratelimit.init_app(app)
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


def _context(app: Flask, clock: Clock | None, publisher: Any) -> LobbyContext:
    if clock is None:
        tz = app.config["LOBBY_TIMEZONE"]
        clock_file = app.config.get("LOBBY_CLOCK_FILE")
        clock = FileClock(clock_file, tz) if clock_file else SystemClock(tz)
    return LobbyContext(
        clock=clock,
        publisher=publisher or SocketPublisher(),
        open_always=bool(app.config["LOBBY_OPEN_ALWAYS"]),
        public_base_url=app.config["PUBLIC_BASE_URL"],
        speech_settings=app.config.get("LOBBY_SPEECH", {}),
        printing=Printing(app, clock=clock),
        reference=RefCache(float(app.config.get("LOBBY_REFERENCE_TTL", 5))),
    )
