"""Reading IANA's CSV: every quirk of the real file, and files that are refused."""

import csv
import hashlib

import pytest

from ports.choices import AssignmentStatus
from ports.registry import iana_csv
from tests.factories import registry_csv
from tests.shared_data import shared_file

HEADER = list(iana_csv.COLUMNS.values())


def only_row(data):
    parsed = iana_csv.parse(data)
    assert parsed.invalid == []
    assert len(parsed.rows) == 1
    return parsed.rows[0].values


def test_quoted_multi_line_field_with_bare_lf_inside_crlf_records():
    data = (
        "\r\n".join(
            [
                ",".join(HEADER),
                "www-http,80,tcp,World Wide Web HTTP,,,,,,,,"
                '"This is a duplicate of the\n'
                '""http"" service and should not be used."',
                "next,81,udp,After the multi-line row,,,,,,,,",
            ]
        )
        + "\r\n"
    ).encode()
    parsed = iana_csv.parse(data)
    assert [row.line for row in parsed.rows] == [2, 4]
    notes = parsed.rows[0].values["assignment_notes"]
    assert notes == 'This is a duplicate of the\n"http" service and should not be used.'
    assert parsed.rows[1].values["service_name"] == "next"


def test_lf_only_copy_reads_the_same_as_crlf():
    rows = [
        ["a", "1", "tcp", "Line one\nline two"],
        ["b", "2", "udp", "Plain"],
    ]
    crlf = registry_csv(*rows)
    lf = crlf.replace(b"\r\n", b"\n")
    assert b"\r" not in lf
    assert [r.values for r in iana_csv.parse(crlf).rows] == [
        r.values for r in iana_csv.parse(lf).rows
    ]


def test_crlf_inside_a_field_is_stored_as_lf():
    values = only_row(registry_csv(["a", "1", "tcp", "one\r\ntwo"]))
    assert values["description"] == "one\ntwo"


def test_port_range_and_named_range():
    parsed = iana_csv.parse(
        registry_csv(
            ["x11", "6000-6063", "tcp", "X Window System"],
            ["", "7575-7587", "", "Unassigned"],
        )
    )
    named, unnamed = (row.values for row in parsed.rows)
    assert (named["port_low"], named["port_high"]) == (6000, 6063)
    assert (unnamed["port_low"], unnamed["port_high"]) == (7575, 7587)
    assert parsed.rows[0].key == "x11|tcp|6000-6063"


def test_single_port_is_a_range_of_one():
    values = only_row(registry_csv(["http", "80", "tcp", "World Wide Web HTTP"]))
    assert (values["port_low"], values["port_high"]) == (80, 80)


def test_row_without_port_keeps_its_description_in_the_key():
    parsed = iana_csv.parse(
        registry_csv(
            ["rdp", "", "tcp", "Remote Desktop Protocol"],
            ["rdp", "", "tcp", "Another port-less rdp row"],
        )
    )
    assert parsed.invalid == []
    assert [row.values["port_low"] for row in parsed.rows] == [None, None]
    assert parsed.rows[0].key != parsed.rows[1].key


@pytest.mark.parametrize(
    ("description", "status"),
    [
        ("Reserved", AssignmentStatus.RESERVED),
        ("IANA Reserved", AssignmentStatus.RESERVED),
        ("Reserved - IANA", AssignmentStatus.RESERVED),
        ("Unassigned", AssignmentStatus.UNASSIGNED),
        ("unassigned", AssignmentStatus.UNASSIGNED),
        ("Unassigned [was netstat]", AssignmentStatus.UNASSIGNED),
        ("(unassigned) Possibly assigned", AssignmentStatus.UNASSIGNED),
        ("De-registered", AssignmentStatus.UNASSIGNED),
        ("Removed", AssignmentStatus.UNASSIGNED),
        ("Deprecated", AssignmentStatus.UNASSIGNED),
        ("Decomissioned Port 04/14/00, ms", AssignmentStatus.UNASSIGNED),
        ("De-Commissioned Port", AssignmentStatus.UNASSIGNED),
        ("any private mail system", AssignmentStatus.ASSIGNED),
        ("Possibly used by Sun Solaris????", AssignmentStatus.ASSIGNED),
    ],
)
def test_unnamed_rows_get_their_status_from_the_description(description, status):
    values = only_row(registry_csv(["", "1000", "tcp", description]))
    assert values["status"] == status


def test_named_rows_are_assigned_whatever_the_description_says():
    values = only_row(registry_csv(["svc", "1000", "tcp", "Reserved for svc"]))
    assert values["status"] == AssignmentStatus.ASSIGNED


