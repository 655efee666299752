"""The admin's import page: upload → preview → confirm, through the test client."""

import csv
import datetime
import hashlib
import html
import os
import re
import time
from pathlib import Path

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile

from ports.choices import AssignmentStatus
from ports.models import Assignment, ImportRun, RegistryChange
from ports.registry import importing
from tests.factories import registry_csv
from tests.shared_data import shared_file

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/ports/assignment/import/"
CONFIRM_URL = "/admin/ports/assignment/process_import/"
CHANGELIST_URL = "/admin/ports/assignment/"
RUNS_URL = "/admin/ports/importrun/"

FIRST = registry_csv(
    ["http", "80", "tcp", "World Wide Web HTTP", "[Tim_Berners_Lee]"],
    ["http", "80", "udp", "World Wide Web HTTP", "[Tim_Berners_Lee]"],
    ["gone", "81", "tcp", "Withdrawn next time"],
    ["", "82", "tcp", "Unassigned"],
)
SECOND = registry_csv(
    ["http", "80", "tcp", "World Wide Web HTTP", "[IESG]"],
    ["http", "80", "udp", "World Wide Web HTTP", "[Tim_Berners_Lee]"],
    ["", "82", "tcp", "Unassigned"],
    ["new-svc", "83", "tcp", "Brand new"],
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def stored_files(media_root):
    folder = media_root / "django-import-export"
    return sorted(folder.iterdir()) if folder.exists() else []


def staff(*codenames, username="editor"):
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="ports", codename__in=codenames
        )
    )
    return user


@pytest.fixture
def importer(client):
    user = staff("import_assignment", "view_assignment", "view_importrun")
    client.force_login(user)
    return user


def upload(client, data, name="service-names-port-numbers.csv", **fields):
    return client.post(
        IMPORT_URL,
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile(name, data, content_type="text/csv"),
            **fields,
        },
    )


def confirm_data(response):
    form = response.context["confirm_form"]
    # An empty hidden input posts "", as a browser sends it.
    return {
        name: "" if form[name].value() is None else form[name].value()
        for name in form.fields
    }


def applied(response):
    """The confirmation's answer: the status page, saying the import is done."""
    assert response.status_code == 200
    assert response.templates[0].name == "admin/ports/assignment/import_status.html"
    assert 'data-status="SUCCESSFUL"' in response.text
    return response


def preview_and_confirm(client, data, **fields):
    preview = upload(client, data, **fields)
    assert preview.status_code == 200
    return client.post(CONFIRM_URL, confirm_data(preview))


def test_preview_lists_counts_first_then_changes_with_old_and_new_values(
    client, importer
):
    importing.import_registry(FIRST, file_name="first.csv")
    response = upload(client, SECOND)
    assert response.status_code == 200
    html = response.content.decode()

    counts = re.search(r'<table class="registry-counts".*?</table>', html, re.S).group()
    found = dict(re.findall(r'data-count="(\w+)">(\d+)<', counts))
    assert found == {
        "new": "1",
        "changed": "1",
        "unchanged": "2",
        "withdrawn": "1",
        "invalid": "0",
    }
    # Counts come before the listed rows.
    assert html.index('id="import-counts"') < html.index('id="changed"')
    changed = html[html.index('id="changed"') : html.index('id="withdrawn"')]
    assert "http 80/tcp" in changed
    assert "<del>[Tim_Berners_Lee]</del> → <ins>[IESG]</ins>" in changed
    withdrawn = html[html.index('id="withdrawn"') :]
    assert "gone 81/tcp" in withdrawn
    assert "new-svc 83/tcp" in html[html.index('id="new"') :]
    # Unchanged rows are summarised, not listed.
    assert "2 assignments are unchanged and not listed." in html
    assert "http 80/udp" not in html
    # Nothing is written by a preview.
    assert ImportRun.objects.count() == 1
    assert Assignment.objects.get(service_name="http", transport="tcp").assignee == (
        "[Tim_Berners_Lee]"
    )


