"""
Reading IANA's service-names-port-numbers.csv: columns, quirks, validation.

Plain functions with no database access. ports.importing decides what a
parsed file changes; this module only says what the file holds.
"""

import csv
import datetime
import hashlib
import io
import re
from dataclasses import dataclass, field

from .choices import PORT_MAX, PORT_MIN, AssignmentStatus, Transport

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

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
_PORT_RE = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
_WHITESPACE_RE = re.compile(r"\s+")
# A leading quote that the export adds against spreadsheet formula injection.
_ESCAPED_FORMULA_RE = re.compile(r"^'(?=[=+\-@])")

_UNASSIGNED_WORDS = ("unassigned", "de-registered", "deregistered", "removed", "deprecated")


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

    @property
    def total(self):
        return len(self.rows) + len({problem.line for problem in self.invalid})


def squash(value: str) -> str:
    """A field's value for comparison: runs of whitespace count as one space."""
    return _WHITESPACE_RE.sub(" ", value).strip()


def natural_key(values: dict) -> str:
    """
    The stable identity of an assignment, since the registry has no key column.

    Named rows with a port: service name (case-insensitive), transport and port
    range. Rows without a name or without a port add their description, which
    is what tells apart e.g. the two port-less "rdp" rows, or "Reserved" and
    "Unassigned" rows on one port.
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
    if service_name:
        return AssignmentStatus.ASSIGNED
    text = description.casefold()
    if text.startswith("reserved"):
        return AssignmentStatus.RESERVED
    if text.startswith(_UNASSIGNED_WORDS):
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


def check_date(text: str) -> str:
    if text == "":
        return text
    match = _DATE_RE.match(text)
    if not match:
        raise ValueError("not a date (expected YYYY-MM or YYYY-MM-DD)")
    year, month, day = int(match[1]), int(match[2]), int(match[3] or 1)
    datetime.date(year, month, day)  # raises ValueError for 2024-02-30
    return text


def clean_text(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return _ESCAPED_FORMULA_RE.sub("", value)


def decode(data: bytes) -> str:
    if not data.strip():
        raise RegistryFileError("The file is empty.")
    if b"\x00" in data:
        raise RegistryFileError("The file is binary, not a CSV text file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RegistryFileError(
            f"The file is not UTF-8 text (invalid byte at position {error.start})."
        ) from None


def read_header(header: list[str]) -> list[str]:
    """Map the header's columns to field names, or refuse the file."""
    by_title = {title.casefold(): name for name, title in COLUMNS.items()}
    by_title.update(HEADER_ALIASES)
    names = [by_title.get(title.strip().casefold()) for title in header]
    missing = [COLUMNS[name] for name in COLUMNS if name not in names]
    if missing:
        raise RegistryFileError(
            "This is not IANA's service-names-port-numbers.csv: missing column(s) "
            + ", ".join(missing)
            + "."
        )
    if len(names) != len(COLUMNS):
        unknown = [title for title, name in zip(header, names) if name is None]
        raise RegistryFileError(
            "This is not IANA's service-names-port-numbers.csv: unexpected column(s) "
            + ", ".join(repr(title) for title in unknown)
            + "."
        )
    return names


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
    raw = {name: clean_text(value) for name, value in zip(names, record)}
    problems = []
    values = {
        name: raw[name]
        for name in (
            "service_name",
            "description",
            "assignee",
            "contact",
            "reference",
            "service_code",
            "unauthorized_use",
            "assignment_notes",
        )
    }
    try:
        values["port_low"], values["port_high"] = parse_port(raw["port"])
    except ValueError as error:
        problems.append(InvalidRow(line, COLUMNS["port"], raw["port"], str(error)))
    transport = raw["transport"].lower()
    if transport not in Transport.values:
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
    if len(values["service_name"]) > 255:
        problems.append(
            InvalidRow(line, COLUMNS["service_name"], values["service_name"][:40], "longer than 255")
        )
    if problems:
        return None, problems
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
                f"Line {line}: the CSV is malformed ({error}); no rows were read after it."
            ) from None
        if not any(cell.strip() for cell in record):
            line = reader.line_num + 1
            continue
        values, problems = parse_record(record, names, line)
        if problems:
            parsed.invalid.extend(problems)
        else:
            key = natural_key(values)
            if key in seen:
                parsed.invalid.append(
                    InvalidRow(
                        line,
                        "row",
                        f"{values['service_name']} {raw_port(values)}/{values['transport']}",
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


def raw_port(values: dict) -> str:
    if values["port_low"] is None:
        return ""
    if values["port_low"] == values["port_high"]:
        return str(values["port_low"])
    return f"{values['port_low']}-{values['port_high']}"
