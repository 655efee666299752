"""`manage.py import_registry FILE [--dry-run] [--skip-invalid] [--json]`."""

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from ports.models import Assignment, ImportRun
from tests.factories import registry_csv

pytestmark = pytest.mark.django_db

ROWS = [
    ["http", "80", "tcp", "World Wide Web HTTP"],
    ["x11", "6000-6063", "tcp", "X Window System"],
    ["", "82", "tcp", "Unassigned"],
]


class TerminalIO(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def registry_file(tmp_path):
    def write(*rows, name="service-names-port-numbers.csv"):
        path = tmp_path / name
        path.write_bytes(registry_csv(*rows))
        return path

    return write


def run(*args, stderr=None):
    out, err = io.StringIO(), stderr or io.StringIO()
    call_command("import_registry", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_ends_with_a_one_line_summary(registry_file):
    out, err = run(registry_file(*ROWS))
    lines = out.splitlines()
    run_id = ImportRun.objects.get().pk
    # The first import into an empty registry is its baseline.
    assert lines == [
        f"Import run {run_id} recorded (Baseline (first import)).",
        "new=3 changed=0 unchanged=0 withdrawn=0 invalid=0",
    ]
    assert err == ""
    assert Assignment.objects.count() == 3


def test_same_file_again_says_no_changes(registry_file):
    path = registry_file(*ROWS)
    run(path)
    out, _ = run(path)
    assert out.splitlines()[0] == "No changes: the registry already matches this file."
    assert out.splitlines()[-1] == "new=0 changed=0 unchanged=3 withdrawn=0 invalid=0"
    assert ImportRun.objects.latest("started_at").outcome == "no_changes"


def test_dry_run_writes_nothing(registry_file):
    out, _ = run(registry_file(*ROWS), "--dry-run")
    assert out.splitlines() == [
        "Dry run: nothing was written.",
        "new=3 changed=0 unchanged=0 withdrawn=0 invalid=0",
    ]
    assert not Assignment.objects.exists() and not ImportRun.objects.exists()


def test_json_gives_the_counts_and_the_import_id(registry_file):
    out, _ = run(registry_file(*ROWS), "--json")
    result = json.loads(out)
    run_row = ImportRun.objects.get()
    assert result == {
        "new": 3,
        "changed": 0,
        "unchanged": 0,
        "withdrawn": 0,
        "invalid": 0,
        "id": run_row.pk,
        "outcome": "baseline",
        "dry_run": False,
        "file": "service-names-port-numbers.csv",
        "sha256": run_row.sha256,
        "registry_date": None,
        "baseline": True,
        "held": 0,
        "invalid_rows": [],
    }


def test_dry_run_json_has_no_import_id(registry_file):
    result = json.loads(run(registry_file(*ROWS), "--dry-run", "--json")[0])
    assert (result["id"], result["outcome"], result["new"]) == (None, "dry_run", 3)


def test_invalid_rows_refuse_the_file_with_line_column_value_and_reason(registry_file):
    path = registry_file(
        *ROWS, ["bad", "abc", "tcp", "d"], ["late", "1", "tcp", "d", "", "", "x"]
    )
    err = io.StringIO()
    with pytest.raises(CommandError) as error:
        run(path, stderr=err)
    assert error.value.returncode == 1
    assert str(error.value) == (
        "2 invalid row(s); nothing was imported. "
        "Fix them, or import the valid rows only (--skip-invalid)."
    )
    refused = ImportRun.objects.get()
    assert err.getvalue().splitlines() == [
        "invalid line 5, Port Number 'abc': not a port number or range "
        "(expected 80 or 6000-6063)",
        "invalid line 6, Registration Date 'x': "
        "not a date (expected YYYY-MM or YYYY-MM-DD)",
        f"Import run {refused.pk} recorded (Refused).",
    ]
    assert not Assignment.objects.exists()
    assert (refused.outcome, refused.invalid_count) == ("refused", 2)
    assert refused.message.splitlines() == [
        str(error.value),
        "  line 5, Port Number 'abc': not a port number or range "
        "(expected 80 or 6000-6063)",
        "  line 6, Registration Date 'x': not a date (expected YYYY-MM or YYYY-MM-DD)",
    ]


def test_refusal_as_json(registry_file):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_registry",
            str(registry_file(["bad", "70000", "tcp", "d"])),
            "--json",
            stdout=out,
        )
    result = json.loads(out.getvalue())
    assert (result["id"], result["outcome"]) == (ImportRun.objects.get().pk, "refused")
    assert result["invalid_rows"] == [
        {
            "line": 2,
            "column": "Port Number",
            "value": "70000",
            "reason": "70000 is outside 0–65535",
        }
    ]
    assert result["error"].startswith("1 invalid row(s)")


def test_skip_invalid_imports_the_valid_rows_and_lists_the_rest(registry_file):
    path = registry_file(*ROWS, ["back", "10-5", "tcp", "d"])
    out, err = run(path, "--skip-invalid")
    assert out.splitlines()[-1] == "new=3 changed=0 unchanged=0 withdrawn=0 invalid=1"
    assert err.splitlines() == [
        "skipped line 5, Port Number '10-5': the range's first port is above its last"
    ]
    assert Assignment.objects.count() == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\x1f\x8b\x08\x00\x00\x00\x00", "The file is binary"),
        (b"Service Name;Port Number\r\n", "missing column(s)"),
        (b"\xff\xfeS\x00", "The file is binary"),
        (b"Service Name,Port Number\r\ncaf\xe9,1\r\n", "not UTF-8 text"),
    ],
)
def test_files_that_are_not_a_registry_csv_are_refused(tmp_path, content, message):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError) as error:
        run(path)
    assert message in str(error.value)
    assert str(error.value).endswith("Nothing was imported.")
    assert error.value.returncode == 1
    # Recorded as a refused import run, with the reason; nothing else.
    refused = ImportRun.objects.get()
    assert (
        refused.file_name,
        refused.outcome,
        refused.message,
        refused.started_by,
    ) == (
        "upload.csv",
        "refused",
        str(error.value),
        None,
    )
    assert refused.sha256 == hashlib.sha256(content).hexdigest()
    assert not Assignment.objects.exists()