def test_confirm_applies_exactly_what_was_previewed(client, importer, media_root):
    importing.import_registry(FIRST, file_name="first.csv")
    preview = upload(client, SECOND, name="second.csv")
    assert len(stored_files(media_root)) == 1
    response = applied(client.post(CONFIRM_URL, confirm_data(preview)))

    run = ImportRun.objects.latest("started_at")
    assert (run.file_name, run.started_by, run.outcome) == (
        "second.csv",
        importer,
        "applied",
    )
    assert (
        run.new_count,
        run.changed_count,
        run.unchanged_count,
        run.withdrawn_count,
    ) == (
        1,
        1,
        2,
        1,
    )
    assert set(run.changes.values_list("kind", flat=True)) == {
        "added",
        "changed",
        "withdrawn",
    }
    assert (
        Assignment.objects.get(service_name="http", transport="tcp").assignee
        == "[IESG]"
    )
    gone = Assignment.objects.get(service_name="gone")
    assert gone.status == AssignmentStatus.WITHDRAWN and gone.withdrawn_at is not None
    # The stored upload is removed once applied.
    assert stored_files(media_root) == []
    # One admin log entry per import, naming the file and what it did.
    entry = LogEntry.objects.get()
    assert entry.action_flag == ADDITION
    assert entry.user == importer
    assert entry.object_id == str(run.pk)
    assert "second.csv" in entry.change_message
    assert "new=1 changed=1 unchanged=2 withdrawn=1 invalid=0" in entry.change_message
    # The page and its message link to the import run.
    run_url = f"{RUNS_URL}{run.pk}/change/"
    assert (
        f'<a class="button" id="import-run-link" href="{run_url}">'
        f"See import run {run.pk}</a>"
    ) in response.text
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [
        f'Imported second.csv as <a href="{run_url}">import run {run.pk}</a>: '
        "new=1 changed=1 unchanged=2 withdrawn=1 invalid=0."
    ]
    assert client.get(run_url).status_code == 200


def test_without_access_to_import_runs_the_outcome_names_the_run_unlinked(client):
    client.force_login(staff("import_assignment", "view_assignment"))
    response = applied(client.post(CONFIRM_URL, confirm_data(upload(client, FIRST))))
    run = ImportRun.objects.get()
    assert RUNS_URL not in response.text
    assert [str(m) for m in response.wsgi_request._messages] == [
        f"Imported service-names-port-numbers.csv as import run {run.pk}: "
        "new=4 changed=0 unchanged=0 withdrawn=0 invalid=0."
    ]


def test_confirm_is_refused_when_the_registry_changed_since_the_preview(
    client, importer
):
    importing.import_registry(FIRST, file_name="first.csv")
    preview = upload(client, SECOND)
    # Someone else imports a file in between.
    importing.import_registry(
        FIRST.replace(b"HTTP,[Tim_Berners_Lee]", b"HTTP,[Someone_Else]", 1),
        file_name="other.csv",
    )
    before = list(Assignment.objects.values_list("pk", "assignee", "status"))
    response = client.post(CONFIRM_URL, confirm_data(preview))
    assert response.status_code == 200
    assert (
        "The registry changed since this file was previewed"
        in response.content.decode()
    )
    assert "This field is required" not in response.content.decode()
    assert list(Assignment.objects.values_list("pk", "assignee", "status")) == before
    assert ImportRun.objects.count() == 2
    # A fresh preview against the registry as it is now, ready to confirm.
    fresh = response.context["plan"]
    assert fresh.counts["changed"] == 1
    assert fresh.changed[0].fields["assignee"] == ["[Someone_Else]", "[IESG]"]
    applied(client.post(CONFIRM_URL, confirm_data(response)))
    assert (
        Assignment.objects.get(service_name="http", transport="tcp").assignee
        == "[IESG]"
    )


