"""The API's answers, as its OpenAPI schema describes them."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from ports.choices import AssignmentStatus, KnownUseKind, RangeClass, Transport


class Error(Schema):
    detail: str = Field(description="What was wrong, in words.")


class RegistryEntry(Schema):
    """One row of IANA's Service Name and Transport Protocol Port Number Registry."""

    service_name: str
    transport: Transport = Field(description='"" where the registry names none.')
    port_low: int | None
    port_high: int | None
    description: str
    assignee: str
    contact: str
    registration_date: str = Field(description="YYYY-MM or YYYY-MM-DD, or empty.")
    modification_date: str = Field(description="YYYY-MM or YYYY-MM-DD, or empty.")
    reference: str
    service_code: str
    unauthorized_use: str
    assignment_notes: str
    status: AssignmentStatus
    withdrawn_at: datetime | None = Field(
        description="When an import found it gone from the registry."
    )
    created_at: datetime = Field(description="When it was first imported.")
    updated_at: datetime = Field(description="When an import last changed it.")


class KnownUse(Schema):
    """A reviewed use of the port outside the registry, from its live story."""

    kind: KnownUseKind
    name: str
    description: str
    source_title: str
    source_url: str


class ObservedUse(Schema):
    """The port as a scanner or a services file knows it."""

    source: str = Field(description="nmap (nmap-services) or services (/etc/services).")
    port: int
    transport: Transport
    name: str
    aliases: list[str]
    frequency: float | None = Field(
        description="nmap only: the share of scanned hosts it was found open on."
    )
    frequency_rank: int | None = Field(
        description="nmap only: 1 for the most often open port of its transport."
    )
    comment: str
    source_date: date | None
    imported_at: datetime


class StorySummary(Schema):
    """The live story of a port: its English title and summary, and dates."""

    title: str
    summary: str
    url: str = Field(description="The port's page.")
    version: int | None = Field(description="The live version's number.")
    version_url: str | None = Field(description="The live version's permanent address.")
    version_published_at: datetime | None = Field(
        description="When the live version first went live."
    )
    published_at: datetime | None = Field(description="When it was first published.")
    updated_at: datetime | None = Field(description="When the live version went live.")
    last_reviewed_at: datetime | None


class LiveStory(StorySummary):
    port: int


class RegistryChange(Schema):
    """What an import did to one registry entry."""

    kind: Literal["added", "changed", "withdrawn", "restored"]
    fields: dict = Field(description="Changed fields: name → [old, new].")
    port_low: int | None
    port_high: int | None
    service_name: str
    transport: Transport
    recorded_at: datetime = Field(description="When the import recorded it.")
    registry_date: date | None = Field(
        description="The registry's own date of the file that brought it."
    )


class PortHistoryEntry(RegistryChange):
    """
    A change to one of the port's registry entries, or ("baseline") the
    entry as the registry held it when it was first imported.
    """

    kind: Literal["added", "changed", "withdrawn", "restored", "baseline"]
    fields: dict = Field(
        description="Changed fields: name → [old, new]; {} for the baseline."
    )
    recorded_at: datetime = Field(
        description="When the import recorded it (the baseline: when it began)."
    )


class Port(Schema):
    number: int
    range_class: RangeClass
    url: str = Field(description="The port's page.")
    registry: list[RegistryEntry] = Field(
        description="The registry entries covering the port, withdrawn ones too."
    )
    known_uses: list[KnownUse]
    observed: list[ObservedUse]
    story: StorySummary | None
    history: list[PortHistoryEntry] = Field(
        description=(
            "The port's registry history as its page shows it, newest first: the "
            "latest 50 changes to its registry entries and, for the entries the "
            "first import brought, that baseline."
        )
    )


class Page(Schema):
    count: int = Field(description="Items matching, on every page.")
    page: int
    per_page: int
    next: str | None
    previous: str | None


class AssignmentPage(Page):
    items: list[RegistryEntry]


class StoryPage(Page):
    items: list[LiveStory]


class ChangePage(Page):
    items: list[RegistryChange]


class Service(Schema):
    name: str
    entries: list[RegistryEntry]
