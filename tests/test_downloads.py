"""The open data's downloads: export_registry, the dataset export and /data/."""

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.tasks import default_task_backend
from django.utils import timezone

from ports import tasks
from ports.api import datasets
from ports.choices import KnownUseKind
from ports.editorial import actions
from ports.models import Assignment, KnownUse, Story
from ports.registry import importing
from tests.factories import (
    make_citation,
    make_faq,
    make_published_story,
    make_story,
    registry_csv,
)
from tests.test_export import TRICKY

pytestmark = pytest.mark.django_db


def export():
    return datasets.export_datasets(base_url="http://testserver")


def exported(name):
    return (Path(settings.DATA_EXPORT_DIR) / name).read_text(encoding="utf-8")


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


# manage.py export_registry ------------------------------------------------------


def test_export_registry_writes_ianas_layout_that_imports_as_no_change(tmp_path):
    importing.import_registry(registry_csv(*TRICKY), file_name="tricky.csv")
    path = tmp_path / "registry.csv"
    call_command("export_registry", str(path))
    data = path.read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert rows[0][:3] == ["Service Name", "Port Number", "Transport Protocol"]
    formula = next(row for row in rows if row[0] == "formula")
    assert formula[3] == '\'=HYPERLINK("http://evil.example")'
    plan, run = importing.import_registry(data, file_name="again.csv")
    assert (plan.summary(), run.outcome) == (
        "new=0 changed=0 unchanged=8 withdrawn=0 invalid=0",
        "no_changes",
    )


def test_export_registry_to_standard_output(capsys):
    importing.import_registry(registry_csv(*TRICKY), file_name="tricky.csv")
    call_command("export_registry")
    assert capsys.readouterr().out.startswith("Service Name,Port Number,")


# The dataset export ---------------------------------------------------------------


@pytest.fixture
def content(db):
    importing.import_registry(registry_csv(*TRICKY), file_name="tricky.csv")
    importing.import_registry(
        registry_csv(["http", "80", "tcp", "The Web", *TRICKY[0][4:]], *TRICKY[1:]),
        file_name="changed.csv",
    )
    live = make_story(80, title="The web port")
    KnownUse.objects.create(
        story=live,
        kind=KnownUseKind.UNOFFICIAL,
        name="=Live use",
        source_title="A source",
        source_url="https://example.org/",
    )
    actions.story_publish(story=live, by=None)
    KnownUse.objects.create(
        story=live,
        kind=KnownUseKind.MALWARE,
        name="Draft use",
        source_title="A source",
        source_url="https://example.org/",
    )
    edited = Story.objects.get(pk=live.pk)
    edited.title = "Draft title"
    edited.save()
    actions.story_record_save(story=edited, by=None)
    make_story(81, title="Draft story")
    return live


def test_the_export_writes_every_table_as_csv_and_json(content):
    export()
    registry = read_csv(exported("registry.csv"))
    assert len(registry) == Assignment.objects.count() == 8
    formula = next(row for row in registry if row["service_name"] == "formula")
    assert formula["description"] == '\'=HYPERLINK("http://evil.example")'
    registry_json = json.loads(exported("registry.json"))
    assert (
        next(r for r in registry_json if r["service_name"] == "formula")["description"]
        == '=HYPERLINK("http://evil.example")'
    )

    history = read_csv(exported("registry-history.csv"))
    assert [(row["kind"], row["service_name"]) for row in history] == [
        ("changed", "http")
    ]
    assert json.loads(history[0]["fields"])["description"] == [
        "World Wide Web HTTP",
        "The Web",
    ]

    uses = read_csv(exported("known-uses.csv"))
    assert [(row["port"], row["name"]) for row in uses] == [("80", "'=Live use")]
    assert json.loads(exported("known-uses.json"))[0]["name"] == "=Live use"

    stories = json.loads(exported("stories.json"))
    assert [(s["port"], s["title"], s["version"]) for s in stories] == [
        (80, "The web port", 1)
    ]
    assert stories[0]["version_url"] == "http://testserver/ports/80/v/1/"
    assert read_csv(exported("stories.csv"))[0]["title"] == "The web port"


def test_no_draft_reaches_the_downloads(content):
    export()
    for path in Path(settings.DATA_EXPORT_DIR).iterdir():
        text = path.read_text(encoding="utf-8")
        assert "Draft" not in text, path.name


def test_the_exported_registry_imports_as_no_change(content):
    export()
    plan, _run = importing.import_registry(
        exported(datasets.IANA_FILE).encode(), file_name="again.csv"
    )
    assert plan.summary() == "new=0 changed=0 unchanged=8 withdrawn=0 invalid=0"


def test_the_package_describes_the_files_beside_it(content):
    package = export()
    assert json.loads(exported("datapackage.json")) == package
    assert package["profile"] == "data-package"
    directory = Path(settings.DATA_EXPORT_DIR)
    names = {resource["path"] for resource in package["resources"]}
    assert names | {"datapackage.json"} == {p.name for p in directory.iterdir()}
    for resource in package["resources"]:
        path = directory / resource["path"]
        assert resource["bytes"] == path.stat().st_size
        if resource["format"] == "csv" and "schema" in resource:
            header = next(csv.reader(io.StringIO(path.read_text(), newline="")))
            assert header == [f["name"] for f in resource["schema"]["fields"]]
        if resource["format"] == "json":
            rows = json.loads(path.read_text())
            fields = [f["name"] for f in resource["schema"]["fields"]]
            assert all(list(row) == fields for row in rows)
    registry = next(r for r in package["resources"] if r["name"] == "registry-csv")
    assert (
        registry["licenses"][0]["path"] == "https://www.iana.org/help/licensing-terms"
    )


