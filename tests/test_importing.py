"""Planning and applying registry imports: history, withdrawals, safety."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ports.admin.filters import RegistryChangedFilter
from ports.choices import AssignmentStatus, ChangeKind
from ports.models import Assignment, ImportRun, RegistryChange, Story
from ports.registry import importing
from tests.factories import make_story, registry_csv

pytestmark = pytest.mark.django_db

BASE = [
    ["http", "80", "tcp", "World Wide Web HTTP", "[Tim_Berners_Lee]", "", "", ""],
    ["http", "80", "udp", "World Wide Web HTTP", "[Tim_Berners_Lee]", "", "", ""],
    ["www", "80", "tcp", "World Wide Web HTTP", "", "", "", ""],
    ["x11", "6000-6063", "tcp", "X Window System", "[Stephen_Gildea]", "", "", ""],
    ["", "82", "tcp", "Unassigned", "", "", "", ""],
    ["", "1023", "tcp", "Reserved", "[IANA]", "", "", ""],
    ["rdp", "", "tcp", "Remote Desktop Protocol", "", "", "", ""],
    ["gone", "81", "tcp", "Will be withdrawn", "", "", "2001-01", ""],
]


def import_rows(rows, name="registry.csv", **kwargs):
    return importing.import_registry(registry_csv(*rows), file_name=name, **kwargs)


def state():
    """Everything the registry holds, for before/after comparisons."""
    return (
        sorted(Assignment.objects.values_list()),
        sorted(ImportRun.objects.values_list()),
        sorted(RegistryChange.objects.values_list()),
    )


def test_first_import_is_the_registrys_baseline_without_a_change_per_row():
    plan, run = import_rows(BASE, name="first.csv")
    assert plan.summary() == "new=8 changed=0 unchanged=0 withdrawn=0 invalid=0"
    assert plan.baseline is True
    assert Assignment.objects.count() == 8
    assert (run.file_name, run.outcome, run.total_rows, run.new_count) == (
        "first.csv",
        ImportRun.Outcome.BASELINE,
        8,
        8,
    )
    assert len(run.sha256) == 64 and run.finished_at is not None
    assert run.message == (
        "Baseline: the registry was empty; its history starts here with "
        "8 assignment(s)."
    )
    assert not RegistryChange.objects.exists()
    x11 = Assignment.objects.get(service_name="x11")
    assert x11.registry_key == "x11|tcp|6000-6063"
    assert x11.created_at == run.started_at


def test_an_import_into_a_registry_with_entries_records_each_addition():
    import_rows(BASE[:1])
    plan, run = import_rows(BASE, name="second.csv")
    assert plan.baseline is False
    assert run.outcome == ImportRun.Outcome.APPLIED
    assert run.changes.filter(kind=ChangeKind.ADDED).count() == 7
    x11 = Assignment.objects.get(service_name="x11")
    assert RegistryChange.objects.get(assignment=x11).port_high == 6063


def test_the_registry_date_is_the_newest_date_in_the_file():
    rows = [row.copy() for row in BASE]
    rows[0][6:8] = ["2019-03-05", "2023-11"]  # YYYY-MM: the month's first day
    rows[1][6:8] = ["2023-10-30", ""]
    _, run = import_rows(rows)
    assert run.registry_date == datetime.date(2023, 11, 1)
    rows[2][7] = "2024-02-29"
    plan = importing.plan_import(registry_csv(*rows), file_name="next.csv")
    assert plan.registry_date == datetime.date(2024, 2, 29)


def test_the_importer_may_give_the_registry_date():
    given = datetime.date(2026, 4, 9)
    plan, run = import_rows(BASE, registry_date=given)
    assert (plan.registry_date, run.registry_date) == (given, given)
    preview = importing.plan_import(
        registry_csv(*BASE), file_name="again.csv", registry_date=given
    )
    assert preview.registry_date == given


def test_a_file_without_dates_has_no_registry_date():
    _, run = import_rows([["http", "80", "tcp", "WWW"]])
    assert run.registry_date is None


def test_range_covers_every_port_in_it():
    import_rows(BASE)
    for number in (6000, 6001, 6032, 6063):
        assert list(
            Assignment.objects.covering(number).values_list("service_name", flat=True)
        ) == ["x11"]
    assert not Assignment.objects.covering(6064).exists()
    assert not Assignment.objects.covering(5999).exists()


def test_update_records_field_changes_old_to_new():
    import_rows(BASE)
    rows = [row.copy() for row in BASE]
    rows[0][4] = "[IESG]"
    rows[0][7] = "2025-01-02"
    plan, run = import_rows(rows, name="second.csv")
    assert plan.summary() == "new=0 changed=1 unchanged=7 withdrawn=0 invalid=0"
    change = run.changes.get()
    assert change.kind == ChangeKind.CHANGED
    assert change.fields == {
        "assignee": ["[Tim_Berners_Lee]", "[IESG]"],
        "modification_date": ["", "2025-01-02"],
    }
    assert (change.port_low, change.port_high) == (80, 80)
    assignment = Assignment.objects.get(registry_key="http|tcp|80-80")
    assert assignment.assignee == "[IESG]"
    assert assignment.updated_at == run.started_at


def test_withdrawn_assignments_are_kept_with_the_date():
    import_rows(BASE)
    plan, run = import_rows(BASE[:-1])
    assert plan.counts["withdrawn"] == 1
    gone = Assignment.objects.get(service_name="gone")
    assert gone.status == AssignmentStatus.WITHDRAWN
    assert gone.withdrawn_at == run.started_at
    assert gone.registration_date == "2001-01"
    change = gone.changes.get(kind=ChangeKind.WITHDRAWN)
    assert change.fields == {"status": ["assigned", "withdrawn"]}
    # Still withdrawn, and not withdrawn again, after the next import.
    plan, _ = import_rows(BASE[:-1])
    assert plan.has_changes is False
    assert gone.changes.count() == 1


def test_assignment_that_comes_back_is_restored():
    import_rows(BASE)
    import_rows(BASE[:-1])
    plan, run = import_rows(BASE)
    assert plan.counts["changed"] == 1
    change = run.changes.get()
    assert change.kind == ChangeKind.RESTORED
    assert change.fields == {"status": ["withdrawn", "assigned"]}
    gone = Assignment.objects.get(service_name="gone")
    assert gone.status == AssignmentStatus.ASSIGNED and gone.withdrawn_at is None


def test_same_file_again_changes_nothing_and_says_so():
    import_rows(BASE)
    before = sorted(Assignment.objects.values_list())
    plan, run = import_rows(BASE)
    assert plan.has_changes is False
    assert plan.summary() == "new=0 changed=0 unchanged=8 withdrawn=0 invalid=0"
    assert run.outcome == ImportRun.Outcome.NO_CHANGES
    assert run.message == "No changes: the registry already matches this file."
    assert not run.changes.exists()
    assert sorted(Assignment.objects.values_list()) == before


def test_whitespace_only_differences_are_not_changes():
    import_rows(BASE)
    rows = [row.copy() for row in BASE]
    rows[0][3] = "  World   Wide\nWeb  HTTP "
    rows[3][4] = " [Stephen_Gildea]\t"
    plan, _ = import_rows(rows)
    assert plan.has_changes is False
    assert plan.counts["unchanged"] == 8


def test_key_is_case_insensitive_but_a_new_case_is_a_change():
    import_rows(BASE)
    rows = [row.copy() for row in BASE]
    rows[3][0] = "X11"
    plan, run = import_rows(rows)
    assert plan.summary() == "new=0 changed=1 unchanged=7 withdrawn=0 invalid=0"
    assert run.changes.get().fields == {"service_name": ["x11", "X11"]}


def test_changed_key_reads_as_withdrawn_and_added():
    import_rows(BASE)
    rows = [row.copy() for row in BASE]
    rows[4][3] = "Reserved"  # the unnamed row on 82: its description is its identity
    plan, _ = import_rows(rows)
    assert plan.summary() == "new=1 changed=0 unchanged=7 withdrawn=1 invalid=0"
    assert Assignment.objects.get(registry_key="|tcp|82-82|reserved").status == (
        AssignmentStatus.RESERVED
    )


def test_invalid_rows_refuse_the_whole_file():
    import_rows(BASE)
    before = state()
    rows = [*BASE, ["bad", "abc", "tcp", "d"], ["worse", "70000", "tcp", "d"]]
    with pytest.raises(importing.ImportRefused) as refused:
        import_rows(rows)
    assert str(refused.value).startswith("2 invalid row(s); nothing was imported.")
    assert [(p.line, p.column, p.value) for p in refused.value.invalid] == [
        (10, "Port Number", "abc"),
        (11, "Port Number", "70000"),
    ]
    assert state() == before


def test_skip_invalid_imports_valid_rows_and_lists_the_invalid_ones():
    rows = [*BASE, ["bad", "10-5", "tcp", "d"]]
    plan, run = import_rows(rows, skip_invalid=True)
    assert plan.summary() == "new=8 changed=0 unchanged=0 withdrawn=0 invalid=1"
    assert run.invalid_count == 1
    assert (
        "line 10, Port Number '10-5': the range's first port is above its last"
        in run.message
    )


def test_skipped_invalid_row_does_not_withdraw_the_assignment_it_may_be():
    import_rows(BASE)
    rows = [row.copy() for row in BASE]
    rows[0][6] = "2024-13"  # http/tcp now has a bad date
    rows[4][1] = "eighty-two"  # and the unnamed row on 82 a bad port
    plan, run = import_rows(rows, skip_invalid=True)
    assert plan.counts["withdrawn"] == 0
    assert sorted(change.label for change in plan.held) == [
        "Unassigned 82/tcp",
        "http 80/tcp",
    ]
    assert Assignment.objects.get(registry_key="http|tcp|80-80").status == "assigned"
    assert "2 assignment(s) missing from the file were kept" in run.message


def test_unidentifiable_invalid_row_holds_back_every_withdrawal():
    import_rows(BASE)
    plan, _ = import_rows([*BASE[:-1], "short,row"], skip_invalid=True)
    assert plan.counts["withdrawn"] == 0
    assert [change.label for change in plan.held] == ["gone 81/tcp"]


def test_a_file_of_only_invalid_rows_is_refused_even_when_skipping():
    with pytest.raises(importing.ImportRefused, match="Every row is invalid"):
        import_rows([["bad", "abc", "tcp", "d"]], skip_invalid=True)
    assert not ImportRun.objects.exists()


def test_oversized_file_is_refused_before_parsing(settings, monkeypatch):
    settings.REGISTRY_UPLOAD_MAX_BYTES = 50
    monkeypatch.setattr(importing.iana_csv, "parse", pytest.fail)
    with pytest.raises(importing.ImportRefused, match="the limit is 50 bytes"):
        import_rows(BASE)
    assert not Assignment.objects.exists()


COLUMNS = [
    "Service Name",
    "Port Number",
    "Transport Protocol",
    "Description",
    "Assignee",
    "Contact",
    "Registration Date",
    "Modification Date",
    "Reference",
    "Service Code",
    "Unauthorized Use Reported",
    "Assignment Notes",
]


def refusal(data):
    with pytest.raises(importing.ImportRefused) as refused:
        importing.plan_import(data, file_name="wrong.csv")
    return str(refused.value)


def test_a_wrong_header_is_refused_naming_the_columns_the_file_had():
    message = refusal(b"Port,Service,Protocol\r\n80,http,tcp\r\n")
    assert message == (
        "This is not IANA's service-names-port-numbers.csv: missing column(s) "
        + ", ".join(COLUMNS)
        + ". This file's columns are: 'Port', 'Service', 'Protocol'. "
        "Nothing was imported."
    )
    repeated = refusal(registry_csv(header=[*COLUMNS, "service name"]))
    assert "repeated column(s) Service Name. This file's columns are: " in repeated
    assert "'Assignment Notes', 'service name'. Nothing was imported." in repeated
    assert refusal(b"\r\nhttp,80\r\n").endswith(
        "This file's first line has no column titles. Nothing was imported."
    )


def test_a_wide_garbage_header_is_quoted_in_part():
    """The first 13 titles, each cut to 40 characters, then how many more."""
    long_title = "x" * 5000
    header = ["a\nb", long_title, *(f"c{number}" for number in range(498))]
    message = refusal(registry_csv(header=header))
    shown = message.split("This file's columns are: ", 1)[1]
    assert shown == (
        "'a\\nb', '"
        + "x" * 39
        + "…', "
        + ", ".join(f"'c{number}'" for number in range(11))
        + " and 487 more. Nothing was imported."
    )
    assert len(message) < 700
    extra = refusal(registry_csv(header=[*COLUMNS, *(f"e{n}" for n in range(20))]))
    assert extra.endswith(
        "unexpected column(s) "
        + ", ".join(f"'e{number}'" for number in range(13))
        + " and 7 more. Nothing was imported."
    )


def test_failed_import_leaves_the_database_unchanged(monkeypatch):
    import_rows(BASE)
    before = state()
    rows = [row.copy() for row in BASE[:-1]]
    rows[0][4] = "[IESG]"
    rows.append(["new", "90", "tcp", "added"])

    def fail_in_the_history(done, total):
        # Reported once the assignments and then their history are written.
        if done > total // 2:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        import_rows(rows, progress=fail_in_the_history)
    assert state() == before


def test_plan_made_before_a_change_is_refused_at_confirmation():
    import_rows(BASE)
    rows = [row.copy() for row in BASE]
    rows[0][4] = "[IESG]"
    preview = importing.plan_import(registry_csv(*rows), file_name="update.csv")
    other = [row.copy() for row in BASE]
    other[0][4] = "[Someone_Else]"
    import_rows(other)
    before = state()
    with pytest.raises(importing.PlanOutdated):
        import_rows(rows, expected_fingerprint=preview.fingerprint())
    assert state() == before


def test_fingerprint_matches_when_nothing_changed_in_between():
    import_rows(BASE)
    rows = [row.copy() for row in BASE]
    rows[0][4] = "[IESG]"
    preview = importing.plan_import(registry_csv(*rows), file_name="update.csv")
    plan, run = import_rows(rows, expected_fingerprint=preview.fingerprint())
    assert plan.fingerprint() == preview.fingerprint()
    assert run.changed_count == 1


def test_import_is_set_based(django_assert_max_num_queries):
    rows = [[f"svc{n}", str(1000 + n), "tcp", f"Service {n}"] for n in range(3000)]
    # Load, lock, run row, two batches of assignments, two of history, finish,
    # and on PostgreSQL search's registry entries locked and refreshed; SQLite
    # wraps bulk writes in savepoints.
    with django_assert_max_num_queries(20):
        import_rows(rows)
    rows[5][3] = "Changed"
    with django_assert_max_num_queries(14):
        plan, _ = import_rows(rows[:-10])
    assert plan.summary() == "new=0 changed=1 unchanged=2989 withdrawn=10 invalid=0"


def test_plan_loads_existing_assignments_in_one_query():
    import_rows(BASE)
    with CaptureQueriesContext(connection) as queries:
        importing.plan_import(registry_csv(*BASE), file_name="again.csv")
    # The newest imported registry's date (an older one is refused), then
    # every assignment at once.
    assert len(queries) == 2
    assert "ports_importrun" in queries[0]["sql"]
    assert "ports_assignment" in queries[1]["sql"]


def test_registry_change_flags_stories_reviewed_before_it():
    import_rows(BASE)
    reviewed = make_story(80, last_reviewed_at=timezone.now())
    never_reviewed = make_story(6001)
    unaffected = make_story(5000)
    # The baseline is where the registry's history starts, not a change.
    assert set(Story.objects.registry_changed()) == set()
    rows = [row.copy() for row in BASE]
    rows[0][4] = "[IESG]"
    rows[3][4] = "[X_Consortium]"
    import_rows(rows)
    assert set(Story.objects.registry_changed()) == {reviewed, never_reviewed}
    Story.objects.filter(pk=reviewed.pk).update(last_reviewed_at=timezone.now())
    assert set(Story.objects.registry_changed()) == {never_reviewed}
    assert unaffected not in Story.objects.registry_changed()


def test_registry_changed_filter_for_the_story_admin(rf):
    import_rows(BASE)
    rows = [row.copy() for row in BASE]
    rows[4][4] = "[IANA]"
    import_rows(rows)
    changed = make_story(82)
    quiet = make_story(5000)

    def filtered(value):
        request = rf.get("/", {"registry_changed": value} if value else {})
        params = dict(request.GET.lists())
        list_filter = RegistryChangedFilter(request, params, Story, None)
        return set(list_filter.queryset(request, Story.objects.all()))

    assert filtered("yes") == {changed}
    assert filtered("no") == {quiet}
    assert filtered(None) == {changed, quiet}


def test_port_page_shows_the_registry_history(client):
    import_rows(BASE, name="first.csv")
    rows = [row.copy() for row in BASE]
    rows[3][4] = "[X_Consortium]"
    import_rows(rows[:-1], name="second.csv")
    html = client.get("/ports/6010/").content.decode()
    history = html[html.index('id="history-heading"') :]
    # Dated by the registry (BASE's newest date is 2001-01), or, where the
    # file has no dates (the second), by the import.
    assert "In the registry of" in history and "2001-01-01" in history
    assert f"{timezone.now():%Y-%m-%d}" in history and ": Changed" in history
    assert "<bdi>x11</bdi> (<bdi>6000-6063/tcp</bdi>)" in history
    withdrawn = client.get("/ports/81/").content.decode()
    assert "Withdrawn" in withdrawn[withdrawn.index('id="history-heading"') :]


def test_a_withdrawal_is_dated_by_the_registry_that_dropped_the_entry(client):
    first = registry_csv(
        ["keep", "4801", "tcp", "Kept"], ["gone", "4802", "tcp", "Gone"]
    )
    importing.import_registry(first, file_name="a.csv")
    importing.import_registry(
        registry_csv(["keep", "4801", "tcp", "Kept"]),
        file_name="b.csv",
        registry_date=datetime.date(2021, 5, 5),
    )
    html = client.get("/ports/4802/").content.decode()
    assert 'Withdrawn from the registry on <time datetime="2021-05-05' in html
