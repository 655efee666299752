"""
Reading nmap-services and services(5) files. Plain functions with no database
access: ports.observed.importing decides what a parsed file changes.

nmap-services: `name<TAB>port/protocol<TAB>frequency[<TAB># comment]`, with a
`$Id: nmap-services <revision> <date> … $` comment that dates it. The services
file: `name port/protocol [alias …] [# comment]`, undated.

Protocols that are not IP transports (the services file's AppleTalk `ddp`
lines) are skipped and counted; anything else that is not an entry refuses
the whole file, so a file of the wrong kind is never half imported.
"""

import datetime
import hashlib
import math
import re
from dataclasses import dataclass, field

from ports.choices import PORT_MAX
from ports.models.observed import OBSERVED_TRANSPORTS, ObservedSource

MAX_BYTES = 20 * 1024 * 1024
NAME_MAX = 100
# A refused file's message lists this many of its problems.
PROBLEMS_LISTED = 20

_PORT_RE = re.compile(r"(\d{1,5})/([A-Za-z][A-Za-z0-9-]*)")
_ID_RE = re.compile(
    r"\$Id: nmap-services (?P<revision>\d+) (?P<date>\d{4}-\d{2}-\d{2}) [^$]*\$"
)
_LETTER_RE = re.compile(r"[A-Za-z]")
COMMANDS = {
    ObservedSource.NMAP: "import_observed nmap",
    ObservedSource.SERVICES: "import_observed services",
}
FILE_NAMES = {
    ObservedSource.NMAP: "nmap-services",
    ObservedSource.SERVICES: "a services file",
}


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str

    def __str__(self):
        return f"line {self.line}: {self.reason}"


class ObservedFileError(Exception):
    """The file cannot be imported as it is."""

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class Entry:
    port: int
    transport: str
    name: str
    aliases: tuple = ()
    frequency: float | None = None
    comment: str = ""

    @property
    def key(self):
        return (self.port, self.transport, self.name)


@dataclass
class ParsedFile:
    source: str
    sha256: str
    entries: list[Entry] = field(default_factory=list)
    # Lines of protocols that are not IP transports, by protocol.
    skipped: dict[str, int] = field(default_factory=dict)
    # From nmap-services' $Id header, where it has one.
    source_date: datetime.date | None = None
    source_version: str = ""

    @property
    def skipped_count(self):
        return sum(self.skipped.values())


def _is_name(token: str) -> bool:
    return len(token) <= NAME_MAX and bool(_LETTER_RE.search(token))


