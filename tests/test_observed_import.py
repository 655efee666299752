"""
`manage.py import_observed nmap|services FILE [--dry-run]`: nmap-services and
the services file imported as dated sources, read from where they are.
"""

import datetime
import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ports.imports import ImportRefused
from ports.models import ObservedPort, ObservedRun
from ports.observed.signals import observed_imported

pytestmark = pytest.mark.django_db

INSTALLED_NMAP = Path("/usr/share/nmap/nmap-services")
INSTALLED_SERVICES = Path("/etc/services")

NMAP = (
    "# Well known service port numbers -*- mode: fundamental; -*-\n"
    "# $Id: nmap-services 38442 2022-08-31 22:53:46Z dmiller $\n"
    "# Fields in this file are: Service name, portnum/protocol, open-frequency\n"
    "tcpmux\t1/tcp\t0.001995\t# TCP Port Service Multiplexer\n"
    "unknown\t4/tcp\t0.000477\n"
    "rje\t5/tcp\t0.000000\t# Remote Job Entry\n"
    "echo\t7/sctp\t0.000000\n"
    "http\t80/tcp\t0.484143\t# World Wide Web HTTP\n"
    "http\t80/udp\t0.035767\t# World Wide Web HTTP\n"
    "https\t443/tcp\t0.208669\t# secure http (SSL)\n"
    "ipp\t631/udp\t0.450281\t# Internet Printing Protocol\n"
)
SERVICES = (
    "# Network services, Internet style\n"
    "\n"
    "tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer\n"
    "discard\t\t9/udp\t\tsink null\n"
    "http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP\n"
    "rtmp\t\t1/ddp\t\t\t# Routing Table Maintenance Protocol\n"
    "\n"
    "# Local services\n"
)
# 2021-03-27 12:00 UTC, the modification time of Debian's netbase 6.4 file.
SERVICES_MTIME = 1616846400


@pytest.fixture
def write(tmp_path):
    def write(text, name="nmap-services", mtime=None):
        path = tmp_path / name
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    return write


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_observed", *map(str, args), stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


def rows(source="nmap"):
    return {
        (port, transport): (name, frequency, rank)
        for port, transport, name, frequency, rank in ObservedPort.objects.filter(
            source=source
        ).values_list("port", "transport", "name", "frequency", "frequency_rank")
    }


def test_nmap_import_stores_frequencies_with_ranks_per_transport(write):
    out, err = run("nmap", write(NMAP))
    run_ = ObservedRun.objects.get()
    assert out == [
        "Dated 2022-08-31 by the file's header, revision 38442.",
        f"Import run {run_.pk} recorded (Applied).",
        "new=8 changed=0 unchanged=0 removed=0 skipped=0",
    ]
    assert err == ""
    # Ranked as nmap --top-ports ranks a protocol's ports; ties share a rank.
    assert rows() == {
        (80, "tcp"): ("http", 0.484143, 1),
        (443, "tcp"): ("https", 0.208669, 2),
        (1, "tcp"): ("tcpmux", 0.001995, 3),
        (4, "tcp"): ("unknown", 0.000477, 4),
        (5, "tcp"): ("rje", 0.0, 5),
        (631, "udp"): ("ipp", 0.450281, 1),
        (80, "udp"): ("http", 0.035767, 2),
        (7, "sctp"): ("echo", 0.0, 1),
    }
    assert (
        run_.source,
        run_.file_name,
        run_.source_date,
        run_.source_version,
        run_.dated_by,
        run_.outcome,
        run_.current,
        run_.total_rows,
        run_.new_count,
    ) == (
        "nmap",
        "nmap-services",
        datetime.date(2022, 8, 31),
        "38442",
        "header",
        "applied",
        True,
        8,
        8,
    )
    assert ObservedPort.objects.get(port=1).comment == "TCP Port Service Multiplexer"
    assert [row.name for row in ObservedPort.objects.for_port(80)] == ["http", "http"]


def test_dry_run_previews_every_row_and_writes_nothing(write):
    out, _err = run("nmap", write(NMAP), "--dry-run")
    assert out[0] == "Dated 2022-08-31 by the file's header, revision 38442."
    assert (
        "+ 80/tcp http: frequency: 0.484143, frequency_rank: 1, "
        "comment: World Wide Web HTTP"
    ) in out
    assert "+ 7/sctp echo: frequency: 0.000000, frequency_rank: 1" in out
    assert out[-2:] == [
        "Dry run: nothing was written.",
        "new=8 changed=0 unchanged=0 removed=0 skipped=0",
    ]
    assert not ObservedRun.objects.exists()
    assert not ObservedPort.objects.exists()


