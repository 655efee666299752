"""
Backups restore completely: a site dumped with the documented commands and
restored into an empty database holds the same content, row for row: stories
in every language, their revisions and workflow history, the registry and its
import history, feedback and accounts.

- dumpdata/loaddata (small sites, any database): README "Backups". Times
  come back to the millisecond (Django's JSON format); everything else exact.
- pg_dump -Fc / pg_restore (PostgreSQL): the same, for the whole database.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from ports.editorial import actions
from ports.models import (
    FeedbackVote,
    ImportRun,
    RegistryChange,
    Story,
    StoryRevision,
    StoryTransition,
)
from ports.registry import importing
from tests.factories import (
    make_citation,
    make_faq,
    make_published_story,
    make_related,
    make_story,
    make_user,
    registry_csv,
)

ROOT = Path(settings.BASE_DIR)
# The documented command: natural keys, so content types and permissions are
# matched by name in the new database instead of by id.
DUMP_ARGS = [
    "--natural-foreign",
    "--exclude=contenttypes",
    "--exclude=auth.permission",
    "--exclude=sessions",
    "--exclude=admin.logentry",
    "--exclude=axes",
    "--exclude=django_tasks_database",
    # Derived from the registry and observed use (a view), not content.
    "--exclude=ports.registrysearchentry",
]
COMPARED = (
    "ports_story", "ports_storyrevision", "ports_storytransition", "ports_citation",
    "ports_faq", "ports_relatedport", "ports_knownuse", "ports_port",
    "ports_assignment", "ports_importrun", "ports_registrychange",
    "ports_feedbackvote", "ports_feedbackprompt", "ports_storysearchtext",
    "auth_user", "auth_group",
)  # fmt: skip


def build_content():
    editor = make_user("edna", role="Editor")
    reviewer = make_user("rita", role="Reviewer")
    importing.import_registry(
        registry_csv(
            ["http", "80", "tcp", "World Wide Web HTTP"],
            ["ssh", "22", "tcp", "The Secure Shell (SSH) Protocol"],
        ),
        file_name="first.csv",
    )
    importing.import_registry(
        registry_csv(["http", "80", "tcp", "HTTP, revised"]), file_name="second.csv"
    )
    story = make_published_story(
        80, title="Port 80: the web", body="Tim's port.[^1]", title_ja="ポート80"
    )
    make_related(story, 22, note="Also remote")
    draft = make_story(22, title="Port 22: SSH", body="Tatu Ylönen.[^1]")
    make_citation(draft)
    make_faq(draft)
    actions.story_submit(story=draft, by=editor)
    actions.story_send_back(story=draft, by=reviewer, comment="Add the 1995 date")
    FeedbackVote.objects.create(
        port_id=80, language="ja", helpful=False, client_hash="h1", day="2025-03-01"
    )
    counts = {
        "stories": Story.objects.count(),
        "revisions": StoryRevision.objects.count(),
        "transitions": StoryTransition.objects.count(),
        "runs": ImportRun.objects.count(),
        "changes": RegistryChange.objects.count(),
    }
    assert counts == {
        "stories": 2,
        "revisions": counts["revisions"],
        "transitions": counts["transitions"],
        "runs": 2,
        "changes": 2,  # one changed, one withdrawn; the first import is the baseline
    }
    assert counts["revisions"] >= 2 and counts["transitions"] >= 3
    return counts


def manage(*args, database_url):
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def rows(cursor_execute):
    return {
        table: cursor_execute(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608
        for table in COMPARED
    }


def test_dumpdata_restores_into_an_empty_database(db, tmp_path):
    """
    Restored into a new SQLite database (from either database), the content
    dumps again to exactly the same records.
    """
    counts = build_content()
    dump = tmp_path / "portwiki.json"
    call_command("dumpdata", *DUMP_ARGS, "--indent=1", f"--output={dump}")
    original = json.loads(dump.read_text())
    by_model = {}
    for item in original:
        by_model[item["model"]] = by_model.get(item["model"], 0) + 1
    assert by_model["ports.story"] == counts["stories"]
    assert by_model["ports.storyrevision"] == counts["revisions"]
    assert by_model["ports.storytransition"] == counts["transitions"]
    assert by_model["ports.importrun"] == counts["runs"]
    assert by_model["ports.registrychange"] == counts["changes"]
    assert by_model["auth.group"] == 3

    target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    manage("migrate", "--noinput", "-v0", database_url=target)
    manage("loaddata", str(dump), database_url=target)
    again = tmp_path / "again.json"
    manage("dumpdata", *DUMP_ARGS, f"--output={again}", database_url=target)
    assert json.loads(again.read_text()) == original

    with sqlite3.connect(tmp_path / "restored.sqlite3") as restored:
        titles = restored.execute(
            "SELECT title_en, title_ja FROM ports_story ORDER BY port_id DESC"
        ).fetchall()
    assert titles == [("Port 80: the web", "ポート80"), ("Port 22: SSH", None)]


def test_registry_rows_dump_by_their_natural_key(db, tmp_path):
    """
    Assignments have a natural key (the registry key), so --natural-primary
    dumps them without ids and changes point at them by key: a registry
    restores into a database whose ids differ.
    """
    build_content()
    dump = tmp_path / "registry.json"
    call_command(
        "dumpdata",
        "ports.assignment",
        "ports.importrun",
        "ports.registrychange",
        "--natural-foreign",
        "--natural-primary",
        f"--output={dump}",
    )
    records = json.loads(dump.read_text())
    assignments = [r for r in records if r["model"] == "ports.assignment"]
    assert assignments and all("pk" not in r for r in assignments)
    keys = {a["fields"]["registry_key"] for a in assignments}
    changes = [r for r in records if r["model"] == "ports.registrychange"]
    assert all(len(c["fields"]["assignment"]) == 1 for c in changes)
    assert {c["fields"]["assignment"][0] for c in changes} <= keys

    target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    manage("migrate", "--noinput", "-v0", database_url=target)
    with sqlite3.connect(tmp_path / "restored.sqlite3") as restored:
        # Ids the source database used are taken in the new one.
        restored.execute(
            "INSERT INTO ports_assignment (id, registry_key, service_name, "
            "transport, description, assignee, contact, registration_date, "
            "modification_date, reference, service_code, unauthorized_use, "
            "assignment_notes, status, created_at, updated_at) VALUES (1, 'x|tcp|1', "
            "'x', 'tcp', '', '', '', '', '', '', '', '', '', 'assigned', "
            "'2025-01-01', '2025-01-01')"
        )
    manage("loaddata", str(dump), database_url=target)
    with sqlite3.connect(tmp_path / "restored.sqlite3") as restored:
        pairs = restored.execute(
            "SELECT c.kind, a.registry_key FROM ports_registrychange c "
            "JOIN ports_assignment a ON a.id = c.assignment_id"
        ).fetchall()
    assert sorted(pairs) == sorted(
        (c.kind, c.assignment.registry_key) for c in RegistryChange.objects.all()
    ), pairs


# Transactional, so pg_dump sees the content; the migrated data comes back
# afterwards for the tests that follow (serialized_rollback).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pg_dump_restores_into_an_empty_database(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL (set DATABASE_URL)")
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed (apt-get install postgresql-client)")
    build_content()
    db = settings.DATABASES["default"]
    base = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}"
    source = f"{base}/{db['NAME']}"
    target_name = f"{db['NAME']}_restore"
    dump = tmp_path / "portwiki.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), source], check=True)

    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target_name}"')
        admin.execute(f'CREATE DATABASE "{target_name}"')
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "-d", f"{base}/{target_name}", str(dump)],
            check=True,
        )
        with (
            psycopg.connect(source) as old,
            psycopg.connect(f"{base}/{target_name}") as new,
        ):
            before = rows(lambda sql: old.execute(sql).fetchall())
            after = rows(lambda sql: new.execute(sql).fetchall())
        assert after == before
        assert len(after["ports_storytransition"]) >= 3
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target_name}"')
