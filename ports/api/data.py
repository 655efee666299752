"""
What the open data publishes, as plain dicts: the API (ports.api.views) and
the downloads (ports.api.datasets) read the same functions.

Stories are read only from their live versions (Story.objects.live() and
the live revision's content), known uses from that content: never the
editors' working copy, so no draft reaches the open data.
"""

from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from itertools import groupby
from operator import itemgetter

from django.db.models import F, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils import timezone

from ports.choices import PORT_MAX, PORT_MIN, range_class_for
from ports.models import (
    Assignment,
    ObservedPort,
    RegistryChange,
    Story,
    StoryRevision,
    StoryTransition,
)
from ports.reader import page_data, versions
from ports.reader.page_data import STORY_FIELDS
from ports.registry import iana_csv

SOURCE_LANGUAGE = "en"

REGISTRY_FIELDS = (
    "service_name",
    "transport",
    "port_low",
    "port_high",
    *(
        name
        for name in iana_csv.VALUE_FIELDS
        if name not in ("service_name", "transport")
    ),
    "status",
    "withdrawn_at",
    "created_at",
    "updated_at",
)
KNOWN_USE_FIELDS = ("kind", "name", "description", "source_title", "source_url")
OBSERVED_FIELDS = (
    "source",
    "port",
    "transport",
    "name",
    "aliases",
    "frequency",
    "frequency_rank",
    "comment",
)


def day_start(day: date) -> datetime:
    """The first moment of a day, in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Addresses:
    """Absolute addresses of reader pages: `base` is the site's origin."""

    base: str

    def port(self, number: int) -> str:
        return f"{self.base}/ports/{number}/"

    def version(self, number: int, version: int) -> str:
        return f"{self.base}/ports/{number}/v/{version}/"


def registry_row(row: dict) -> dict:
    return {name: row[name] for name in REGISTRY_FIELDS}


def assignments(
    *,
    service: str = "",
    transport: str | None = None,
    port: int | None = None,
    low: int | None = None,
    high: int | None = None,
    status: str = "",
    modified_since: date | None = None,
):
    """Registry rows matching the filters, by port (a QuerySet of dicts)."""
    rows = Assignment.objects.order_by("port_low", "transport", "service_name", "id")
    if service:
        rows = rows.filter(service_name__iexact=service)
    if transport is not None:
        rows = rows.filter(transport=transport)
    if port is not None:
        rows = rows.covering(port)
    if low is not None:
        rows = rows.filter(port_low__lte=high, port_high__gte=low)
    if status:
        rows = rows.filter(status=status)
    if modified_since is not None:
        rows = rows.filter(updated_at__gte=day_start(modified_since))
    return rows.values(*REGISTRY_FIELDS)


def _story_summary(
    row: dict, title: str, summary: str, addresses: Addresses, version
) -> dict:
    return {
        "title": title,
        "summary": summary,
        "url": addresses.port(row["port_id"]),
        "version": version.number if version else None,
        "version_url": addresses.version(row["port_id"], version.number)
        if version
        else None,
        "version_published_at": version.published_at if version else None,
        "published_at": row["published_at"],
        "updated_at": row["go_live_at"],
        "last_reviewed_at": row["last_reviewed_at"],
    }


@dataclass
class PortAnswer:
    data: dict
    # When the answer changes by itself: its story expiring or a scheduled
    # version going live.
    changes_at: datetime | None


def port(number: int, *, addresses: Addresses, now=None) -> PortAnswer:
    """
    Everything the open data knows of one port number, read as its page
    reads it (page_data.port_record()), so that both say the same (five
    queries, four without a live story).
    """
    if not PORT_MIN <= number <= PORT_MAX:
        raise ValueError(number)
    now = now or timezone.now()
    record = page_data.port_record(number, now=now)
    story, known_uses = None, []
    if record.live:
        row = asdict(record.story)
        found = versions.published_versions(
            port=number,
            live_revision_id=row["live_revision_id"],
            live_since=row["go_live_at"],
        )
        current = versions.current_version(found, row["live_revision_id"])
        content = record.content
        story = _story_summary(
            row,
            content["title"].get(SOURCE_LANGUAGE, ""),
            content["summary"].get(SOURCE_LANGUAGE, ""),
            addresses,
            current,
        )
        known_uses = [
            {name: use.get(name, "") for name in KNOWN_USE_FIELDS}
            for use in content.get("known_uses", [])
        ]
    return PortAnswer(
        data={
            "number": number,
            "range_class": range_class_for(number).value,
            "url": addresses.port(number),
            "registry": [
                {name: getattr(row, name) for name in REGISTRY_FIELDS}
                for row in record.assignments
            ],
            "known_uses": known_uses,
            "observed": observed(port=number),
            "story": story,
            "history": [_history_entry(entry) for entry in record.history],
        },
        changes_at=record.next_change_at,
    )