def test_importing_the_same_file_again_changes_nothing(write):
    path = write(NMAP)
    run("nmap", path)
    ids = set(ObservedPort.objects.values_list("pk", flat=True))
    sent = []
    observed_imported.connect(receiver := lambda **kw: sent.append(kw), weak=False)
    try:
        out, _err = run("nmap", path)
    finally:
        observed_imported.disconnect(receiver)
    again = ObservedRun.objects.order_by("-pk").first()
    assert out == [
        "Dated 2022-08-31 by the file's header, revision 38442.",
        "No changes: the live data already matches this file.",
        f"Import run {again.pk} recorded (No changes).",
        "new=0 changed=0 unchanged=8 removed=0 skipped=0",
    ]
    assert (again.outcome, again.current) == ("no_changes", False)
    assert ObservedRun.objects.current().get().outcome == "applied"
    # Not rewritten, and nothing to purge.
    assert set(ObservedPort.objects.values_list("pk", flat=True)) == ids
    assert sent == []


def test_a_new_file_replaces_the_source_and_its_preview_names_each_change(write):
    run("nmap", write(NMAP))
    first = ObservedRun.objects.get()
    newer = (
        NMAP.replace("38442 2022-08-31", "38600 2023-05-01")
        .replace("0.484143", "0.5")
        .replace("https\t443/tcp\t0.208669\t# secure http (SSL)\n", "")
        + "ssh\t22/tcp\t0.182286\t# Secure Shell Login\n"
    )
    path = write(newer)
    out, _err = run("nmap", path, "--dry-run")
    assert out[:4] == [
        "Dated 2023-05-01 by the file's header, revision 38600.",
        "+ 22/tcp ssh: frequency: 0.182286, frequency_rank: 2, "
        "comment: Secure Shell Login",
        "~ 80/tcp http: frequency: 0.484143 → 0.500000",
        "- 443/tcp https: frequency: 0.208669, frequency_rank: 2, "
        "comment: secure http (SSL)",
    ]
    assert out[-1] == "new=1 changed=1 unchanged=6 removed=1 skipped=0"

    sent = []
    observed_imported.connect(receiver := lambda **kw: sent.append(kw), weak=False)
    try:
        out, _err = run("nmap", path)
    finally:
        observed_imported.disconnect(receiver)
    assert out[-1] == "new=1 changed=1 unchanged=6 removed=1 skipped=0"
    first.refresh_from_db()
    latest = ObservedRun.objects.current().get()
    assert (first.current, latest.source_date, latest.source_version) == (
        False,
        datetime.date(2023, 5, 1),
        "38600",
    )
    assert rows()[(80, "tcp")] == ("http", 0.5, 1)
    assert rows()[(22, "tcp")] == ("ssh", 0.182286, 2)
    assert (443, "tcp") not in rows()
    assert set(ObservedPort.objects.values_list("run", flat=True)) == {latest.pk}
    # A new date changes what every port page says.
    assert [(kw["run"], kw["ports"]) for kw in sent] == [(latest, None)]


def test_a_change_of_rows_alone_names_the_ports_it_touched(write):
    run("nmap", write(NMAP))
    sent = []
    observed_imported.connect(receiver := lambda **kw: sent.append(kw), weak=False)
    try:
        run("nmap", write(NMAP.replace("0.035767", "0.04")))
    finally:
        observed_imported.disconnect(receiver)
    assert [kw["ports"] for kw in sent] == [{80}]


def test_services_file_names_and_aliases_dated_by_its_modification_time(write):
    out, _err = run("services", write(SERVICES, "services", mtime=SERVICES_MTIME))
    assert out == [
        "Dated 2021-03-27 by the file's modification time.",
        "Skipped lines of protocols that are not IP transports: ddp (1)",
        f"Import run {ObservedRun.objects.get().pk} recorded (Applied).",
        "new=3 changed=0 unchanged=0 removed=0 skipped=1",
    ]
    assert list(
        ObservedPort.objects.services().values_list(
            "port", "transport", "name", "aliases", "frequency", "comment"
        )
    ) == [
        (1, "tcp", "tcpmux", [], None, "TCP port service multiplexer"),
        (9, "udp", "discard", ["sink", "null"], None, ""),
        (80, "tcp", "http", ["www"], None, "WorldWideWeb HTTP"),
    ]
    run_ = ObservedRun.objects.get()
    assert (run_.source_date, run_.dated_by, run_.skipped_count) == (
        datetime.date(2021, 3, 27),
        "modified",
        1,
    )
    assert "ddp (1)" in run_.message