def test_confirm_is_refused_when_the_stored_file_is_not_the_previewed_one(
    client, importer, media_root
):
    preview = upload(client, FIRST)
    [stored] = stored_files(media_root)
    stored.write_bytes(SECOND)
    response = client.post(CONFIRM_URL, confirm_data(preview), follow=True)
    assert "The stored file is not the one previewed" in response.content.decode()
    assert not Assignment.objects.exists() and not ImportRun.objects.exists()


def test_previews_never_confirmed_are_cleared_after_a_day(client, importer, media_root):
    upload(client, FIRST)
    [abandoned] = stored_files(media_root)
    day_and_a_bit = time.time() - 25 * 3600
    os.utime(abandoned, (day_and_a_bit, day_and_a_bit))
    upload(client, SECOND)
    [kept] = stored_files(media_root)
    assert kept != abandoned
    assert kept.read_bytes() == SECOND


def test_confirming_twice_imports_once(client, importer):
    preview = upload(client, FIRST)
    data = confirm_data(preview)
    applied(client.post(CONFIRM_URL, data))
    second = client.post(CONFIRM_URL, data, follow=True)
    assert "no longer available" in second.content.decode()
    assert ImportRun.objects.get().outcome == ImportRun.Outcome.BASELINE
    assert Assignment.objects.count() == 4
    assert RegistryChange.objects.count() == 0


def test_invalid_rows_refuse_the_file_and_are_listed(client, importer, media_root):
    data = registry_csv(
        ["ok", "1", "tcp", "fine"],
        ["bad", "abc", "tcp", "bad port"],
        ["worse", "70000", "udp", "too high"],
        ["back", "10-5", "tcp", "backwards"],
        ["date", "5", "tcp", "bad date", "", "", "2024-02-30"],
    )
    response = upload(client, data)
    html = response.content.decode()
    assert "4 invalid row(s); nothing was imported." in html
    assert "confirm_form" not in response.context
    rows = re.findall(
        r"<tr>\s*<td>(\d+)</td>\s*<td>([^<]+)</td>\s*<td><code>([^<]*)</code></td>",
        html,
    )
    assert rows == [
        ("3", "Port Number", "abc"),
        ("4", "Port Number", "70000"),
        ("5", "Port Number", "10-5"),
        ("6", "Registration Date", "2024-02-30"),
    ]
    assert not Assignment.objects.exists()
    assert stored_files(media_root) == []
    # The refusal is on record, with each problem.
    run = ImportRun.objects.get()
    assert (run.outcome, run.invalid_count) == ("refused", 4)
    assert run.message.splitlines() == [
        "4 invalid row(s); nothing was imported. "
        "Fix them, or import the valid rows only (--skip-invalid).",
        "  line 3, Port Number 'abc': not a port number or range "
        "(expected 80 or 6000-6063)",
        "  line 4, Port Number '70000': 70000 is outside 0–65535",
        "  line 5, Port Number '10-5': the range's first port is above its last",
        "  line 6, Registration Date '2024-02-30': "
        "not a real date (day is out of range for month)",
    ]


def test_skip_invalid_checkbox_imports_the_valid_rows(client, importer):
    data = registry_csv(["ok", "1", "tcp", "fine"], ["bad", "abc", "tcp", "bad port"])
    preview = upload(client, data, skip_invalid="on")
    html = preview.content.decode()
    assert "The invalid rows listed below are skipped." in html
    assert "<td><code>abc</code></td>" in html
    applied(client.post(CONFIRM_URL, confirm_data(preview)))
    assert list(Assignment.objects.values_list("service_name", flat=True)) == ["ok"]
    run = ImportRun.objects.get()
    assert run.invalid_count == 1
    assert "line 3, Port Number 'abc'" in run.message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\x00\x01binary\x00", "The file is binary"),
        (b"caf\xe9,80\r\n", "not UTF-8 text"),
        (b"name,port\r\nhttp,80\r\n", "missing column(s)"),
    ],
)
def test_files_that_are_not_a_registry_csv_are_refused(client, importer, data, message):
    response = upload(client, data, name="upload.csv")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "confirm_form" not in response.context
    assert not Assignment.objects.exists()
    # Recorded as a refused import run, with the reason the editor was shown,
    # and the page links to it.
    run = ImportRun.objects.get()
    assert (run.file_name, run.outcome, run.started_by) == (
        "upload.csv",
        "refused",
        importer,
    )
    assert message in run.message
    assert run.message.splitlines()[0] in html.unescape(response.text)
    assert run.finished_at is not None
    assert run.sha256 == (hashlib.sha256(data).hexdigest() if data else "")
    assert (
        f'This refusal is recorded as <a href="{RUNS_URL}{run.pk}/change/">'
        f"import run {run.pk}</a>"
    ) in response.text