def test_a_refused_dry_run_records_nothing(tmp_path):
    path = tmp_path / "upload.csv"
    path.write_bytes(b"name,port\r\nhttp,80\r\n")
    with pytest.raises(CommandError, match="This file's columns are: 'name', 'port'."):
        run(path, "--dry-run")
    assert not ImportRun.objects.exists()


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(
        CommandError, match="Cannot read .*nope.csv: No such file or directory"
    ):
        run(tmp_path / "nope.csv")


def test_file_over_the_limit_is_refused_before_reading(
    registry_file, settings, monkeypatch
):
    settings.REGISTRY_UPLOAD_MAX_BYTES = 10
    path = registry_file(*ROWS)
    monkeypatch.setattr(Path, "read_bytes", pytest.fail)
    with pytest.raises(
        CommandError, match=r"the limit is 10 bytes \(REGISTRY_UPLOAD_MAX_BYTES\)"
    ):
        run(path)
    assert not Assignment.objects.exists()
    # Refused unread: recorded without a checksum.
    refused = ImportRun.objects.get()
    assert (refused.outcome, refused.sha256) == ("refused", "")
    assert "the limit is 10 bytes" in refused.message


def test_progress_bar_only_on_a_terminal(registry_file):
    path = registry_file(*ROWS)
    _, plain = run(path, "--dry-run")
    assert plain == ""
    terminal = TerminalIO()
    run(path, stderr=terminal)
    shown = terminal.getvalue()
    assert shown.startswith("importing: reading and comparing…")
    # A baseline writes the assignments and no change per assignment.
    assert "\rimporting: [##############################] 100% 3/3" in shown
    assert shown.endswith("\n")


def test_exit_status_of_the_real_command(tmp_path, registry_file):
    """The process exits 0 on success and 1, with the reason on stderr, on refusal."""
    # A database of its own, so the subprocess never touches the test database.
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'command.sqlite3'}",
    }

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert manage("migrate", "--noinput", "-v0").returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"not,a,registry\r\n")
    refused = manage("import_registry", str(bad))
    assert refused.returncode == 1
    assert "missing column(s) Service Name" in refused.stderr
    good = manage("import_registry", str(registry_file(*ROWS)))
    assert good.returncode == 0, good.stderr
    assert (
        good.stdout.splitlines()[-1]
        == "new=3 changed=0 unchanged=0 withdrawn=0 invalid=0"
    )
