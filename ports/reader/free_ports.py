"""
The free-port finder: ports of a range that nobody is known to use, for a
new service to pick.

A port is suggested when, for the transport asked for, IANA has not
assigned or reserved it, the services file does not name it, nmap has
never or almost never found it open (FREE_PORT_MAX_OPEN_PER_MILLION), and
no live story reports a known use of it.

The range is walked in Python a window at a time, each source's blocked
ports of the window read as sets first: the sources' dates and three
queries for the first WINDOW ports, which hold the answer for most ranges,
three more for each further window (twice as wide as the last). A window
is what keeps an answer fast: the registered range's nmap rows alone are
some 11,000 for UDP.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ports.choices import RANGE_BOUNDS, AssignmentStatus, RangeClass
from ports.models import Assignment, ObservedPort, ObservedRun, Story
from ports.models.observed import OBSERVED_TRANSPORTS, ObservedSource
from ports.reader.observed import SOURCE_LABELS, Source, percent_text

DEFAULT_RANGE = RANGE_BOUNDS[RangeClass.USER]
DEFAULT_TRANSPORT = "tcp"
DEFAULT_COUNT = 10
MAX_COUNT = 100
# Ports read at first: 100 free TCP or UDP ports of the registered range
# are found within its first 3,600.
WINDOW = 4096
TRANSPORTS = OBSERVED_TRANSPORTS

REASON_TEXTS = {
    "iana": _("IANA has not assigned or reserved it for this transport."),
    "services": _("The services file does not name it."),
    "nmap-never": _("nmap has never found it open."),
    "no-known-use": _("No known use is reported."),
    # Suggested all the same: whoever asks for this range has chosen it.
    "dynamic": _(
        "In the dynamic range: operating systems also hand out its ports as "
        "ephemeral ports for outgoing connections, so it may be briefly in use "
        "on any host."
    ),
}
DYNAMIC_LOW = RANGE_BOUNDS[RangeClass.DYNAMIC][0]


def max_frequency() -> float:
    """The most often nmap may have found a port open for it to be suggested."""
    return settings.FREE_PORT_MAX_OPEN_PER_MILLION / 1_000_000


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True)
class Candidate:
    port: int
    reasons: list

    def as_dict(self):
        return {
            "port": self.port,
            "reasons": [{"code": r.code, "text": str(r.text)} for r in self.reasons],
        }


@dataclass
class FreePorts:
    low: int
    high: int
    transport: str
    count: int
    candidates: list = field(default_factory=list)
    sources: dict = field(default_factory=dict)
    # The last port looked at: the next search may start after it.
    last_checked: int | None = None

    @property
    def exhausted(self):
        return len(self.candidates) < self.count

    @property
    def next_low(self):
        if self.exhausted or self.last_checked >= self.high:
            return None
        return self.last_checked + 1

    @property
    def unchecked_sources(self):
        """The observed sources not imported: their conditions were not checked."""
        return [kind for kind in ObservedSource if kind not in self.sources]

    @property
    def unchecked_labels(self):
        return [SOURCE_LABELS[kind] for kind in self.unchecked_sources]

    def as_dict(self):
        """The answer as the JSON of /tools/free-port/?format=json gives it."""
        return {
            "low": self.low,
            "high": self.high,
            "transport": self.transport,
            "count": self.count,
            "max_open_frequency": max_frequency(),
            "ports": [candidate.as_dict() for candidate in self.candidates],
            "next_low": self.next_low,
            "sources": {
                kind: {
                    "date": source.date.isoformat() if source.date else None,
                    "version": source.version,
                    "url": source.url,
                }
                for kind, source in self.sources.items()
            },
            "unchecked_sources": [str(kind) for kind in self.unchecked_sources],
        }


def _assigned(low, high, transport) -> list[tuple[int, int]]:
    """IANA's assigned or reserved ranges overlapping low–high for the transport."""
    return list(
        Assignment.objects.filter(
            Q(transport=transport) | Q(transport=""),
            status__in=[AssignmentStatus.ASSIGNED, AssignmentStatus.RESERVED],
            port_low__isnull=False,
            port_low__lte=high,
            port_high__gte=low,
        )
        .order_by()
        .values_list("port_low", "port_high")
    )


def _observed(low, high, transport) -> tuple[set[int], dict[int, float]]:
    """
    Ports the services file names or nmap found open more than the
    threshold (blocked), and nmap's frequency of the others it found open.
    """
    rows = (
        ObservedPort.objects.filter(
            Q(source=ObservedSource.SERVICES) | Q(frequency__gt=0),
            transport=transport,
            port__gte=low,
            port__lte=high,
        )
        .order_by()
        .values_list("port", "frequency")
    )
    limit = max_frequency()
    blocked, rare = set(), {}
    for port, frequency in rows:
        if frequency is None or frequency > limit:
            blocked.add(port)
        else:
            rare[port] = frequency
    return blocked, rare


def _known_uses(low, high) -> set[int]:
    """Ports whose live story reports a known use (any transport)."""
    return set(
        Story.objects.live()
        .filter(port_id__gte=low, port_id__lte=high, live_known_uses=True)
        # The default ordering would join the port table for nothing.
        .order_by()
        .values_list("port_id", flat=True)
    )


def _sources() -> dict[str, Source]:
    return {
        kind: Source(kind, source_date, version, imported_at)
        for kind, source_date, version, imported_at in ObservedRun.objects.current()
        .order_by()
        .values_list("source", "source_date", "source_version", "imported_at")
    }


def find_free_ports(*, low: int, high: int, transport: str, count: int) -> FreePorts:
    """Up to `count` ports of low–high that nobody is known to use, lowest first."""
    found = FreePorts(low=low, high=high, transport=transport, count=count)
    found.sources = _sources()
    common = [Reason("iana", REASON_TEXTS["iana"])]
    if ObservedSource.SERVICES in found.sources:
        common.append(Reason("services", REASON_TEXTS["services"]))
    never = Reason("nmap-never", REASON_TEXTS["nmap-never"])
    no_use = Reason("no-known-use", REASON_TEXTS["no-known-use"])
    dynamic = Reason("dynamic", REASON_TEXTS["dynamic"])
    checks_nmap = ObservedSource.NMAP in found.sources
    start, width = low, WINDOW
    while start <= high and len(found.candidates) < count:
        end = min(high, start + width - 1)
        blocked, rare = _blocked(start, end, transport)
        for port in range(start, end + 1):
            found.last_checked = port
            if port in blocked:
                continue
            reasons = list(common)
            if checks_nmap:
                frequency = rare.get(port)
                reasons.append(never if frequency is None else _rarely(frequency))
            reasons.append(no_use)
            if port >= DYNAMIC_LOW:
                reasons.append(dynamic)
            found.candidates.append(Candidate(port, reasons))
            if len(found.candidates) == count:
                break
        start, width = end + 1, width * 2
    return found


def _blocked(low, high, transport) -> tuple[set[int], dict[int, float]]:
    """The ports of low–high someone uses, and nmap's rare ones: three queries."""
    blocked, rare = _observed(low, high, transport)
    blocked |= _known_uses(low, high)
    for start, end in _assigned(low, high, transport):
        blocked.update(range(max(start, low), min(end, high) + 1))
    return blocked, rare


def _rarely(frequency):
    return Reason(
        "nmap-rare",
        _("nmap found it open on only %(percent)s%% of hosts scanned.")
        % {"percent": percent_text(frequency)},
    )
