"""The migrations are the only schema path: the database they build is what the models say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import build_app


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_migrated_database_matches_the_models(
    kind: str, request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> None:
    url = (
        f"sqlite:///{sqlite_template}"
        if kind == "sqlite"
        else str(request.getfixturevalue("postgres_database"))
    )
    app = build_app(url, tmp_path)
    with app.app_context():
        from lobby.extensions import db

        with db.engine.connect() as conn:
            diff: list[Any] = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert diff == [], "models and migrations differ; run: flask --app server db migrate"
