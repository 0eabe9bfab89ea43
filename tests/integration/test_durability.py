"""A printed ticket survives a power cut: on SQLite every commit is on the disk before the
request that made it is answered (issue 11, item 5)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.helpers import issue

SQLITE_FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


# SQLite only: PostgreSQL's commits are durable by its own default (fsync, synchronous_commit).
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_commits_a_ticket_with_the_wal_synced_to_disk(app: Any) -> None:
    """WAL with synchronous=FULL syncs the log at every commit; NORMAL syncs it only at
    checkpoints, so the last tickets committed before a power cut could be lost and their
    numbers (already printed, in the citizens' hands) be issued again."""
    from lobby.extensions import db

    ticket = issue(app.test_client(), app)
    with app.app_context():
        # the connection that wrote the ticket (back in the pool) and a new one
        for conn in (db.engine.connect(), db.engine.connect()):
            with conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == SQLITE_FULL
                got = conn.exec_driver_sql(
                    "SELECT number FROM tickets WHERE public_token = ?", (ticket["token"],)
                ).scalar()
                assert got == ticket["number"]
