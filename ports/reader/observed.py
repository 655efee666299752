"""
What readers see of the observed data (nmap-services and the services file):
a port's sightings, who claims a port, and the most often open ports.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import FilteredRelation, Q
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from ports.choices import AssignmentStatus, Transport
from ports.models import ObservedPort, ObservedRun, ObservedSource
from ports.models.observed import SOURCE_URLS

NMAP = ObservedSource.NMAP
SERVICES = ObservedSource.SERVICES
TRANSPORT_ORDER = {value: index for index, value in enumerate(Transport.values)}
# nmap names a port it saw open but knows no service for "unknown".
NMAP_NO_NAME = "unknown"
SIGHTING_FIELDS = ("transport", "name", "aliases", "frequency", "frequency_rank")

SOURCE_LABELS = {
    NMAP: _("nmap's open-frequency table (nmap-services)"),
    SERVICES: _("the operating system's services file (/etc/services)"),
}
# The most often open ports' list: how many it shows, by default and at most.
TOP_DEFAULT = 100
TOP_MAX = 1000


def percent_text(frequency: float) -> str:
    """
    A frequency as a percentage in the page's language: two decimals, or
    two significant digits below 1% (0.0013), so that rare is not shown as 0.
    """
    percent = frequency * 100
    rare = 0 < percent < 1
    places = 1 - math.floor(math.log10(percent)) if rare else 2
    return number_format(round(percent, places), decimal_pos=places, use_l10n=True)


@dataclass(frozen=True)
class Source:
    """A source's live data: which file, of when."""

    kind: str
    date: date | None
    version: str
    imported_at: datetime

    @property
    def label(self):
        return SOURCE_LABELS[self.kind]

    @property
    def url(self):
        return SOURCE_URLS[self.kind]


@dataclass(frozen=True)
class Sighting:
    """A port/transport as one source lists it."""

    source: str
    transport: str
    name: str
    aliases: list
    frequency: float | None
    rank: int | None

    @property
    def transport_label(self):
        return Transport(self.transport).label

    @property
    def percent(self):
        return percent_text(self.frequency or 0)

    @property
    def seen_open(self):
        return bool(self.frequency)

    @property
    def names(self):
        """The name and its aliases (the services file's)."""
        return [self.name, *self.aliases]


@dataclass
class PortObservations:
    """One port in the sources' live data; a source not listing it has no rows."""

    sources: dict
    sightings: list

    @property
    def nmap(self):
        return self.sources.get(NMAP)

    @property
    def services(self):
        return self.sources.get(SERVICES)

    @property
    def nmap_sightings(self):
        return [s for s in self.sightings if s.source == NMAP]

    @property
    def services_sightings(self):
        return [s for s in self.sightings if s.source == SERVICES]

    @property
    def imported_at(self):
        return max(source.imported_at for source in self.sources.values())


def port_observations(number: int) -> PortObservations | None:
    """
    The port in each source's live data, and each source's date, in one
    query: a row per live source, joined to its rows for this port if any.
    None before any source is imported.
    """
    rows = (
        ObservedRun.objects.current()
        .annotate(here=FilteredRelation("ports", condition=Q(ports__port=number)))
        .order_by("source", "here__transport", "here__name")
        .values_list(
            "source",
            "source_date",
            "source_version",
            "imported_at",
            *(f"here__{name}" for name in SIGHTING_FIELDS),
        )
    )
    sources, sightings = {}, []
    for kind, source_date, version, imported_at, transport, *values in rows:
        sources[kind] = Source(kind, source_date, version, imported_at)
        if transport is not None:
            sightings.append(Sighting(kind, transport, *values))
    if not sources:
        return None
    sightings.sort(key=lambda s: (s.source, TRANSPORT_ORDER[s.transport], s.name))
    return PortObservations(sources, sightings)


# Who claims a port ---------------------------------------------------------------

CLAIM_LABELS = {
    "assigned": _("Assigned by IANA"),
    "reserved": _("Reserved by IANA"),
    "unofficial": _("Unofficial or conflicting use"),
    "malware": _("Malware report"),
    NMAP: _("Name in nmap"),
    SERVICES: _("Name in the services file"),
}


@dataclass
class Claim:
    """One name a source gives the port, labelled with that source."""

    kind: str
    name: str
    transports: list
    source_title: str = ""
    source_url: str = ""
    source_date: date | None = None
    detail: str = ""  # an IANA assignee, a known use's description
    registry: bool = False  # the source is the registry shown above

    @property
    def label(self):
        return CLAIM_LABELS[self.kind]

    @property
    def transport_labels(self):
        return [Transport(value).label for value in self.transports if value]


def port_claims(page) -> list[Claim]:
    """
    Who claims the port: IANA's assignees, the live story's known uses, and
    nmap's and the services file's names where IANA's differ.
    """
    claims = []
    iana_names = set()
    for fact in page.current_facts:
        if fact.status not in (AssignmentStatus.ASSIGNED, AssignmentStatus.RESERVED):
            continue
        if fact.service_name:
            iana_names.add(fact.service_name.casefold())
        claims.append(
            Claim(
                kind=fact.status,
                name=fact.service_name or fact.description,
                transports=list(fact.transports),
                detail=fact.assignee,
                registry=True,
            )
        )
    for use in page.known_uses:
        claims.append(
            Claim(
                kind=use["kind"],
                name=use["name"],
                transports=[],
                source_title=use["source_title"],
                source_url=use["source_url"],
                detail=use.get("description", ""),
            )
        )
    observed = page.observed
    if observed is not None:
        for sighting in observed.sightings:
            if sighting.name == NMAP_NO_NAME or sighting.name.casefold() in iana_names:
                continue
            source = observed.sources[sighting.source]
            for claim in claims:
                if claim.kind == sighting.source and claim.name == sighting.name:
                    claim.transports.append(sighting.transport)
                    break
            else:
                claims.append(
                    Claim(
                        kind=sighting.source,
                        name=sighting.name,
                        transports=[sighting.transport],
                        source_title=str(source.label),
                        source_url=source.url,
                        source_date=source.date,
                    )
                )
    return claims


# The most often open ports -------------------------------------------------------


@dataclass(frozen=True)
class TopPort:
    rank: int
    port: int
    name: str
    frequency: float

    @property
    def percent(self):
        return percent_text(self.frequency)


def top_open(transport: str, limit: int) -> tuple[Source | None, list[TopPort]]:
    """
    nmap's `limit` most often open ports of a transport with its live run's
    date: one query (the source comes with each row; none without rows).
    """
    rows = list(
        ObservedPort.objects.top_open(transport, limit).values_list(
            "frequency_rank",
            "port",
            "name",
            "frequency",
            "run__source_date",
            "run__source_version",
            "run__imported_at",
        )
    )
    if not rows:
        return None, []
    source = Source(NMAP, *rows[0][4:])
    return source, [TopPort(*row[:4]) for row in rows]
