"""
Reading IANA's service-names-port-numbers.csv: columns, quirks, validation.

Plain functions with no database access. ports.registry.importing decides what a
parsed file changes; this module only says what the file holds.

Quirks of the real file that are handled here:

- quoted multi-line fields: bare LF inside CRLF records, and LF-only copies;
- a UTF-8 byte order mark;
- the older header "Known Unauthorized Uses" for column 11;
- port ranges ("6000-6063"), rows with no port and rows with no service name;
- a blank transport;
- dates as YYYY-MM or YYYY-MM-DD;
- bracketed handles and references run together ("[RFC3501][RFC9051]"),
  kept verbatim and split on demand by bracketed_items().
"""

import csv
import datetime
import hashlib
import io
import re
from dataclasses import dataclass, field

from ports.choices import PORT_MAX, PORT_MIN, AssignmentStatus, Transport

# Model field → IANA column header, in the registry's own column order.
COLUMNS = {
    "service_name": "Service Name",
    "port": "Port Number",
    "transport": "Transport Protocol",
    "description": "Description",
    "assignee": "Assignee",
    "contact": "Contact",
    "registration_date": "Registration Date",
    "modification_date": "Modification Date",
    "reference": "Reference",
    "service_code": "Service Code",
    "unauthorized_use": "Unauthorized Use Reported",
    "assignment_notes": "Assignment Notes",
}
# Older exports name column 11 differently.
HEADER_ALIASES = {"known unauthorized uses": "unauthorized_use"}

TEXT_FIELDS = (
    "service_name",
    "description",
    "assignee",
    "contact",
    "reference",
    "service_code",
    "unauthorized_use",
    "assignment_notes",
)

# The assignment fields an import compares and writes (the port is split in two).
VALUE_FIELDS = (
    "service_name",
    "transport",
    "port_low",
    "port_high",
    "description",
    "assignee",
    "contact",
    "registration_date",
    "modification_date",
    "reference",
    "service_code",
    "unauthorized_use",
    "assignment_notes",
    "status",
)

SERVICE_NAME_MAX = 255
# How much of a refused header its message quotes: one more title than the
# registry has columns, so a file with one column too many is shown whole.
HEADER_SHOWN = len(COLUMNS) + 1
HEADER_TITLE_MAX = 40
TRANSPORTS = frozenset(Transport.values)

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
_PORT_RE = re.compile(r"^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$")
_WHITESPACE_RE = re.compile(r"\s+")
# Spreadsheets run a cell that starts with one of these as a formula. The export
# puts a quote before such a value (and before one that already starts with
# quotes and then one of these), and the import takes exactly one quote off,
# so that exporting and importing again gives the value back unchanged.
_FORMULA_RE = re.compile(r"^'*[=+\-@]")
_ESCAPED_FORMULA_RE = re.compile(r"^'(?='*[=+\-@])")
_BRACKETED_RE = re.compile(r"\[([^\[\]]*)\]")

# Unnamed rows say what the port is in free text ("Unassigned", "IANA Reserved",
# "De-registered", "Decomissioned Port 04/14/00"…); the first of these words wins.
_RESERVED_RE = re.compile(r"\breserved\b", re.IGNORECASE)
_UNASSIGNED_RE = re.compile(
    r"\b(?:unassigned|de-?registered|removed|deprecated|de-?com+is+ioned)\b",
    re.IGNORECASE,
)


class RegistryFileError(ValueError):
    """The file as a whole is not a registry CSV we can read."""


@dataclass(frozen=True)
class InvalidRow:
    line: int
    column: str
    value: str
    reason: str

    def __str__(self):
        return f"line {self.line}, {self.column} {self.value!r}: {self.reason}"

    def as_dict(self):
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass
class ParsedRow:
    line: int
    key: str
    values: dict


@dataclass
class ParsedFile:
    sha256: str
    rows: list[ParsedRow] = field(default_factory=list)
    invalid: list[InvalidRow] = field(default_factory=list)
    # What can be told of the invalid rows' identity, so that an import that
    # skips them does not mistake them for assignments removed from the
    # registry: casefolded service names, casefolded descriptions of unnamed
    # rows, and whether some invalid row could not be identified at all.
    invalid_names: set[str] = field(default_factory=set)
    invalid_descriptions: set[str] = field(default_factory=set)
    unidentified_invalid: bool = False

    @property
    def total(self):
        return len(self.rows) + self.invalid_count

    @property
    def invalid_count(self):
        return len({problem.line for problem in self.invalid})


def squash(value: str) -> str:
    """A field's value for comparison: runs of whitespace count as one space."""
    return _WHITESPACE_RE.sub(" ", value).strip()


def natural_key(values: dict) -> str:
    """
    The stable identity of an assignment, since the registry has no key column.

    Named rows with a port: service name (case-insensitive), transport and port
    range. Rows without a name or without a port add their description, which
    is what tells apart e.g. the two port-less "rdp" rows, or "Reserved" and
    "Unassigned" rows on one port. Whitespace inside the name and description
    does not count, so reflowed text keeps its identity.
    """
    name = squash(values["service_name"]).casefold()
    ports = ""
    if values["port_low"] is not None:
        ports = f"{values['port_low']}-{values['port_high']}"
    key = f"{name}|{values['transport']}|{ports}"
    if not name or not ports:
        key += "|" + squash(values["description"]).casefold()
    return key