def test_uploads_over_the_limit_are_refused_before_parsing(
    client, importer, settings, monkeypatch
):
    settings.REGISTRY_UPLOAD_MAX_BYTES = 100
    parsed = []
    monkeypatch.setattr(importing.iana_csv, "parse", lambda data: parsed.append(data))
    response = upload(client, FIRST)
    assert f"The file is {len(FIRST):,} bytes; the limit is 100 bytes" in (
        response.content.decode()
    )
    assert parsed == []
    run = ImportRun.objects.get()
    assert run.outcome == "refused"
    assert run.message == (
        f"The file is {len(FIRST):,} bytes; the limit is 100 bytes "
        "(REGISTRY_UPLOAD_MAX_BYTES). Nothing was imported."
    )


def test_a_wrong_header_is_refused_naming_the_columns_the_file_had(client, importer):
    response = upload(client, b"Name;Port;Protocol\r\nhttp;80;tcp\r\n")
    [error] = response.context["form"].errors["import_file"]
    assert error == (
        "This is not IANA's service-names-port-numbers.csv: missing column(s) "
        "Service Name, Port Number, Transport Protocol, Description, Assignee, "
        "Contact, Registration Date, Modification Date, Reference, Service Code, "
        "Unauthorized Use Reported, Assignment Notes. "
        "This file's columns are: 'Name;Port;Protocol'. Is it comma-separated? "
        "Nothing was imported."
    )
    assert ImportRun.objects.get().message == error


def test_refused_runs_are_listed_with_their_reason_and_filtered_by_outcome(
    client, importer
):
    importing.import_registry(FIRST, file_name="first.csv")
    upload(client, b"port,name\r\n80,http\r\n", name="wrong.csv")
    listed = client.get(RUNS_URL, {"outcome__exact": "refused"})
    assert listed.status_code == 200
    body = re.search(
        r'<table id="result_list">.*?<tbody>(.*?)</tbody>', listed.text, re.S
    )
    [row] = re.findall(r"<tr.*?</tr>", body.group(1), re.S)
    assert "wrong.csv" in row
    assert (
        '<td class="field-reason">This is not IANA&#x27;s '
        "service-names-port-numbers.csv: missing column(s) Service Name, "
    ) in row
    assert "first.csv" not in listed.text
    everything = client.get(RUNS_URL)
    assert "first.csv" in everything.text and "wrong.csv" in everything.text
    # The outcome filter offers only what a run can be: a preview is no run.
    assert "Preview only" not in everything.text


def test_same_file_again_shows_no_changes_and_offers_no_confirmation(client, importer):
    importing.import_registry(FIRST, file_name="first.csv")
    response = upload(client, FIRST)
    html = response.content.decode()
    assert "No changes: the registry already matches this file." in html
    assert "confirm_form" not in response.context
    assert 'id="confirm-import"' not in html


def test_only_users_with_the_import_permission_see_and_use_the_import(client):
    viewer = staff("view_assignment", username="viewer")
    client.force_login(viewer)
    changelist = client.get(CHANGELIST_URL)
    assert changelist.status_code == 200
    assert IMPORT_URL not in changelist.content.decode()
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, FIRST).status_code == 403
    assert client.post(CONFIRM_URL, {}).status_code == 403
    assert not Assignment.objects.exists()

    client.force_login(
        staff("import_assignment", "view_assignment", username="importer")
    )
    changelist = client.get(CHANGELIST_URL)
    assert IMPORT_URL in changelist.content.decode()
    assert client.get(IMPORT_URL).status_code == 200