def test_unnamed_rows_on_one_port_stay_apart():
    parsed = iana_csv.parse(
        registry_csv(["", "1000", "tcp", "Reserved"], ["", "1000", "tcp", "Unassigned"])
    )
    assert parsed.invalid == []
    assert len({row.key for row in parsed.rows}) == 2


def test_blank_transport_is_allowed_and_upper_case_is_folded():
    parsed = iana_csv.parse(
        registry_csv(["a", "1", "", "No transport"], ["b", "2", "TCP", "Upper"])
    )
    assert [row.values["transport"] for row in parsed.rows] == ["", "tcp"]


def test_aliases_on_one_port_and_transport_are_separate_assignments():
    parsed = iana_csv.parse(
        registry_csv(
            ["http", "80", "tcp", "World Wide Web HTTP"],
            ["www", "80", "tcp", "World Wide Web HTTP"],
            ["www-http", "80", "tcp", "World Wide Web HTTP"],
        )
    )
    assert parsed.invalid == []
    assert [row.key for row in parsed.rows] == [
        "http|tcp|80-80",
        "www|tcp|80-80",
        "www-http|tcp|80-80",
    ]


def test_dates_as_year_month_and_full_date():
    values = only_row(
        registry_csv(["a", "1", "tcp", "d", "", "", "2006-09", "2024-12-20"])
    )
    assert values["registration_date"] == "2006-09"
    assert values["modification_date"] == "2024-12-20"


def test_handles_and_references_run_together_are_kept_verbatim():
    values = only_row(
        registry_csv(
            [
                "imaps",
                "993",
                "tcp",
                "IMAP over TLS",
                "[IESG]",
                "[Vera_Heinau][Heiko_Schlichting]",
                "",
                "",
                "[RFC3501][RFC9051] see also [https://example.org/imap#x] and notes",
            ]
        )
    )
    assert values["contact"] == "[Vera_Heinau][Heiko_Schlichting]"
    assert iana_csv.bracketed_items(values["contact"]) == [
        "Vera_Heinau",
        "Heiko_Schlichting",
    ]
    assert iana_csv.bracketed_items(values["reference"]) == [
        "RFC3501",
        "RFC9051",
        "see also",
        "https://example.org/imap#x",
        "and notes",
    ]
    assert iana_csv.bracketed_items("Free text only") == ["Free text only"]
    assert iana_csv.bracketed_items("") == []


def test_non_ascii_text_survives():
    values = only_row(
        registry_csv(["café-sync", "4444", "tcp", "Synchronisation für Büros — 同期"])
    )
    assert values["service_name"] == "café-sync"
    assert values["description"] == "Synchronisation für Büros — 同期"


def test_utf8_byte_order_mark_is_ignored():
    values = only_row(b"\xef\xbb\xbf" + registry_csv(["a", "1", "tcp", "d"]))
    assert values["service_name"] == "a"


def test_older_header_known_unauthorized_uses():
    header = HEADER.copy()
    header[10] = "Known Unauthorized Uses"
    values = only_row(
        registry_csv(
            ["a", "1", "tcp", "d", "", "", "", "", "", "", "Used by malware"],
            header=header,
        )
    )
    assert values["unauthorized_use"] == "Used by malware"


def test_columns_in_another_order_are_read_by_name():
    row = ["svc", "5", "tcp", "d", "", "", "", "", "", "", "", ""]
    values = only_row(registry_csv(row[::-1], header=HEADER[::-1]))
    assert (values["service_name"], values["port_low"], values["description"]) == (
        "svc",
        5,
        "d",
    )


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        (1, "abc", "not a port number or range"),
        (1, "70000", "70000 is outside 0–65535"),
        (1, "10-5", "the range's first port is above its last"),
        (1, "80-", "not a port number or range"),
        (2, "icmp", "unknown transport"),
        (6, "2024-13", "not a real date"),
        (6, "2024-02-30", "not a real date"),
        (7, "20-01-2024", "not a date (expected YYYY-MM or YYYY-MM-DD)"),
    ],
)
def test_invalid_values_are_reported_with_line_column_value_and_reason(
    column, value, reason
):
    bad = ["svc", "100", "tcp", "d", "", "", "", ""]
    bad[column] = value
    parsed = iana_csv.parse(registry_csv(["ok", "99", "tcp", "fine"], bad))
    assert [row.values["service_name"] for row in parsed.rows] == ["ok"]
    [problem] = parsed.invalid
    assert problem.line == 3
    assert problem.column == HEADER[column]
    assert problem.value == value
    assert reason in problem.reason


