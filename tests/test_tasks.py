"""
Long work runs in the task worker: the admin's registry import is queued on
confirmation and reported on a status page; cache warming fills the cache.
"""

import io
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ports import tasks
from ports.models import Assignment, ImportRun
from ports.registry import importing
from tests.factories import make_published_story, registry_csv

# The worker closes its database connection when it is done, as it would
# between tasks: each test commits for real (and restores the migrated data).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

IMPORT_URL = "/admin/ports/assignment/import/"
CONFIRM_URL = "/admin/ports/assignment/process_import/"
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}
FILE = registry_csv(
    ["http", "80", "tcp", "World Wide Web HTTP"],
    ["new-svc", "83", "tcp", "Brand new"],
)


@pytest.fixture(autouse=True)
def queued_tasks(settings, tmp_path):
    """A real queue in the database, and media storage of the test's own."""
    settings.TASKS = DATABASE_TASKS
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def importer(client):
    user = User.objects.create_user("importer", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="ports",
            codename__in=["import_assignment", "view_assignment"],
        )
    )
    client.force_login(user)
    return user


def preview(client, data):
    response = client.post(
        IMPORT_URL,
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("registry.csv", data, "text/csv"),
        },
    )
    form = response.context["confirm_form"]
    return {name: form[name].value() for name in form.fields}


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def stored_files(settings):
    folder = Path(settings.MEDIA_ROOT) / "django-import-export"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_confirming_queues_the_import_and_the_status_page_reports_it(
    client, importer, settings
):
    confirm = client.post(CONFIRM_URL, preview(client, FILE))
    # Nothing is imported in the request: it waits for the worker.
    assert confirm.status_code == 302
    status_url = confirm["Location"]
    assert status_url.startswith("/admin/ports/assignment/import/status/")
    assert not Assignment.objects.exists()
    waiting = client.get(status_url)
    assert waiting.status_code == 200
    assert 'data-status="READY"' in waiting.text
    assert "registry.csv is queued for import" in waiting.text
    assert '<meta http-equiv="refresh"' in waiting.text

    run_worker()

    done = client.get(status_url, follow=True)
    run = ImportRun.objects.get()
    assert run.outcome == ImportRun.Outcome.APPLIED and run.new_count == 2
    assert done.redirect_chain[0][0] == "/admin/ports/assignment/"
    assert f"Imported registry.csv as import run {run.pk}" in done.text
    assert LogEntry.objects.filter(object_id=str(run.pk), user=importer).exists()
    # The previewed file is gone from shared storage once applied.
    assert stored_files(settings) == []


def test_the_task_rechecks_the_plan_and_offers_a_fresh_preview(client, importer):
    data = preview(client, FILE)
    confirm = client.post(CONFIRM_URL, data)
    # Someone else imports first: the queued plan is outdated.
    importing.import_registry(
        registry_csv(["http", "80", "tcp", "Changed meanwhile"]), file_name="x.csv"
    )
    run_worker()
    again = client.get(confirm["Location"])
    assert again.status_code == 200
    assert "The registry changed since this file was previewed" in again.text
    assert again.context["confirm_form"] is not None
    assert ImportRun.objects.count() == 1  # only the other import
    assert Assignment.objects.get().description == "Changed meanwhile"


def test_a_changed_stored_file_is_refused_by_the_task(client, importer, settings):
    confirm = client.post(CONFIRM_URL, preview(client, FILE))
    (stored,) = stored_files(settings)
    stored.write_bytes(registry_csv(["evil", "666", "tcp", "Swapped"]))
    run_worker()
    refused = client.get(confirm["Location"], follow=True)
    assert "not the one previewed; nothing was imported" in refused.text
    assert not Assignment.objects.exists()


def test_an_unknown_import_is_a_404(client, importer):
    assert client.get("/admin/ports/assignment/import/status/nope/").status_code == 404


def test_the_status_page_needs_the_import_permission(client, importer):
    confirm = client.post(CONFIRM_URL, preview(client, FILE))
    other = Client()
    other.force_login(User.objects.create_user("viewer", password="x", is_staff=True))
    assert other.get(confirm["Location"]).status_code == 403


def test_progress_is_reported_while_the_import_runs(client, importer):
    confirm = client.post(CONFIRM_URL, preview(client, FILE))
    result_id = confirm["Location"].rstrip("/").rsplit("/", 1)[1]
    from django.core.cache import cache

    cache.set(tasks.PROGRESS_KEY.format(result_id), [500, 2000])
    assert tasks.import_progress(result_id) == (500, 2000)
    page = client.get(confirm["Location"])
    assert "500 of 2000 rows written" in page.text


def test_warming_fills_the_page_cache_readers_hit():
    make_published_story(4800, title="Warm story")
    result = tasks.warm_pages.enqueue(
        host="testserver",
        paths=["/ports/4800/", "/"],
        languages=["en", "de"],
        secure=False,
    )
    run_worker()
    result.refresh()
    assert result.return_value == {"warmed": 4, "failed": []}
    with CaptureQueriesContext(connection) as queries:
        assert "Warm story" in Client().get("/ports/4800/").text
        Client().get("/de/")
    assert len(queries) == 0


def test_warm_cache_queues_home_lists_and_live_story_pages():
    make_published_story(4810, title="Queued warm")
    out = io.StringIO()
    call_command(
        "warm_cache", "--host", "testserver", "--http", "--language", "en", stdout=out
    )
    assert "Queued 6 pages in 1 languages" in out.getvalue()
    run_worker()
    with CaptureQueriesContext(connection) as queries:
        for path in ("/", "/ports/", "/ports/dynamic/", "/ports/4810/"):
            assert Client().get(path).status_code == 200
    assert len(queries) == 0