def test_a_copy_of_the_same_services_file_is_no_change_and_keeps_its_date(write):
    run("services", write(SERVICES, "services", mtime=SERVICES_MTIME))
    ids = set(ObservedPort.objects.values_list("pk", flat=True))
    sent = []
    observed_imported.connect(receiver := lambda **kw: sent.append(kw), weak=False)
    try:
        # Byte for byte the same file, copied a year later: a new mtime.
        copy = write(SERVICES, "services-copy", mtime=SERVICES_MTIME + 365 * 86400)
        out, _err = run("services", copy)
    finally:
        observed_imported.disconnect(receiver)
    assert out[0] == "Dated 2021-03-27 by the file's modification time."
    assert "No changes: the live data already matches this file." in out
    assert ObservedRun.objects.order_by("-pk").first().outcome == "no_changes"
    live = ObservedRun.objects.current().get()
    assert live.source_date == datetime.date(2021, 3, 27)
    # Not rewritten, and no page purged.
    assert set(ObservedPort.objects.values_list("pk", flat=True)) == ids
    assert sent == []


def test_a_services_file_naming_a_port_twice_keeps_one_row_with_both_aliases(write):
    text = "http 80/tcp www\nhttp 80/tcp web www\n"
    run("services", write(text, "services"))
    assert list(ObservedPort.objects.values_list("name", "aliases")) == [
        ("http", ["www", "web"])
    ]


