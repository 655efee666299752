"""
Broken registry files, generated: random bytes, bad encodings, truncated
quotes, huge fields, wrong column counts, ports and dates out of range. Each
is either imported correctly (importing it again changes nothing) or refused
with a message, never a traceback, and a refused file changes nothing.
"""

import codecs
import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from ports.models import Assignment, ImportRun, Port, RegistryChange
from ports.registry import importing
from tests.factories import registry_csv

HEADER = [
    "Service Name", "Port Number", "Transport Protocol", "Description",
    "Assignee", "Contact", "Registration Date", "Modification Date",
    "Reference", "Service Code", "Unauthorized Use Reported", "Assignment Notes",
]  # fmt: skip
SEED = registry_csv(
    ["http", "80", "tcp", "World Wide Web HTTP", "[Tim_Berners_Lee]"],
    ["ssh", "22", "tcp", "The Secure Shell (SSH) Protocol", "", "", "", "2006-01"],
    ["", "1024-1030", "", "Reserved"],
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def registry_state():
    return (
        sorted(Assignment.objects.values_list()),
        sorted(ImportRun.objects.values_list()),
        sorted(RegistryChange.objects.values_list()),
        sorted(Port.objects.values_list()),
    )


def check_file(data: bytes, *, skip_invalid: bool):
    """Import data inside a transaction that is rolled back afterwards."""
    with transaction.atomic():
        importing.import_registry(SEED, file_name="seed.csv")
        before = registry_state()
        try:
            plan, run = importing.import_registry(
                data, file_name="fuzz.csv", skip_invalid=skip_invalid
            )
        except importing.ImportRefused as refused:
            assert str(refused).strip(), "refused without a message"
            assert "Traceback" not in str(refused)
            assert registry_state() == before
            outcome = "refused"
        else:
            assert run.pk is not None
            assert ImportRun.objects.count() == 2
            # Imported correctly: the registry now matches the file.
            again = importing.plan_import(
                data, file_name="fuzz.csv", skip_invalid=skip_invalid
            )
            assert again.counts["new"] == again.counts["changed"] == 0, again.counts
            assert again.counts["withdrawn"] == 0
            stored = Assignment.objects.filter(withdrawn_at__isnull=True).count()
            # Rows of the file, plus those kept because a skipped row may be them.
            assert stored == (
                len(plan.new)
                + len(plan.changed)
                + plan.unchanged_count
                + len(plan.held)
            )
            outcome = "imported"
        transaction.set_rollback(True)
    return outcome


# Generators -----------------------------------------------------------------------

good_ports = st.one_of(
    st.integers(0, 65_535).map(str),
    st.tuples(st.integers(0, 300), st.integers(300, 65_535)).map(
        lambda pair: f"{pair[0]}-{pair[1]}"
    ),
)
ports = st.one_of(
    good_ports,
    good_ports,
    good_ports,
    st.integers(-100, 70_000).map(str),
    st.tuples(st.integers(-10, 70_000), st.integers(-10, 70_000)).map(
        lambda pair: f"{pair[0]}-{pair[1]}"
    ),
    st.sampled_from(
        ["", " ", "80 ", "0x50", "1e3", "٨٠", "80-", "-", "1--2", "9" * 20]
    ),
)
dates = st.one_of(
    st.just(""),
    st.dates().map(str),
    st.dates().map(lambda day: day.strftime("%Y-%m")),
    st.sampled_from(
        [
            "",
            "2024-13-01",
            "2024-02-30",
            "0000-00-00",
            "9999-12-31",
            "2024-1",
            "20240101",
        ]
    ),
    st.dates().map(str),
    st.tuples(st.integers(-5, 10_000), st.integers(-1, 14), st.integers(-1, 40)).map(
        lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"
    ),
)
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            '<script>alert(1)</script>', '=cmd|"/c calc"!A1', "'=1+1", '"', '""',
            "\u202e", "\ufeff", "a\r\nb", "x" * 300, "\ufffd",
        ]
    ),
)  # fmt: skip
transports = st.one_of(
    st.sampled_from(["tcp", "udp"]),
    st.sampled_from(["tcp", "udp"]),
    st.sampled_from(["tcp", "udp", "sctp", "dccp", "", "TCP", "ip"]),
    st.text(max_size=5),
)


good_dates = st.one_of(
    st.just(""),
    st.dates().map(str),
    st.dates().map(lambda day: day.strftime("%Y-%m")),
)
good_texts = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40
).filter(lambda text: text.strip() == text)