def status_for(service_name: str, description: str) -> str:
    """A row's status: named rows are assigned; unnamed ones say so in words."""
    if service_name:
        return AssignmentStatus.ASSIGNED
    first_line = description.split("\n", 1)[0]
    reserved = _RESERVED_RE.search(first_line)
    unassigned = _UNASSIGNED_RE.search(first_line)
    if reserved and (not unassigned or reserved.start() < unassigned.start()):
        return AssignmentStatus.RESERVED
    if unassigned:
        return AssignmentStatus.UNASSIGNED
    return AssignmentStatus.ASSIGNED


def parse_port(text: str) -> tuple[int | None, int | None]:
    if text == "":
        return None, None
    match = _PORT_RE.match(text)
    if not match:
        raise ValueError("not a port number or range (expected 80 or 6000-6063)")
    low = int(match[1])
    high = int(match[2]) if match[2] is not None else low
    for number in (low, high):
        if not PORT_MIN <= number <= PORT_MAX:
            raise ValueError(f"{number} is outside {PORT_MIN}–{PORT_MAX}")
    if low > high:
        raise ValueError("the range's first port is above its last")
    return low, high


def format_port(low: int | None, high: int | None) -> str:
    """The Port Number column: "80", "6000-6063", or empty."""
    if low is None:
        return ""
    if low == high:
        return str(low)
    return f"{low}-{high}"


def check_date(text: str) -> str:
    if text == "":
        return text
    match = _DATE_RE.match(text)
    if not match:
        raise ValueError("not a date (expected YYYY-MM or YYYY-MM-DD)")
    year, month, day = int(match[1]), int(match[2]), int(match[3] or 1)
    try:
        datetime.date(year, month, day)
    except ValueError as error:  # 2024-13, 2024-02-30
        raise ValueError(f"not a real date ({error})") from None
    return text


def as_date(text: str) -> datetime.date:
    """A checked registry date as a date; YYYY-MM reads as the month's first day."""
    match = _DATE_RE.match(text)
    return datetime.date(int(match[1]), int(match[2]), int(match[3] or 1))


def newest_date(rows) -> datetime.date | None:
    """
    The registry's own date: the newest registration or modification date
    of these parsed rows (None when no row has one). IANA publishes the file
    when it changes, so this is the day of the last change it holds.
    """
    dates = [
        row.values[name]
        for row in rows
        for name in ("registration_date", "modification_date")
        if row.values[name]
    ]
    return max(map(as_date, dates), default=None)


def clean_text(value: str) -> str:
    """A cell as stored: line breaks as LF, no outer whitespace, unescaped."""
    # Called for every cell of the registry: skip work most cells don't need.
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.strip()
    if value[:1] == "'":
        value = _ESCAPED_FORMULA_RE.sub("", value)
    return value


def escape_formula(value: str) -> str:
    """A cell as exported: safe to open in a spreadsheet, see _FORMULA_RE."""
    return "'" + value if _FORMULA_RE.match(value) else value


def bracketed_items(value: str) -> list[str]:
    """
    Split handles or references run together: "[RFC3501][RFC9051]" gives
    ["RFC3501", "RFC9051"]; text outside brackets is kept as its own item.
    """
    items = []
    position = 0
    for match in _BRACKETED_RE.finditer(value):
        between = value[position : match.start()].strip()
        if between:
            items.append(between)
        if match[1].strip():
            items.append(match[1].strip())
        position = match.end()
    rest = value[position:].strip()
    if rest:
        items.append(rest)
    return items