def test_an_export_replaces_the_files_whole(content):
    export()
    make_published_story(443, title="Another story")
    export()
    titles = [s["title"] for s in json.loads(exported("stories.json"))]
    assert titles == ["The web port", "Another story"]
    assert not [p for p in Path(settings.DATA_EXPORT_DIR).iterdir() if p.name[0] == "."]


DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def queued_exports():
    return [
        result
        for result in default_task_backend.results
        if result.task.func is tasks.export_open_data.func
    ]


def test_changes_committed_together_queue_one_export(
    content, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DUMMY_TASKS
    with django_capture_on_commit_callbacks(execute=True):
        make_published_story(443, title="Another story")
        make_published_story(22, title="A third story")
    assert len(queued_exports()) == 1


def test_an_export_waiting_in_the_queue_takes_later_changes_along(
    content, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DUMMY_TASKS
    with django_capture_on_commit_callbacks(execute=True):
        make_published_story(443, title="Another story")
    with django_capture_on_commit_callbacks(execute=True):
        make_published_story(22, title="A third story")
    assert len(queued_exports()) == 1
    # Once an export has started, a change may come too late for it.
    tasks.export_open_data.call()
    with django_capture_on_commit_callbacks(execute=True):
        actions.story_unpublish(story=Story.objects.get(port_id=22), by=None)
    assert len(queued_exports()) == 2


def test_a_version_scheduled_for_later_queues_no_export(
    content, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DUMMY_TASKS
    story = make_story(443, title="Not yet")
    make_citation(story)
    make_faq(story)
    with django_capture_on_commit_callbacks(execute=True):
        actions.story_publish(
            story=story, by=None, at=timezone.now() + timedelta(days=1)
        )
    assert queued_exports() == []


def run_queued_exports():
    for result in queued_exports():
        result.task.call(*result.args, **result.kwargs)


def test_publishing_writes_the_downloads_again(
    content, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DUMMY_TASKS
    with django_capture_on_commit_callbacks(execute=True):
        make_published_story(443, title="Another story")
    run_queued_exports()
    titles = [s["title"] for s in json.loads(exported("stories.json"))]
    assert titles == ["The web port", "Another story"]


def test_an_import_writes_the_downloads_again(
    db, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DUMMY_TASKS
    with django_capture_on_commit_callbacks(execute=True):
        importing.import_registry(registry_csv(*TRICKY), file_name="tricky.csv")
    run_queued_exports()
    assert len(read_csv(exported("registry.csv"))) == 8


def test_tasks_run_at_once_leave_the_export_to_the_command(
    content, settings, django_capture_on_commit_callbacks
):
    """TASKS_IMMEDIATE would export inside every publish: nothing is exported."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    with django_capture_on_commit_callbacks(execute=True):
        make_published_story(443, title="Another story")
    assert not (Path(settings.DATA_EXPORT_DIR) / "stories.json").exists()


def test_export_datasets_command(content, tmp_path, capsys):
    call_command(
        "export_datasets", "--dir", str(tmp_path), "--base-url", "https://x.example"
    )
    assert "stories.json" in capsys.readouterr().out
    stories = json.loads((tmp_path / "stories.json").read_text())
    assert stories[0]["url"] == "https://x.example/ports/80/"


# /data/ -----------------------------------------------------------------------------


def test_data_answers_404_before_any_export(client):
    response = client.get("/data/")
    assert response.status_code == 404
    assert response.json()["detail"] == "No export has been written yet."


def test_data_lists_the_latest_export(client, content):
    export()
    response = client.get("/data/", HTTP_ORIGIN="https://elsewhere.example")
    assert response.status_code == 200
    index = response.json()
    assert index["datapackage"] == "http://testserver/data/datapackage.json"
    files = {f["name"]: f for f in index["files"]}
    assert files["stories.json"]["url"] == "http://testserver/data/stories.json"
    assert response["Surrogate-Key"] == "site data"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_data_files_are_served_with_an_etag(client, content):
    export()
    response = client.get("/data/registry.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    served = b"".join(response.streaming_content)
    assert served == (Path(settings.DATA_EXPORT_DIR) / "registry.csv").read_bytes()
    assert response["Surrogate-Key"] == "site data"
    assert "public" in response["Cache-Control"]
    again = client.get("/data/registry.csv", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    package = client.get("/data/datapackage.json")
    assert package.status_code == 200
    assert package["Content-Type"] == "application/json"


def test_an_export_of_the_same_data_keeps_the_etags(client, content):
    export()
    first = client.get("/data/stories.json")
    package = json.loads(exported("datapackage.json"))
    (resource,) = [r for r in package["resources"] if r["path"] == "stories.json"]
    assert first["ETag"] == f'"{resource["hash"].removeprefix("sha256:")}"'
    export()
    again = client.get(
        "/data/stories.json",
        HTTP_IF_NONE_MATCH=first["ETag"],
        HTTP_ORIGIN="https://elsewhere.example",
    )
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert again["Access-Control-Allow-Origin"] == "*"


def test_data_serves_only_the_exported_files(client, content, settings):
    export()
    (Path(settings.DATA_EXPORT_DIR) / "notes.txt").write_text("private")
    for name in ("notes.txt", "..%2Fsettings.py", ".registry.csv.tmp"):
        response = client.get(f"/data/{name}")
        assert response.status_code == 404
    assert client.get("/data/../portwiki/settings.py").status_code == 404


def test_an_export_purges_the_cached_downloads(client, content, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    from ports.tasks import export_open_data

    export_open_data.enqueue()
    first = client.get("/data/stories.json")
    assert b"Another story" not in b"".join(first.streaming_content)
    make_published_story(443, title="Another story")
    export_open_data.enqueue()
    second = client.get("/data/stories.json")
    assert b"Another story" in b"".join(second.streaming_content)