@st.composite
def records(draw):
    """Most rows are well formed; the others break any field or the count."""
    if draw(st.integers(0, 9)) < 7:
        return [
            draw(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)),
            draw(good_ports), draw(st.sampled_from(["tcp", "udp", "sctp"])),
            draw(good_texts), draw(good_texts), draw(good_texts),
            draw(good_dates), draw(good_dates), draw(good_texts),
            draw(good_texts), draw(good_texts), draw(good_texts),
        ]  # fmt: skip
    columns = draw(st.sampled_from([12] * 6 + [0, 1, 11, 13, 30]))
    row = [
        draw(texts), draw(ports), draw(transports), draw(texts), draw(texts),
        draw(texts), draw(dates), draw(dates), draw(texts), draw(texts),
        draw(texts), draw(texts),
    ]  # fmt: skip
    return (row + [draw(texts) for _ in range(max(0, columns - 12))])[:columns]


def to_csv(header, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@st.composite
def registry_files(draw):
    header = draw(
        st.one_of(
            st.just(HEADER),
            st.just(HEADER),
            st.just(HEADER),
            st.permutations(HEADER),
            st.lists(st.sampled_from([*HEADER, "Extra", ""]), max_size=14),
        )
    )
    text = to_csv(header, draw(st.lists(records(), min_size=0, max_size=6)))
    encoding = draw(
        st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"])
    )
    data = text.encode(encoding, errors="replace")
    mutation = draw(
        st.sampled_from(["none"] * 5 + ["truncate", "quote", "byte", "bom"])
    )
    if mutation == "truncate" and data:
        data = data[: draw(st.integers(0, len(data)))]
    elif mutation == "quote" and data:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b'"' + data[at:]
    elif mutation == "byte" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    elif mutation == "bom":
        data = codecs.BOM_UTF8 + codecs.BOM_UTF8 + data
    return data


# Properties -----------------------------------------------------------------------


@pytest.mark.django_db
@FUZZ
@given(data=st.binary(max_size=2_000))
@example(data=b"")
@example(data=b"\x00" * 10)
@example(data=b"\xff\xfe" + "Service Name".encode("utf-16-le"))
def test_random_bytes_are_refused_or_imported(data):
    event(check_file(data, skip_invalid=False))


@pytest.mark.django_db
@FUZZ
@given(data=registry_files(), skip_invalid=st.booleans())
@example(
    data=(to_csv(HEADER, [["http", "80", "tcp", "Web"]]) + '"unclosed,81,tcp').encode(),
    skip_invalid=True,
)
@example(
    data=to_csv(HEADER, [["a", "65536", "tcp"] + [""] * 9]).encode(), skip_invalid=False
)
@example(
    data=to_csv(HEADER, [["a", "-1", "tcp"] + [""] * 9]).encode(), skip_invalid=True
)
@example(
    data=to_csv(
        HEADER, [["a", "1", "tcp", "", "", "", "2024-13-45"] + [""] * 5]
    ).encode(),
    skip_invalid=False,
)
@example(
    # Found by the fuzzing: rows missing from a file with skipped invalid rows
    # are held, not withdrawn.
    data=(
        to_csv(HEADER, [["a", "0", "tcp"] + [""] * 9, ["a", "0", "tcp"] + [""] * 9])
        + "0\r\n"
    ).encode(),
    skip_invalid=True,
)
def test_malformed_registry_files_are_refused_or_imported(data, skip_invalid):
    event(check_file(data, skip_invalid=skip_invalid))


@pytest.mark.django_db
@FUZZ
@given(
    size=st.sampled_from([100_000, 131_073, 200_000, 1_000_000]),
    column=st.integers(0, 11),
)
def test_huge_fields_are_refused_or_imported(size, column):
    row = ["huge", "4444", "tcp", "d", "", "", "", "", "", "", "", ""]
    row[column] = "x" * size
    event(check_file(to_csv(HEADER, [row]).encode(), skip_invalid=True))


def test_huge_fields_beyond_csv_limits_are_refused_with_the_line(db):
    data = to_csv(HEADER, [["huge", "4444", "tcp", "x" * 200_000]]).encode()
    assert check_file(data, skip_invalid=True) == "refused"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02", "binary"),
        ("Service Name;Port".encode("utf-16"), "binary"),
        (b"\xff\xfeabc,def\n", "not UTF-8"),
        (to_csv(HEADER, [["x", "70000", "tcp"] + [""] * 9]).encode(), "invalid row"),
        ((to_csv(HEADER, []) + '"broken,1,tcp\n').encode(), "malformed"),
        (to_csv(HEADER[:5], [["a", "1", "tcp", "", ""]]).encode(), "missing column"),
    ],
)
def test_command_refuses_broken_files_with_a_message(db, tmp_path, data, message):
    path = tmp_path / "broken.csv"
    path.write_bytes(data)
    before = registry_state()
    with pytest.raises(CommandError) as refused:
        call_command("import_registry", str(path), stdout=io.StringIO())
    assert message.lower() in str(refused.value).lower()
    # Only the refusal is recorded: an import run saying why.
    recorded = ImportRun.objects.get(outcome=ImportRun.Outcome.REFUSED)
    assert recorded.message.startswith(str(refused.value))
    recorded.delete()
    assert registry_state() == before