def _history_entry(entry: page_data.HistoryEntry) -> dict:
    return {
        "kind": entry.kind,
        "fields": entry.fields,
        "port_low": entry.port_low,
        "port_high": entry.port_high,
        "service_name": entry.service_name,
        "transport": entry.transport,
        "recorded_at": entry.created_at,
        "registry_date": entry.registry_date,
    }


# Composed once, as the port page's queries are (ports.reader.page_data).
_OBSERVED = (
    ObservedPort.objects.filter(run__current=True)
    .order_by("port", "source", "transport", "name")
    .values(
        *OBSERVED_FIELDS,
        source_date=F("run__source_date"),
        imported_at=F("run__imported_at"),
    )
)


def observed(*, port: int | None = None):
    """Observed use (nmap's open frequency, services files), current imports only."""
    if port is not None:
        return list(_OBSERVED.filter(port=port))
    return _OBSERVED.all()


def _history_rows():
    return RegistryChange.objects.values(
        "kind",
        "fields",
        "port_low",
        "port_high",
        service_name=F("assignment__service_name"),
        transport=F("assignment__transport"),
        recorded_at=F("created_at"),
        registry_date=F("run__registry_date"),
    )


def changes(*, since: date | None = None):
    """Registry changes imported since a day (all without one), oldest first."""
    rows = _history_rows().order_by("created_at", "id")
    if since is not None:
        rows = rows.filter(created_at__gte=day_start(since))
    return rows


def _source_text(name: str):
    """A field of a revision in the source language, "" where it has none."""
    return Coalesce(
        KeyTextTransform(SOURCE_LANGUAGE, f"content__{name}"),
        Value(""),
        output_field=TextField(),
    )


def live_stories(now=None):
    """
    The live stories by port (a QuerySet of dicts, to page or iterate):
    their dates only, so that skipping rows reads no content;
    story_summaries() completes the rows read.
    """
    return Story.objects.live(now).order_by("port_id").values(*STORY_FIELDS)


def story_summaries(rows, *, addresses: Addresses) -> list:
    """
    Some rows of live_stories() as the open data gives them, with the title
    and summary of their live versions (two queries): only those two fields
    of the versions' content are read.
    """
    rows = list(rows)
    texts = {
        pk: (title, summary)
        for pk, title, summary in StoryRevision.objects.filter(
            pk__in=[row["live_revision_id"] for row in rows]
        ).values_list("pk", _source_text("title"), _source_text("summary"))
    }
    numbered = _current_versions(rows)
    return [
        {
            "port": row["port_id"],
            **_story_summary(
                row,
                *texts[row["live_revision_id"]],
                addresses,
                numbered.get(row["port_id"]),
            ),
        }
        for row in rows
    ]


def _current_versions(rows) -> dict:
    """Port → the current PublishedVersion of each of these live stories."""
    transitions = (
        StoryTransition.objects.filter(
            story__port_id__in=[row["port_id"] for row in rows],
            action__in=versions.WENT_LIVE,
            revision__isnull=False,
        )
        .order_by("story__port_id", "created_at", "id")
        .values_list("story__port_id", "revision_id", "go_live_at", "created_at")
    )
    by_port = {
        port_id: [record[1:] for record in records]
        for port_id, records in groupby(transitions, key=itemgetter(0))
    }
    current = {}
    for row in rows:
        found = versions.number_versions(
            by_port.get(row["port_id"], []),
            live_revision_id=row["live_revision_id"],
            live_since=row["go_live_at"],
        )
        current[row["port_id"]] = versions.current_version(
            found, row["live_revision_id"]
        )
    return current


def live_known_uses(*, now=None):
    """(port, known use) of every live story, by port."""
    rows = (
        Story.objects.live(now)
        .order_by("port_id")
        .values_list("port_id", F("live_revision__content__known_uses"))
    )
    for port_id, uses in rows.iterator(chunk_size=1000):
        for use in uses or []:
            yield port_id, {name: use.get(name, "") for name in KNOWN_USE_FIELDS}


def service(name: str) -> list:
    """A service name's registry rows (any case), by port."""
    return list(
        Assignment.objects.filter(service_name__iexact=name)
        .order_by("port_low", "transport", "id")
        .values(*REGISTRY_FIELDS)
    )
