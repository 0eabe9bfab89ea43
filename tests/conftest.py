"""Shared fixtures: the app on a real SQLite file made by migrations, or on PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings

import printers  # noqa: F401  (first: python-escpos's cache goes to an instance folder, not /tmp)
from core.clock import FixedClock

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# A Monday, inside the morning window: the office is open.
MONDAY_8AM = datetime(2026, 11, 30, 8, 0, tzinfo=VN)
POSTGRES_URL = os.environ.get("LOBBY_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("LOBBY_TEST_REDIS_URL", "")

# Property tests check behaviour, never speed: Hypothesis's default 200 ms deadline per example
# failed a deadlines test now and then on a loaded 2-core machine. Speed lives in bench/.
settings.register_profile("lobby", deadline=None)
settings.load_profile("lobby")


def _overrides(url: str, instance: Path) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "PUBLIC_BASE_URL": "http://lobby.test",
        "RATELIMIT_ENABLED": False,
        "LOBBY_OPEN_ALWAYS": False,
        "LOBBY_PASSWORD_METHOD": "pbkdf2:sha256:1000",
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        # Tests move the office's clock by days with one sign-in; the idle limit of a working
        # day is tested on its own (tests/integration/test_security.py).
        "LOBBY_SESSION_IDLE_SECONDS": 10 * 365 * 86400,
    }


def build_app(url: str, instance: Path, clock: FixedClock | None = None, **extra: Any) -> Any:
    from lobby import create_app

    os.environ["LOBBY_INSTANCE_PATH"] = str(instance)
    return create_app({**_overrides(url, instance), **extra}, clock=clock, publisher=TeePublisher())


class TeePublisher:
    """Records every published event and still emits it through Socket.IO."""

    def __init__(self) -> None:
        from lobby.events import SocketPublisher

        self.events: list[tuple[str, dict[str, Any], list[str]]] = []
        self._real = SocketPublisher()

    def publish(self, event: str, payload: dict[str, Any], rooms: list[str]) -> None:
        self.events.append((event, payload, list(rooms)))
        self._real.publish(event, payload, rooms)

    def publish_each(self, event: str, items: list[tuple[str, dict[str, Any]]]) -> None:
        self.events += [(event, payload, [room]) for room, payload in items]
        self._real.publish_each(event, items)

    def named(self, event: str) -> list[tuple[dict[str, Any], list[str]]]:
        return [(p, r) for e, p, r in self.events if e == event]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database file made by the migrations; each test gets a copy."""
    from flask_migrate import upgrade

    folder = tmp_path_factory.mktemp("template")
    path = folder / "lobby.sqlite3"
    app = build_app(f"sqlite:///{path}", folder)
    with app.app_context():
        upgrade()
        from lobby.extensions import db

        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh PostgreSQL database migrated once for the session."""
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must set LOBBY_TEST_POSTGRES_URL (.ci/run does)")
        pytest.skip(
            "PostgreSQL tests need LOBBY_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    import psycopg
    from flask_migrate import upgrade

    admin = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"lobby_test_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    app = build_app(url, tmp_path_factory.mktemp("postgres-instance"))
    with app.app_context():
        upgrade()
        from lobby.extensions import db

        db.engine.dispose()
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"
            )
        ]
        conn.execute(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "lobby.sqlite3"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return str(url)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY_8AM)


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Any]:
    """The app with the demo office loaded; app.demo holds its users and device tokens."""
    application = build_app(db_url, tmp_path, clock)
    with application.app_context():
        from lobby.extensions import db
        from lobby.setup.demo import load_demo

        application.demo = load_demo()
        db.session.remove()
    yield application
    with application.app_context():
        from lobby.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def published(app: Any) -> TeePublisher:
    return app.extensions["lobby"].publisher  # type: ignore[no-any-return]


@pytest.fixture
def fresh_memory_printers() -> Iterator[None]:
    """memory:// printers start empty and online (modules opt in with pytest.mark.usefixtures)."""
    from printers.backends import reset_memory_printers

    reset_memory_printers()
    yield
    reset_memory_printers()


@pytest.fixture
def printing(app: Any) -> Iterator[Any]:
    """The app's Printing; every worker it started is stopped when the test ends."""
    p = app.extensions["lobby"].printing
    yield p
    p.stop_all()


# --- order: the fast tests first, the real-server and browser tests (tests/e2e) after ----------
E2E = Path(__file__).resolve().parent / "e2e"


def _is_e2e(item: pytest.Item) -> bool:
    return E2E in Path(str(item.path)).parents


class _FastFirst:
    """Unit and integration tests run first (a few minutes), the real servers and Chromium after
    (most of the time): a broken rule shows early. One pytest run, so one summary line last."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.announce = False

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items.sort(key=_is_e2e)  # stable: each file keeps its order
        fast = sum(1 for item in items if not _is_e2e(item))
        self.announce = 0 < fast < len(items)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """One line where the slow part begins, so the progress says which part is running."""
        if not self.announce or not nodeid.startswith("tests/e2e/"):
            return
        self.announce = False
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_sep("-", "real-server and browser tests (tests/e2e), the longer part")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_FastFirst(config), "lobby-fast-first")