def test_assignments_cannot_be_added_changed_or_deleted_in_the_admin(client):
    importing.import_registry(FIRST, file_name="first.csv")
    client.force_login(User.objects.create_superuser("root", password="x"))
    assignment = Assignment.objects.get(service_name="gone")
    assert client.get(f"{CHANGELIST_URL}add/").status_code == 403
    assert (
        client.post(
            f"{CHANGELIST_URL}{assignment.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    view = client.get(f"{CHANGELIST_URL}{assignment.pk}/change/")
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()


def test_whole_registry_file_preview_stays_small(client, importer):
    path = shared_file("service-names-port-numbers-2025-03-28-LF.csv")
    importing.import_registry(
        shared_file("service-names-port-numbers-2024-04-30.csv").read_bytes(),
        file_name="2024.csv",
    )
    response = upload(client, path.read_bytes(), name=path.name)
    html = response.content.decode()
    assert len(response.content) < 200_000
    found = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert found == {
        "new": "46",
        "changed": "19",
        "unchanged": "14409",
        "withdrawn": "19",
        "invalid": "0",
    }
    assert "<del>[Tribe29_GmbH]</del> → <ins>[Checkmk_GmbH]</ins>" in html


def test_first_import_of_a_whole_file_lists_a_bounded_number_of_new_rows(
    client, importer
):
    path = shared_file("service-names-port-numbers-2024-04-30.csv")
    with open(path, newline="", encoding="utf-8") as file:
        records = sum(1 for row in list(csv.reader(file))[1:] if any(row))
    response = upload(client, path.read_bytes(), name=path.name)
    html = response.content.decode()
    assert f'data-count="new">{records}<' in html
    assert len(response.content) < 300_000
    assert f"…and {records - 500} more new rows, not listed." in html
    applied(client.post(CONFIRM_URL, confirm_data(response)))
    assert Assignment.objects.count() == records


def test_the_preview_page_names_each_element_once(client, importer):
    importing.import_registry(FIRST, file_name="first.csv")
    html = upload(client, SECOND).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert [i for i in set(ids) if ids.count(i) > 1] == []
    # What a field says it is described by is on the page.
    for described in re.findall(r'aria-describedby="([^"]+)"', html):
        for target in described.split():
            # The admin's date widget writes its time zone warning with
            # JavaScript, only where the browser's zone is not the server's.
            if not target.endswith("_timezone_warning_helptext"):
                assert f'id="{target}"' in html, target


def test_a_registry_older_than_the_newest_imported_is_refused(client, importer):
    importing.import_registry(FIRST, file_name="first.csv", registry_date=NEWEST)
    response = upload(client, SECOND, registry_date="2019-06-30")
    assert response.status_code == 200
    assert "confirm_form" not in response.context
    text = html.unescape(response.text)
    assert (
        "This registry is dated 2019-06-30, older than the newest imported "
        "(2020-01-01): its changes would run the registry's history backwards. "
        "Nothing was imported."
    ) in text
    run = ImportRun.objects.latest("pk")
    assert (run.outcome, run.started_by) == ("refused", importer)
    assert f"import run {run.pk}</a>" in response.text


NEWEST = datetime.date(2020, 1, 1)


def test_the_importer_may_give_the_registry_date(client, importer):
    importing.import_registry(FIRST, file_name="first.csv")
    preview = upload(client, SECOND, registry_date="2019-06-30")
    assert preview.status_code == 200
    assert 'name="registry_date" value="2019-06-30"' in preview.text
    applied(client.post(CONFIRM_URL, confirm_data(preview)))
    assert ImportRun.objects.latest("started_at").registry_date == datetime.date(
        2019, 6, 30
    )
