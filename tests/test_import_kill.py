"""
An import killed with SIGKILL at a random point, ten times over, leaves the
database exactly as it was, compared row by row: before its transaction
starts, while it writes, or just before it commits.

Each kill is at a random delay either from the process's start (start-up,
parsing, planning) or from its first write (inside the transaction). The
file changes every row of the registry, so the transaction is long enough to
be hit anywhere in it.
"""

import os
import random
import sqlite3
import time
from pathlib import Path

import pytest

from ports.registry import importing
from tests.test_importing_safety import (
    OLDER,
    Watcher,
    every_row_changed,
    kill_import,
    postgres_only,
    postgres_url,
    shared_file,
    sqlite_with_older_registry,
    wait_for,
)

KILLS = 10
TABLES = ("ports_assignment", "ports_importrun", "ports_registrychange", "ports_port")


def kill_at_random_points(path, url, *, writing, snapshot, rng, settled=None):
    before = snapshot()
    phases = []
    for _ in range(KILLS):
        if rng.random() < 0.3:
            phase = "before writing"
            kill_import(path, url, delay=rng.uniform(0.05, 0.6))
        else:
            phase = "while writing"
            kill_import(path, url, writing=writing, delay=rng.uniform(0.0, 0.4))
        # PostgreSQL rolls back the dead client's transaction by itself.
        assert wait_for(settled or (lambda: not writing()), timeout=30)
        assert snapshot() == before, f"kill {len(phases) + 1} ({phase}) left rows"
        phases.append(phase)
    assert len(phases) == KILLS
    return phases


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_killed_imports_leave_postgresql_unchanged(tmp_path):
    postgres_only()
    importing.import_registry(shared_file(OLDER).read_bytes(), file_name=OLDER)
    revised = every_row_changed(shared_file(OLDER), tmp_path / "revised.csv")
    watcher = Watcher()

    def snapshot():
        return [
            watcher.connection.execute(
                f"SELECT * FROM {table} ORDER BY 1"  # noqa: S608 (fixed names)
            ).fetchall()
            for table in TABLES
        ]

    try:
        phases = kill_at_random_points(
            revised,
            postgres_url(),
            writing=lambda: watcher.writing_transactions() > 0,
            snapshot=snapshot,
            rng=random.Random(int(os.environ.get("KILL_SEED", time.time_ns()))),
        )
    finally:
        watcher.close()
    assert "while writing" in phases


def test_ten_killed_imports_leave_sqlite_unchanged(tmp_path):
    database = tmp_path / "killed.sqlite3"
    url = sqlite_with_older_registry(database)
    revised = every_row_changed(shared_file(OLDER), tmp_path / "revised.csv")
    journal = Path(f"{database}-journal")

    def snapshot():
        with sqlite3.connect(database) as db:
            return [
                db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608
                for table in TABLES
            ]

    phases = kill_at_random_points(
        revised,
        url,
        # SQLite keeps a rollback journal exactly while a write is open; the
        # next connection rolls a dead writer's journal back.
        writing=journal.exists,
        settled=lambda: True,
        snapshot=snapshot,
        rng=random.Random(int(os.environ.get("KILL_SEED", time.time_ns()))),
    )
    assert "while writing" in phases
