"""
An import is one transaction: killed part-way it leaves nothing behind, and
two imports at once wait for each other instead of interleaving.

These run `manage.py import_registry` in a subprocess, as an operator would.
"""

import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from ports.models import Assignment, ImportRun, RegistryChange
from ports.registry import importing
from tests.shared_data import NEWER, OLDER, shared_file


def every_row_changed(path, target):
    """A copy of a registry file in which every description differs."""
    with open(path, newline="", encoding="utf-8") as file:
        header, *rows = csv.reader(file)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        row[3] = f"{row[3]} (revised)"
        writer.writerow(row)
    target.write_text(out.getvalue(), encoding="utf-8")
    return target


def start_import(path, database_url):
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_registry", str(path)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, timeout=60, interval=0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def kill_import(path, database_url, *, delay, writing=None):
    """
    Start an import and SIGKILL it `delay` seconds after it starts or, given
    `writing` (true while it has a write transaction open), after its first
    write; return once it is dead.
    """
    process = start_import(path, database_url)
    try:
        if writing is not None:
            assert wait_for(writing), process.communicate()
        time.sleep(delay)
        assert process.poll() is None, "the import finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL


def sqlite_with_older_registry(database):
    """A migrated SQLite database at this path, the older registry imported; its URL."""
    url = f"sqlite:///{database}"
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        timeout=300,
    )
    assert start_import(shared_file(OLDER), url).wait(timeout=300) == 0
    return url


def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs the PostgreSQL test database (set DATABASE_URL)")


def postgres_url():
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def registry_state():
    return (
        sorted(Assignment.objects.values_list()),
        sorted(ImportRun.objects.values_list()),
        sorted(RegistryChange.objects.values_list()),
    )


class Watcher:
    """A separate PostgreSQL session that watches the importer's."""

    def __init__(self):
        self.connection = psycopg.connect(
            postgres_url().replace("postgres://", "postgresql://")
        )
        self.connection.autocommit = True

    def writing_transactions(self):
        # A transaction gets an id at its first write; the test's own session
        # is in autocommit and idle, so any id here is the importer's.
        return self.connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        ).fetchone()[0]

    def waiting_for_lock(self):
        return self.connection.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'ports_assignment' AND NOT l.granted"
        ).fetchone()[0]

    def close(self):
        self.connection.close()


@pytest.fixture
def watcher():
    postgres_only()
    watcher = Watcher()
    yield watcher
    watcher.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("existing", [False, True], ids=["empty", "update"])
def test_killed_import_leaves_postgresql_unchanged(watcher, tmp_path, existing):
    if existing:
        importing.import_registry(shared_file(OLDER).read_bytes(), file_name=OLDER)
        path = every_row_changed(shared_file(OLDER), tmp_path / "revised.csv")
    else:
        path = shared_file(NEWER)
    before = registry_state()
    kill_import(
        path,
        postgres_url(),
        writing=lambda: watcher.writing_transactions() > 0,
        delay=0.05,  # let it get some way into its writes
    )
    # PostgreSQL rolls back the dead client's transaction.
    assert wait_for(lambda: watcher.writing_transactions() == 0, timeout=30)
    assert registry_state() == before


def test_killed_import_leaves_sqlite_unchanged(tmp_path):
    database = tmp_path / "killed.sqlite3"
    url = sqlite_with_older_registry(database)
    revised = every_row_changed(shared_file(OLDER), tmp_path / "revised.csv")

    def snapshot():
        with sqlite3.connect(database) as db:
            return [
                db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
                for table in (
                    "ports_assignment",
                    "ports_importrun",
                    "ports_registrychange",
                )
            ]

    before = snapshot()
    # SQLite keeps a rollback journal for exactly as long as a write
    # transaction is open.
    journal = Path(f"{database}-journal")
    kill_import(revised, url, writing=journal.exists, delay=0.05)
    # The next connection finds the hot journal and rolls the transaction back.
    assert snapshot() == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_second_import_waits_for_the_first(watcher, tmp_path):
    importing.import_registry(shared_file(OLDER).read_bytes(), file_name=OLDER)
    holder = psycopg.connect(postgres_url().replace("postgres://", "postgresql://"))
    try:
        # Another import in progress holds the registry lock.
        holder.execute("LOCK TABLE ports_assignment IN SHARE ROW EXCLUSIVE MODE")
        process = start_import(shared_file(NEWER), postgres_url())
        assert wait_for(lambda: watcher.waiting_for_lock() > 0), process.communicate()
        time.sleep(0.5)
        assert process.poll() is None
        assert ImportRun.objects.count() == 1
        holder.rollback()
        out, err = process.communicate(timeout=120)
    finally:
        holder.close()
    assert process.returncode == 0, err
    assert (
        out.splitlines()[-1]
        == "new=46 changed=19 unchanged=14409 withdrawn=19 invalid=0"
    )
    assert ImportRun.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_imports_at_once_each_see_the_other(tmp_path):
    """Started together, the second plans against the first's result."""
    postgres_only()
    importing.import_registry(shared_file(OLDER).read_bytes(), file_name=OLDER)
    first = start_import(shared_file(NEWER), postgres_url())
    second = start_import(shared_file(NEWER), postgres_url())
    results = sorted(
        process.communicate(timeout=120)[0].splitlines()[-1]
        for process in (first, second)
    )
    assert first.returncode == second.returncode == 0
    assert results == [
        "new=0 changed=0 unchanged=14474 withdrawn=0 invalid=0",
        "new=46 changed=19 unchanged=14409 withdrawn=19 invalid=0",
    ]
    # The first import was the baseline (no change rows); the update's only.
    assert RegistryChange.objects.count() == 46 + 19 + 19
