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
            codename__in=["import_assignment", "view_assignment", "view_importrun"],
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
    # An empty hidden input posts "", as a browser sends it.
    return {
        name: "" if form[name].value() is None else form[name].value()
        for name in form.fields
    }


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
    # Reloaded by a refresh without JavaScript; polled by its script with it.
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in (
        waiting.text
    )
    assert '<script src="/static/js/registry-import.js" defer>' in waiting.text
    progress_url = f"{status_url}progress/"
    assert f'data-progress-url="{progress_url}"' in waiting.text
    assert client.get(progress_url).json() == {
        "status": "READY",
        "finished": False,
        "text": "registry.csv is queued for import; "
        "the task worker will start it shortly.",
        "done": None,
        "total": None,
        "progress_text": "",
    }

    run_worker()

    assert client.get(progress_url).json()["finished"] is True
    done = client.get(status_url)
    run = ImportRun.objects.get()
    # The first import into an empty registry is its baseline.
    assert run.outcome == ImportRun.Outcome.BASELINE and run.new_count == 2
    # The status page says it is done, and links to the import run.
    assert done.status_code == 200
    assert 'data-status="SUCCESSFUL"' in done.text
    assert "data-progress-url" not in done.text and "refresh" not in done.text
    run_url = f"/admin/ports/importrun/{run.pk}/change/"
    assert f'id="import-run-link" href="{run_url}"' in done.text
    assert (
        f'Imported registry.csv as <a href="{run_url}">import run {run.pk}</a>: '
        "new=2 changed=0 unchanged=0 withdrawn=0 invalid=0."
    ) in done.text
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


def test_a_file_the_task_refuses_is_recorded_as_a_refused_run(
    client, importer, settings
):
    confirm = client.post(CONFIRM_URL, preview(client, FILE))
    # The limit is lowered between the preview and the worker's turn.
    settings.REGISTRY_UPLOAD_MAX_BYTES = 10
    run_worker()
    refused = client.get(confirm["Location"], follow=True)
    run = ImportRun.objects.get()
    assert (run.outcome, run.file_name, run.started_by) == (
        "refused",
        "registry.csv",
        importer,
    )
    assert run.message == (
        f"The file is {len(FILE):,} bytes; the limit is 10 bytes "
        "(REGISTRY_UPLOAD_MAX_BYTES). Nothing was imported."
    )
    assert (
        f'Recorded as <a href="/admin/ports/importrun/{run.pk}/change/">'
        f"import run {run.pk}</a>."
    ) in refused.text
    assert not Assignment.objects.exists()


def test_an_unknown_import_is_a_404(client, importer):
    assert client.get("/admin/ports/assignment/import/status/nope/").status_code == 404
    assert (
        client.get("/admin/ports/assignment/import/status/nope/progress/").status_code
        == 404
    )


def test_the_status_page_needs_the_import_permission(client, importer):
    confirm = client.post(CONFIRM_URL, preview(client, FILE))
    other = Client()
    other.force_login(User.objects.create_user("viewer", password="x", is_staff=True))
    assert other.get(confirm["Location"]).status_code == 403
    assert other.get(f"{confirm['Location']}progress/").status_code == 403


def test_progress_is_reported_while_the_import_runs(client, importer):
    confirm = client.post(CONFIRM_URL, preview(client, FILE))
    result_id = confirm["Location"].rstrip("/").rsplit("/", 1)[1]
    from django.core.cache import cache

    cache.set(tasks.PROGRESS_KEY.format(result_id), [500, 2000])
    assert tasks.import_progress(result_id) == (500, 2000)
    page = client.get(confirm["Location"])
    assert "500 of 2000 rows written" in page.text
    assert '<progress id="import-progress" max="2000" value="500"' in page.text
    polled = client.get(f"{confirm['Location']}progress/").json()
    assert (polled["done"], polled["total"], polled["progress_text"]) == (
        500,
        2000,
        "500 of 2000 rows written.",
    )


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