def decode(data: bytes) -> str:
    if not data.strip():
        raise RegistryFileError("The file is empty.")
    if b"\x00" in data:
        raise RegistryFileError(
            "The file is binary (a spreadsheet, archive or UTF-16 text?), "
            "not a UTF-8 CSV text file."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise RegistryFileError(
            f"The file is not UTF-8 text (invalid byte 0x{data[error.start]:02x} "
            f"on line {line}). Save it as UTF-8 and try again."
        ) from None


def read_header(header: list[str]) -> list[str]:
    """Map the header's columns to field names, or refuse the file."""
    by_title = {title.casefold(): name for name, title in COLUMNS.items()}
    by_title.update(HEADER_ALIASES)
    names = [by_title.get(title.strip().casefold()) for title in header]
    missing = [COLUMNS[name] for name in COLUMNS if name not in names]
    if missing:
        hint = " Is it comma-separated?" if len(header) == 1 else ""
        raise RegistryFileError(
            "This is not IANA's service-names-port-numbers.csv: missing column(s) "
            + ", ".join(missing)
            + ". "
            + header_columns(header)
            + hint
        )
    repeated = sorted(
        {COLUMNS[name] for name in names if name and names.count(name) > 1}
    )
    if repeated:
        raise RegistryFileError(
            "This is not IANA's service-names-port-numbers.csv: repeated column(s) "
            + ", ".join(repeated)
            + ". "
            + header_columns(header)
        )
    if len(names) != len(COLUMNS):
        unknown = [
            title for title, name in zip(header, names, strict=True) if name is None
        ]
        raise RegistryFileError(
            "This is not IANA's service-names-port-numbers.csv: unexpected column(s) "
            + _quoted_titles(unknown)
            + "."
        )
    return names


def header_columns(header: list[str]) -> str:
    """
    The columns a refused file had, for its message: "This file's columns
    are: 'name', 'port'." A header that is really a line of data, or binary,
    is cut to its first HEADER_SHOWN titles of HEADER_TITLE_MAX characters.
    """
    if not any(title.strip() for title in header):
        return "This file's first line has no column titles."
    return f"This file's columns are: {_quoted_titles(header)}."


def _quoted_titles(titles: list[str]) -> str:
    shown = []
    for title in titles[:HEADER_SHOWN]:
        title = title.strip()
        if len(title) > HEADER_TITLE_MAX:
            title = title[: HEADER_TITLE_MAX - 1] + "…"
        # Quoted as Python does, which shows an empty title and escapes line
        # breaks and other control characters.
        shown.append(repr(title))
    text = ", ".join(shown)
    if len(titles) > HEADER_SHOWN:
        text += f" and {len(titles) - HEADER_SHOWN} more"
    return text


def parse_record(record: list[str], names: list[str], line: int):
    """Return (values, problems) for one CSV record."""
    if len(record) != len(names):
        return None, [
            InvalidRow(
                line,
                "row",
                ",".join(record)[:80],
                f"has {len(record)} columns, expected {len(names)}",
            )
        ]
    raw = {name: clean_text(value) for name, value in zip(names, record, strict=True)}
    problems = []
    values = {name: raw[name] for name in TEXT_FIELDS}
    try:
        values["port_low"], values["port_high"] = parse_port(raw["port"])
    except ValueError as error:
        problems.append(InvalidRow(line, COLUMNS["port"], raw["port"], str(error)))
    transport = raw["transport"].lower()
    if transport not in TRANSPORTS:
        problems.append(
            InvalidRow(
                line,
                COLUMNS["transport"],
                raw["transport"],
                "unknown transport (expected tcp, udp, sctp, dccp or empty)",
            )
        )
    values["transport"] = transport
    for name in ("registration_date", "modification_date"):
        try:
            values[name] = check_date(raw[name])
        except ValueError as error:
            problems.append(InvalidRow(line, COLUMNS[name], raw[name], str(error)))
    if len(values["service_name"]) > SERVICE_NAME_MAX:
        problems.append(
            InvalidRow(
                line,
                COLUMNS["service_name"],
                values["service_name"][:40] + "…",
                f"longer than {SERVICE_NAME_MAX} characters",
            )
        )
    if problems:
        return values, problems
    values["status"] = status_for(values["service_name"], values["description"])
    return values, []


def parse(data: bytes) -> ParsedFile:
    """Parse a whole registry file; raise RegistryFileError if it is not one."""
    text = decode(data)
    parsed = ParsedFile(sha256=hashlib.sha256(data).hexdigest())
    # newline="" lets csv keep bare LFs inside quoted fields of CRLF records.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as error:
        raise RegistryFileError(f"The file has no readable header: {error}") from None
    names = read_header(header)
    seen = {}
    line = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise RegistryFileError(
                f"Line {line}: the CSV is malformed ({error}); the file was not read."
            ) from None
        if not any(cell.strip() for cell in record):
            line = reader.line_num + 1
            continue
        values, problems = parse_record(record, names, line)
        if problems:
            parsed.invalid.extend(problems)
            _remember_invalid(parsed, values)
        else:
            key = natural_key(values)
            if key in seen:
                parsed.invalid.append(
                    InvalidRow(
                        line,
                        "row",
                        row_label(values),
                        f"repeats the assignment on line {seen[key]}",
                    )
                )
            else:
                seen[key] = line
                parsed.rows.append(ParsedRow(line, key, values))
        line = reader.line_num + 1
    if not parsed.rows and not parsed.invalid:
        raise RegistryFileError("The file has a header but no rows.")
    return parsed


def _remember_invalid(parsed: ParsedFile, values: dict | None) -> None:
    if values is None:
        parsed.unidentified_invalid = True
        return
    name = squash(values["service_name"]).casefold()
    description = squash(values["description"]).casefold()
    if name:
        parsed.invalid_names.add(name)
    elif description:
        parsed.invalid_descriptions.add(description)
    else:
        parsed.unidentified_invalid = True


def row_label(values: dict) -> str:
    """A row as a person names it: "x11 6000-6063/tcp"."""
    port = format_port(values["port_low"], values["port_high"]) or "—"
    name = values["service_name"] or squash(values["description"])[:60]
    return f"{name} {port}/{values['transport'] or '—'}"