def _decode(data: bytes, source: str) -> str:
    label = FILE_NAMES[source]
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        raise ObservedFileError(
            f"Line {line} holds a NUL byte: this is not a text file, let alone "
            f"{label}. Nothing was imported."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ObservedFileError(
            f"Line {line} is not UTF-8 text: is this {label}? Nothing was imported."
        ) from None
    return text.removeprefix("\ufeff")


def parse(source: str, data: bytes) -> ParsedFile:
    """
    The entries of an nmap-services (source "nmap") or services file
    ("services"), or ObservedFileError saying why not: a file over
    MAX_BYTES, not text, with a line that is no entry, a duplicate
    (nmap-services) or no entry at all.
    """
    source = ObservedSource(source)
    if len(data) > MAX_BYTES:
        raise ObservedFileError(
            f"The file is {len(data):,} bytes; the limit is {MAX_BYTES:,} bytes. "
            "Nothing was imported."
        )
    text = _decode(data, source)
    parsed = ParsedFile(source=source, sha256=hashlib.sha256(data).hexdigest())
    problems = []
    # The other format's tell-tale lines, for a hint in the refusal.
    other_format = 0
    seen = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        body, hash_sign, comment = line.partition("#")
        dateable = source == ObservedSource.NMAP and not parsed.source_date
        if dateable and hash_sign and (match := _ID_RE.search(comment)):
            parsed.source_version = match["revision"]
            parsed.source_date = datetime.date.fromisoformat(match["date"])
        tokens = body.split()
        if not tokens:
            continue
        parsed_line = _parse_line(source, tokens, comment.strip(), number)
        if isinstance(parsed_line, Problem):
            problems.append(parsed_line)
            other_format += _looks_like_other_format(source, tokens)
            continue
        if isinstance(parsed_line, str):  # a protocol that is no IP transport
            parsed.skipped[parsed_line] = parsed.skipped.get(parsed_line, 0) + 1
            continue
        entry = parsed_line
        # nmap-services has one line per port and protocol; a services file
        # may name one twice, and its first line is what lookups find.
        key = (entry.port, entry.transport) if source == "nmap" else entry.key
        if key in seen:
            first_line, index = seen[key]
            if source == ObservedSource.NMAP:
                problems.append(
                    Problem(
                        number,
                        f"{entry.port}/{entry.transport} is listed already, on "
                        f"line {first_line}",
                    )
                )
            else:
                first = parsed.entries[index]
                aliases = first.aliases + tuple(
                    alias for alias in entry.aliases if alias not in first.aliases
                )
                parsed.entries[index] = Entry(
                    first.port,
                    first.transport,
                    first.name,
                    aliases,
                    None,
                    first.comment,
                )
            continue
        seen[key] = (number, len(parsed.entries))
        parsed.entries.append(entry)
    if problems:
        raise ObservedFileError(
            _refusal(source, problems, hint=other_format * 2 >= len(problems)),
            problems,
        )
    if not parsed.entries:
        raise ObservedFileError(
            f"No entries: this is not {FILE_NAMES[source]} (lines of "
            f"{_format(source)}). Nothing was imported."
        )
    return parsed


def _format(source):
    if source == ObservedSource.NMAP:
        return "`name port/protocol frequency`"
    return "`name port/protocol [aliases]`"


def _refusal(source, problems, *, hint):
    lines = [
        f"{len(problems)} line(s) are not entries of {FILE_NAMES[source]} "
        f"({_format(source)}); nothing was imported."
    ]
    if hint:
        other = next(other for other in ObservedSource if other != source)
        lines.append(
            f"It looks like {FILE_NAMES[other]}: import it with "
            f"`manage.py {COMMANDS[other]}`."
        )
    lines.extend(f"  {problem}" for problem in problems[:PROBLEMS_LISTED])
    if len(problems) > PROBLEMS_LISTED:
        lines.append(f"  …and {len(problems) - PROBLEMS_LISTED} more.")
    return "\n".join(lines)


def _looks_like_other_format(source, tokens) -> bool:
    """A services line given as nmap-services, or the other way round."""
    if len(tokens) < 2 or _PORT_RE.fullmatch(tokens[1]) is None:
        return False
    has_frequency = len(tokens) == 3 and _frequency(tokens[2]) is not None
    return has_frequency if source == ObservedSource.SERVICES else not has_frequency


def _frequency(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 <= value <= 1 else None


def _parse_line(source, tokens, comment, number) -> Entry | Problem | str:
    """An entry, a problem, or the protocol of a line that is skipped."""
    if source == ObservedSource.NMAP and len(tokens) != 3:
        return Problem(
            number,
            f"{len(tokens)} field(s) where nmap-services has 3 (name, "
            "port/protocol, frequency)",
        )
    if len(tokens) < 2:
        return Problem(number, "a name without port/protocol")
    name, port_protocol, *rest = tokens
    match = _PORT_RE.fullmatch(port_protocol)
    if match is None:
        return Problem(
            number, f"{port_protocol[:40]!r} is not port/protocol (such as 80/tcp)"
        )
    port, protocol = int(match[1]), match[2].lower()
    if port > PORT_MAX:
        return Problem(number, f"{port} is not a port number (0–{PORT_MAX})")
    if not _is_name(name):
        return Problem(number, f"{name[:40]!r} is not a service name")
    frequency = None
    aliases = ()
    if source == ObservedSource.NMAP:
        frequency = _frequency(rest[0])
        if frequency is None:
            return Problem(
                number, f"{rest[0][:40]!r} is not a frequency (a number from 0 to 1)"
            )
    else:
        for alias in rest:
            if not _is_name(alias):
                return Problem(number, f"alias {alias[:40]!r} is not a service name")
        aliases = tuple(dict.fromkeys(rest))
    if protocol not in OBSERVED_TRANSPORTS:
        return protocol
    return Entry(port, protocol, name, aliases, frequency, comment)


def ranks(entries) -> dict[tuple, int]:
    """
    Entry key → its rank by frequency among the entries of its transport, as
    `nmap --top-ports` ranks a protocol's ports: 1 is the most often open;
    equal frequencies share a rank (1, 2, 2, 4).
    """
    found = {}
    by_transport = {}
    for entry in entries:
        by_transport.setdefault(entry.transport, []).append(entry)
    for group in by_transport.values():
        group.sort(key=lambda entry: -entry.frequency)
        previous, rank = None, 0
        for position, entry in enumerate(group, start=1):
            if entry.frequency != previous:
                rank, previous = position, entry.frequency
            found[entry.key] = rank
    return found