REFUSALS = {
    "services file as nmap": (
        "nmap",
        SERVICES,
        "It looks like a services file: import it with "
        "`manage.py import_observed services`.",
    ),
    "nmap file as services": (
        "services",
        NMAP,
        "It looks like nmap-services: import it with `manage.py import_observed nmap`.",
    ),
    "port out of range": (
        "nmap",
        NMAP + "big\t70000/tcp\t0.1\n",
        "line 12: 70000 is not a port number (0–65535)",
    ),
    "frequency above one": (
        "nmap",
        NMAP + "odd\t99/tcp\t1.5\n",
        "line 12: '1.5' is not a frequency (a number from 0 to 1)",
    ),
    "no protocol": (
        "services",
        "ssh 22\n",
        "line 1: '22' is not port/protocol (such as 80/tcp)",
    ),
    "duplicate line": (
        "nmap",
        NMAP + "www\t80/tcp\t0.1\n",
        "line 12: 80/tcp is listed already, on line 8",
    ),
    "comments only": (
        "services",
        "# nothing here\n\n",
        "No entries: this is not a services file (lines of "
        "`name port/protocol [aliases]`). Nothing was imported.",
    ),
    "binary": (
        "nmap",
        b"\x7fELF\x02\x01\x01\x00\x00",
        "Line 1 holds a NUL byte: this is not a text file, let alone "
        "nmap-services. Nothing was imported.",
    ),
    "not UTF-8": (
        "services",
        b"# ok\nh\xe9llo 1/tcp\n",
        "Line 2 is not UTF-8 text: is this a services file? Nothing was imported.",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_bad_file_is_refused_recorded_and_changes_nothing(case, write):
    run("nmap", write(NMAP, "good"))
    run("services", write(SERVICES, "good-services"))
    before = {source: rows(source) for source in ("nmap", "services")}
    live = set(ObservedRun.objects.current().values_list("pk", flat=True))

    source, text, message = REFUSALS[case]
    path = write(text, "bad-file")
    with pytest.raises(CommandError) as raised:
        run(source, path)
    assert raised.value.returncode == 1
    assert message in str(raised.value)

    refused = ObservedRun.objects.order_by("-pk").first()
    assert (refused.source, refused.file_name, refused.outcome, refused.current) == (
        source,
        "bad-file",
        "refused",
        False,
    )
    assert message in refused.message
    assert len(refused.sha256) == 64
    assert {source: rows(source) for source in ("nmap", "services")} == before
    assert set(ObservedRun.objects.current().values_list("pk", flat=True)) == live


def test_a_file_removing_more_than_half_the_rows_is_refused_unless_allowed(write):
    run("nmap", write(NMAP))
    before = rows()
    cut = "".join(NMAP.splitlines(keepends=True)[:4])  # header and one entry
    path = write(cut, "nmap-services-cut")

    out, err = run("nmap", path, "--dry-run")
    assert out[-1] == "new=0 changed=1 unchanged=0 removed=7 skipped=0"
    assert "would be refused" in err and "--allow-shrink" in err

    with pytest.raises(CommandError) as raised:
        run("nmap", path)
    assert str(raised.value) == (
        "The file would remove 7 of the 8 live rows (1 in the file): is it "
        "truncated? Nothing was imported. If it is whole, import it with "
        "--allow-shrink."
    )
    refused = ObservedRun.objects.order_by("-pk").first()
    assert (refused.outcome, refused.file_name) == ("refused", "nmap-services-cut")
    assert rows() == before

    out, _err = run("nmap", path, "--allow-shrink")
    assert out[-1] == "new=0 changed=1 unchanged=0 removed=7 skipped=0"
    assert list(rows()) == [(1, "tcp")]


def test_an_nmap_file_without_its_id_header_is_imported_with_a_warning(write):
    headerless = NMAP.replace(
        "# $Id: nmap-services 38442 2022-08-31 22:53:46Z dmiller $\n", ""
    )
    out, err = run("nmap", write(headerless, mtime=SERVICES_MTIME))
    assert out[0] == "Dated 2021-03-27 by the file's modification time."
    assert err.splitlines()[0] == (
        "Warning: No $Id header: nmap's own nmap-services has one. Is this file "
        "whole, and nmap's?"
    )
    live = ObservedRun.objects.current().get()
    assert "No $Id header" in live.message
    assert len(rows()) == 8


def test_a_refusal_lists_its_lines_and_says_nothing_was_imported(write):
    with pytest.raises(CommandError) as raised:
        run("nmap", write("ssh 22/tcp\nsmtp 25/tcp mail\n"))
    assert str(raised.value).splitlines() == [
        "2 line(s) are not entries of nmap-services (`name port/protocol "
        "frequency`); nothing was imported.",
        "It looks like a services file: import it with "
        "`manage.py import_observed services`.",
        "  line 1: 2 field(s) where nmap-services has 3 (name, port/protocol, "
        "frequency)",
        "  line 2: 'mail' is not a frequency (a number from 0 to 1)",
    ]


def test_a_refused_dry_run_records_nothing(write):
    with pytest.raises(CommandError, match="not a frequency"):
        run("nmap", write("ssh 22/tcp x\n"), "--dry-run")
    assert not ObservedRun.objects.exists()


def test_a_missing_file_is_an_error_and_records_nothing(tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*: No such file"):
        run("nmap", tmp_path / "absent")
    assert not ObservedRun.objects.exists()


def test_an_unknown_source_is_refused_by_the_arguments(write):
    with pytest.raises(CommandError, match="invalid choice: 'iana'"):
        run("iana", write(NMAP))


def test_an_import_that_fails_part_way_changes_nothing(write):
    """One transaction: a failure after the rows are replaced undoes all of it."""
    run("nmap", write(NMAP))
    before = rows()
    live = ObservedRun.objects.current().get()

    def fail(**kwargs):
        assert ObservedPort.objects.filter(frequency=0.9).exists()  # written
        raise RuntimeError("the purge failed")

    observed_imported.connect(fail, weak=False)
    try:
        with pytest.raises(RuntimeError, match="the purge failed"):
            run("nmap", write(NMAP.replace("0.484143", "0.9")))
    finally:
        observed_imported.disconnect(fail)
    assert rows() == before
    assert ObservedRun.objects.current().get() == live
    assert ObservedRun.objects.count() == 1


# The files Debian installs: nmap-common's and netbase's. Read where they are.


def installed(path):
    if not path.exists():
        pytest.skip(f"{path} is not installed (Debian's nmap-common / netbase)")
    return path


def test_the_installed_nmap_services_imports_and_again_changes_nothing():
    path = installed(INSTALLED_NMAP)
    out, _err = run("nmap", path)
    run_ = ObservedRun.objects.get()
    assert run_.dated_by == "header" and run_.source_date is not None
    assert run_.source_version.isdigit()
    total = ObservedPort.objects.nmap().count()
    assert total > 20000 and out[-1].startswith(f"new={total} changed=0")
    # http has led nmap's TCP table for as long as it has had frequencies.
    top = ObservedPort.objects.top_open("tcp", 3)
    assert [(row.port, row.frequency_rank) for row in top][:1] == [(80, 1)]
    out, _err = run("nmap", path)
    assert out[-1] == f"new=0 changed=0 unchanged={total} removed=0 skipped=0"


def test_the_installed_services_file_imports_and_again_changes_nothing():
    path = installed(INSTALLED_SERVICES)
    out, _err = run("services", path)
    ssh = ObservedPort.objects.services().get(port=22, transport="tcp")
    assert ssh.name == "ssh"
    run_ = ObservedRun.objects.get()
    modified = datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC)
    assert (run_.dated_by, run_.source_date) == ("modified", modified.date())
    out, _err = run("services", path)
    assert "No changes: the live data already matches this file." in out


def test_both_imports_refuse_a_file_with_one_exception():
    """Whoever imports files of either kind catches one refusal."""
    from ports.observed import importing as observed
    from ports.registry import importing as registry

    with pytest.raises(ImportRefused, match="not a text file"):
        observed.plan_import("nmap", b"\x00", file_name="nmap-services")
    with pytest.raises(ImportRefused, match="Nothing was imported"):
        registry.plan_import(b"\x00", file_name="registry.csv")
