"""Exporting assignments back to IANA's CSV layout, and importing that again."""

import csv
import io
from pathlib import Path

import pytest
import tablib
from django.conf import settings
from django.contrib.auth.models import Permission, User

from ports.models import Assignment
from ports.registry import iana_csv, importing
from ports.registry.resources import AssignmentResource
from tests.factories import registry_csv

pytestmark = pytest.mark.django_db

DATA = Path(settings.BASE_DIR).parent / "shared" / "data"
EXPORT_URL = "/admin/ports/assignment/export/"

TRICKY = [
    [
        "http",
        "80",
        "tcp",
        "World Wide Web HTTP",
        "[Tim_Berners_Lee]",
        "",
        "1990-10",
        "",
    ],
    ["x11", "6000-6063", "tcp", "X Window System", "", "", "", "2024-06-12"],
    [
        "formula",
        "4000",
        "tcp",
        '\'=HYPERLINK("http://evil.example")',
        "'+1",
        "'-2",
        "",
        "",
        "'@SUM(A1)",
    ],
    ["quoted", "4001", "udp", "''=already quoted once", "'plain quote"],
    [
        "notes",
        "4002",
        "",
        "Multi-line\ndescription",
        "",
        "",
        "",
        "",
        "[RFC3501][RFC9051]",
        "",
        "",
        "Line one\n'=line two",
    ],
    ["café", "4003", "sctp", "Ünïcödé — 同期"],
    ["rdp", "", "tcp", "Remote Desktop Protocol"],
    ["", "7575-7587", "", "Unassigned"],
]


def shared_file(name):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{name} is not in ../shared/data/ beside the project")
    return path


def exported_csv():
    return AssignmentResource().export().csv


def exported_rows():
    return list(csv.reader(io.StringIO(exported_csv(), newline="")))


def test_export_uses_ianas_header_and_column_layout():
    importing.import_registry(registry_csv(*TRICKY), file_name="tricky.csv")
    header, *rows = exported_rows()
    assert header == list(iana_csv.COLUMNS.values())
    by_name = {row[0]: row for row in rows}
    assert by_name["http"] == [
        "http",
        "80",
        "tcp",
        "World Wide Web HTTP",
        "[Tim_Berners_Lee]",
        "",
        "1990-10",
        "",
        "",
        "",
        "",
        "",
    ]
    assert by_name["x11"][1] == "6000-6063"
    assert by_name["rdp"][1] == ""
    # Port-less rows come last, as in IANA's file.
    assert rows[-1][0] == "rdp"
    assert exported_csv().endswith("\r\n")


def test_values_that_spreadsheets_would_run_are_escaped():
    importing.import_registry(registry_csv(*TRICKY), file_name="tricky.csv")
    by_name = {row[0]: row for row in exported_rows()[1:]}
    formula = by_name["formula"]
    assert formula[3] == '\'=HYPERLINK("http://evil.example")'
    assert formula[4:6] == ["'+1", "'-2"]
    assert formula[8] == "'@SUM(A1)"
    assert by_name["quoted"][3:5] == ["''=already quoted once", "'plain quote"]
    for row in exported_rows()[1:]:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@"), row


def test_stored_values_are_the_unescaped_ones():
    importing.import_registry(registry_csv(*TRICKY), file_name="tricky.csv")
    formula = Assignment.objects.get(service_name="formula")
    assert formula.description == '=HYPERLINK("http://evil.example")'
    assert (formula.assignee, formula.contact, formula.reference) == (
        "+1",
        "-2",
        "@SUM(A1)",
    )
    notes = Assignment.objects.get(service_name="notes")
    assert notes.assignment_notes == "Line one\n'=line two"


def test_export_then_import_changes_nothing():
    importing.import_registry(registry_csv(*TRICKY), file_name="tricky.csv")
    plan, run = importing.import_registry(
        exported_csv().encode(), file_name="export.csv"
    )
    assert (
        plan.summary()
        == f"new=0 changed=0 unchanged={len(TRICKY)} withdrawn=0 invalid=0"
    )
    assert run.outcome == "no_changes"


def test_withdrawn_assignments_are_not_exported():
    importing.import_registry(registry_csv(*TRICKY), file_name="tricky.csv")
    importing.import_registry(registry_csv(*TRICKY[1:]), file_name="later.csv")
    names = [row[0] for row in exported_rows()[1:]]
    assert "http" not in names
    assert len(names) == len(TRICKY) - 1
    plan, _ = importing.import_registry(exported_csv().encode(), file_name="export.csv")
    assert plan.has_changes is False


def test_real_registry_round_trips_through_export():
    path = shared_file("service-names-port-numbers-2025-03-28-LF.csv")
    original = iana_csv.parse(path.read_bytes())
    importing.import_registry(path.read_bytes(), file_name=path.name)
    exported = exported_csv().encode()
    plan, _ = importing.import_registry(exported, file_name="export.csv")
    assert plan.summary() == "new=0 changed=0 unchanged=14474 withdrawn=0 invalid=0"
    again = iana_csv.parse(exported)
    assert {row.key: row.values for row in again.rows} == {
        row.key: row.values for row in original.rows
    }


def test_admin_export_needs_the_export_permission_and_gives_the_iana_layout(client):
    importing.import_registry(registry_csv(*TRICKY), file_name="tricky.csv")
    user = User.objects.create_user("exporter", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_assignment"], content_type__app_label="ports"
        )
    )
    client.force_login(user)
    assert client.get(EXPORT_URL).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="export_assignment"))
    form = client.get(EXPORT_URL)
    assert form.status_code == 200
    # No choosing of columns: an export is always a complete registry file.
    assert "assignmentresource_service_name" not in form.content.decode()
    response = client.post(EXPORT_URL, {"format": "0", "resource": "0"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    content = response.content.decode()
    assert content.splitlines()[0] == ",".join(iana_csv.COLUMNS.values())
    plan = importing.plan_import(content.encode(), file_name="admin-export.csv")
    assert plan.has_changes is False


def test_resource_import_goes_through_the_registry_import():
    """import-export's own entry point records runs and history like the others."""
    resource = AssignmentResource()
    dataset = tablib.Dataset().load(registry_csv(*TRICKY).decode(), format="csv")
    preview = resource.import_data(dataset, dry_run=True, file_name="dataset.csv")
    assert preview.totals["new"] == len(TRICKY)
    assert preview.run is None and not Assignment.objects.exists()
    result = resource.import_data(dataset, file_name="dataset.csv")
    # Into an empty registry: its baseline, with no change per row.
    assert (result.run.outcome, result.run.new_count) == ("baseline", len(TRICKY))
    assert result.run.changes.count() == 0
    assert (
        result.plan.summary()
        == f"new={len(TRICKY)} changed=0 unchanged=0 withdrawn=0 invalid=0"
    )
    bad = tablib.Dataset().load(
        registry_csv(["bad", "abc", "tcp", "d"]).decode(), format="csv"
    )
    refused = resource.import_data(bad, file_name="bad.csv")
    assert refused.has_errors()
    assert "1 invalid row(s)" in str(refused.base_errors[0].error)
    with pytest.raises(importing.ImportRefused):
        resource.import_data(bad, raise_errors=True)