def test_line_numbers_count_physical_lines_after_multi_line_fields():
    data = registry_csv(
        ["a", "1", "tcp", "one\ntwo\nthree"],
        ["b", "abc", "tcp", "bad port"],
    )
    [problem] = iana_csv.parse(data).invalid
    assert problem.line == 5


def test_row_with_wrong_number_of_columns_is_invalid():
    parsed = iana_csv.parse(registry_csv(["a", "1", "tcp", "d"], "b,2,tcp,short row"))
    [problem] = parsed.invalid
    assert (problem.line, problem.column) == (3, "row")
    assert "has 4 columns, expected 12" in problem.reason
    assert parsed.unidentified_invalid is True


def test_repeated_assignment_is_invalid_and_names_the_first_line():
    parsed = iana_csv.parse(
        registry_csv(["a", "1", "tcp", "d"], ["A", "1", "tcp", "same key, other case"])
    )
    [problem] = parsed.invalid
    assert problem.line == 3
    assert problem.reason == "repeats the assignment on line 2"


def test_whitespace_inside_name_and_description_does_not_change_the_key():
    first = iana_csv.parse(registry_csv(["", "5", "tcp", "Reserved  for\nlater"]))
    second = iana_csv.parse(registry_csv(["", "5", "tcp", "Reserved for later"]))
    assert first.rows[0].key == second.rows[0].key


def test_blank_lines_are_skipped():
    data = registry_csv(["a", "1", "tcp", "d"]) + b"\r\n,,,,,,,,,,,\r\n\r\n"
    parsed = iana_csv.parse(data)
    assert len(parsed.rows) == 1 and parsed.invalid == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \r\n\r\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The file is binary"),
        ("Service Name,Port".encode("utf-16"), "The file is binary"),
        (
            ",".join(HEADER).encode() + b"\r\nd\xe9j\xe0,1,tcp,latin-1\r\n",
            "not UTF-8 text (invalid byte 0xe9 on line 2)",
        ),
        (b"name,port,protocol\r\nhttp,80,tcp\r\n", "missing column(s) Service Name"),
        (";".join(HEADER).encode() + b"\r\n", "Is it comma-separated?"),
        (",".join(HEADER).encode() + b"\r\n", "The file has a header but no rows."),
        (
            ",".join([*HEADER, "Extra"]).encode() + b"\r\n",
            "unexpected column(s) 'Extra'",
        ),
        (
            ",".join([*HEADER, "Contact"]).encode() + b"\r\n",
            "repeated column(s) Contact",
        ),
        (
            ",".join(HEADER).encode() + b'\r\na,1,tcp,"never closed\r\n',
            "Line 2: the CSV is malformed",
        ),
    ],
)
def test_files_that_are_not_a_registry_csv_are_refused(data, message):
    with pytest.raises(iana_csv.RegistryFileError) as error:
        iana_csv.parse(data)
    assert message in str(error.value)


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil")',
        "+1",
        "-x",
        "@SUM(A1)",
        "'=already quoted",
        "''+twice",
        "'plain quote",
        "plain",
        "multi\n=line",
        "=multi\nline",
        "",
    ],
)
def test_formula_escaping_round_trips(value):
    escaped = iana_csv.escape_formula(value)
    assert escaped[:1] not in ("=", "+", "-", "@")
    assert iana_csv.clean_text(escaped) == value


def test_sha256_is_of_the_file_as_given():
    data = registry_csv(["a", "1", "tcp", "d"])
    assert iana_csv.parse(data).sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("name", "records"),
    [
        ("service-names-port-numbers-2024-04-30.csv", 14447),
        ("service-names-port-numbers-2025-03-28-LF.csv", 14474),
    ],
)
def test_real_files_parse_completely(name, records):
    data = shared_file(name).read_bytes()
    with open(shared_file(name), newline="", encoding="utf-8") as file:
        independent = sum(1 for row in list(csv.reader(file))[1:] if any(row))
    assert independent == records
    parsed = iana_csv.parse(data)
    assert parsed.invalid == []
    assert len(parsed.rows) == records
    # Ranges as the file writes them; "4748-4748" is a single port.
    with open(shared_file(name), newline="", encoding="utf-8") as file:
        ranges = [
            tuple(int(end) for end in row["Port Number"].split("-"))
            for row in csv.DictReader(file)
            if "-" in row["Port Number"]
        ]
    parsed_ranges = [
        (row.values["port_low"], row.values["port_high"])
        for row in parsed.rows
        if row.values["port_low"] != row.values["port_high"]
    ]
    assert parsed_ranges == [(low, high) for low, high in ranges if low != high]
    assert len(parsed_ranges) > 700
