"""
The two real registry exports in ../shared/data/, imported end to end.

Expected counts are worked out here from the files with the csv module alone,
independently of ports.registry.iana_csv, and compared with what the import did.
"""

import csv
import datetime
import io
import re

import pytest
from django.db.models import Count

from ports.choices import AssignmentStatus
from ports.models import Assignment, ImportRun, RegistryChange
from ports.registry import importing
from tests.shared_data import NEWER, OLDER, shared_file

pytestmark = pytest.mark.django_db


def records(name):
    """key → the row's cells with whitespace squashed, by the csv module only."""
    with open(shared_file(name), newline="", encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))[1:]
    result = {}
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        cells = [re.sub(r"\s+", " ", cell).strip() for cell in row]
        name, port, transport, description = cells[:4]
        if port:
            low, _, high = port.partition("-")
            port = f"{int(low)}-{int(high or low)}"
        key = (name.lower(), transport.lower(), port)
        if not name or not port:
            key += (description.lower(),)
        assert key not in result, key
        result[key] = cells
    return result


def expected_update(old, new):
    return {
        "new": len(new.keys() - old.keys()),
        "changed": sum(1 for key in new.keys() & old.keys() if new[key] != old[key]),
        "unchanged": sum(1 for key in new.keys() & old.keys() if new[key] == old[key]),
        "withdrawn": len(old.keys() - new.keys()),
        "invalid": 0,
    }


def import_file(name):
    path = shared_file(name)
    return importing.import_registry(path.read_bytes(), file_name=path.name)


@pytest.mark.parametrize(("name", "count"), [(OLDER, 14447), (NEWER, 14474)])
def test_whole_file_into_an_empty_registry(name, count):
    expected = records(name)
    assert len(expected) == count
    plan, run = import_file(name)
    assert plan.counts == {
        "new": count,
        "changed": 0,
        "unchanged": 0,
        "withdrawn": 0,
        "invalid": 0,
    }
    assert (run.total_rows, run.new_count) == (count, count)
    assert Assignment.objects.count() == count
    # The registry's baseline, dated as the file's name says: no change rows.
    assert run.outcome == ImportRun.Outcome.BASELINE
    assert run.registry_date.isoformat() in name
    assert not RegistryChange.objects.exists()
    named = sum(1 for key in expected if key[0])
    assert Assignment.objects.exclude(service_name="").count() == named
    portless = sum(1 for key in expected if not key[2])
    assert Assignment.objects.filter(port_low__isnull=True).count() == portless
    blank_transport = sum(1 for key in expected if not key[1])
    assert Assignment.objects.filter(transport="").count() == blank_transport


def test_update_between_the_two_real_files():
    old, new = records(OLDER), records(NEWER)
    expected = expected_update(old, new)
    assert expected == {
        "new": 46,
        "changed": 19,
        "unchanged": 14409,
        "withdrawn": 19,
        "invalid": 0,
    }
    import_file(OLDER)
    plan, run = import_file(NEWER)
    assert plan.counts == expected
    assert (run.new_count, run.changed_count, run.withdrawn_count) == (46, 19, 19)
    kinds = dict(
        RegistryChange.objects.filter(run=run)
        .values_list("kind")
        .annotate(count=Count("id"))
    )
    assert kinds == {"added": 46, "changed": 19, "withdrawn": 19}
    # Withdrawn assignments are kept, dated by the registry that dropped them.
    withdrawn = Assignment.objects.filter(status=AssignmentStatus.WITHDRAWN)
    assert withdrawn.count() == 19
    assert run.registry_date == datetime.date(2025, 3, 28)
    assert set(withdrawn.values_list("withdrawn_at", flat=True)) == {
        datetime.datetime(2025, 3, 28, tzinfo=datetime.UTC)
    }
    assert Assignment.objects.current().count() == len(new)
    assert Assignment.objects.count() == len(new) + 19
    # A change records old → new per field.
    checkmk = Assignment.objects.get(registry_key="checkmk-agent|tcp|6556-6556")
    assert checkmk.changes.get(run=run).fields == {
        "assignee": ["[Tribe29_GmbH]", "[Checkmk_GmbH]"],
        "modification_date": ["", "2024-08-06"],
    }


def test_same_file_again_is_a_no_op():
    import_file(OLDER)
    import_file(NEWER)
    before = sorted(Assignment.objects.values_list())
    changes = RegistryChange.objects.count()
    plan, run = import_file(NEWER)
    assert plan.has_changes is False
    assert plan.counts["unchanged"] == 14474
    assert run.outcome == ImportRun.Outcome.NO_CHANGES
    assert sorted(Assignment.objects.values_list()) == before
    assert RegistryChange.objects.count() == changes


def test_port_pages_show_the_real_update(client):
    import_file(OLDER)
    import_file(NEWER)
    html = client.get("/ports/2/").content.decode()
    history = html[html.index('id="history-heading"') :]
    assert "Gone from the registry of" in history
    assert "Added in the registry of" in history
    assert "In the registry of" in history
    assert ">2025-03-28</time>" in history and ">2024-04-30</time>" in history
    html = client.get("/ports/6556/").content.decode()
    assert "Changed in the registry of" in html[html.index('id="history-heading"') :]


def test_registry_wide_change_is_applied_in_bulk():
    """Every description revised: thousands of updates, each recorded old → new."""
    path = shared_file(OLDER)
    with open(path, newline="", encoding="utf-8") as file:
        header, *rows = csv.reader(file)
    for row in rows:
        row[3] = f"{row[3]} (revised)"
    revised = io.StringIO()
    csv.writer(revised, lineterminator="\r\n").writerows([header, *rows])
    import_file(OLDER)
    old = records(OLDER)
    # Unnamed and port-less rows are identified by their description.
    rekeyed = sum(1 for key in old if len(key) == 4)
    plan, run = importing.import_registry(
        revised.getvalue().encode(), file_name="revised.csv"
    )
    assert plan.counts == {
        "new": rekeyed,
        "changed": len(old) - rekeyed,
        "unchanged": 0,
        "withdrawn": rekeyed,
        "invalid": 0,
    }
    x11 = Assignment.objects.get(registry_key="x11|tcp|6000-6063")
    assert x11.description == "X Window System (revised)"
    assert x11.changes.get(run=run).fields == {
        "description": ["X Window System", "X Window System (revised)"]
    }
    assert (
        Assignment.objects.current().exclude(description__endswith="(revised)").count()
        == 0
    )
    assert RegistryChange.objects.filter(run=run).count() == len(old) + rekeyed
