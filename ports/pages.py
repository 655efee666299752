"""
What the reader site's pages show, each gathered in a fixed number of queries.

Stories are only ever read from their live snapshot (`Story.objects.live()`
and `live_revision.content`), never from the editors' working copy.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from itertools import groupby

from django.db.models import (
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Q,
    Value,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone
from modeltranslation.utils import build_localized_fieldname

from . import plain_sql, registry
from .choices import (
    PORT_MAX,
    PORT_MIN,
    RANGE_BOUNDS,
    AssignmentStatus,
    ChangeKind,
    RangeClass,
    Transport,
    port_range_text,
    range_class_for,
)
from .models import (
    Assignment,
    FeedbackPrompt,
    ImportRun,
    KnownUse,
    RegistryChange,
    Story,
    StoryRevision,
)
from .revisions import SOURCE_LANGUAGE, StoryPage, related_ports_sql

HISTORY_LIMIT = 50
NEIGHBOURS_PER_SIDE = 3
# Rows fetched per side: enough for a few ports with TCP, UDP and more names.
NEIGHBOUR_ROWS = 24
RECENT_STORIES = 8
STORY_PAGE_FIELDS = (
    "port_id",
    "live_revision__content",
    "live_revision__created_at",
    "published_at",
    "go_live_at",
    "expire_at",
    "scheduled_go_live_at",
    "last_reviewed_at",
)

# The registry's fields that describe an assignment, transport aside: rows
# equal in all of these are shown as one entry with several transports.
FACT_FIELDS = (
    *(name for name in registry.VALUE_FIELDS if name != "transport"),
    "withdrawn_at",
)
TRANSPORT_ORDER = {value: index for index, value in enumerate(Transport.values)}
_MARKER_ID_RE = re.compile(r'id="cite-(\d+)-(\d+)"')


class NotAPort(ValueError):
    pass


def covering(model, number: int) -> Q:
    """
    Rows of `model` (Assignment, RegistryChange) whose port range includes
    `number`.

    `port_low <= n <= port_high` alone makes the (port_low, port_high) index
    scan every row below n. A range covering n starts at most the widest
    range's width below it, and that width is one index lookup away (the
    port-width index), so the scan is bounded on both sides.
    """
    widest = RawSQL(
        f"SELECT max(port_high - port_low) FROM {model._meta.db_table}",  # noqa: S611
        [],
        output_field=IntegerField(),
    )
    return Q(
        port_low__lte=number,
        port_high__gte=number,
        port_low__gte=ExpressionWrapper(
            Value(number) - widest, output_field=IntegerField()
        ),
    )


def _latest(*moments):
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


def _earliest(*moments):
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None


@dataclass
class RegistryFact:
    """One registry entry as readers see it, with all the transports it covers."""

    service_name: str
    port_low: int | None
    port_high: int | None
    description: str
    assignee: str
    contact: str
    registration_date: str
    modification_date: str
    reference: str
    service_code: str
    unauthorized_use: str
    assignment_notes: str
    status: str
    withdrawn_at: datetime | None
    transports: list = field(default_factory=list)
    updated_at: datetime | None = None

    @property
    def is_range(self):
        return self.port_low is not None and self.port_low != self.port_high

    @property
    def is_withdrawn(self):
        return self.status == AssignmentStatus.WITHDRAWN

    @property
    def port_display(self):
        return port_range_text(self.port_low, self.port_high)

    @property
    def status_label(self):
        return AssignmentStatus(self.status).label

    @property
    def transport_labels(self):
        return [Transport(value).label for value in self.transports if value]


def registry_facts(assignments) -> list[RegistryFact]:
    """Assignments merged where only the transport differs, current ones first."""
    facts = {}
    for assignment in assignments:
        key = tuple(getattr(assignment, name) for name in FACT_FIELDS)
        fact = facts.get(key)
        if fact is None:
            fact = facts[key] = RegistryFact(
                **{name: getattr(assignment, name) for name in FACT_FIELDS}
            )
        if assignment.transport not in fact.transports:
            fact.transports.append(assignment.transport)
        fact.updated_at = _latest(fact.updated_at, assignment.updated_at)
    for fact in facts.values():
        fact.transports.sort(key=TRANSPORT_ORDER.get)
    return sorted(
        facts.values(),
        key=lambda fact: (
            fact.is_withdrawn,
            fact.status != AssignmentStatus.ASSIGNED,
            fact.port_low if fact.port_low is not None else -1,
            fact.port_high if fact.port_high is not None else -1,
            fact.service_name.lower(),
            TRANSPORT_ORDER.get(fact.transports[0], 0),
        ),
    )


@dataclass
class Neighbour:
    """A nearby registered port (or range) and the services on it."""

    port_low: int
    port_high: int
    services: list

    @property
    def number(self):
        """The end of the range nearest to the page's port."""
        return self.port_low

    @property
    def is_range(self):
        return self.port_low != self.port_high


def _neighbours(rows, *, below: bool) -> list[Neighbour]:
    found = []
    for (low, high), group in groupby(
        rows, key=lambda row: (row.port_low, row.port_high)
    ):
        names = []
        for row in group:
            name = row.service_name or row.description
            if name not in names:
                names.append(name)
        found.append(Neighbour(low, high, names))
        if len(found) == NEIGHBOURS_PER_SIDE:
            break
    return list(reversed(found)) if below else found


@dataclass
class PortPage:
    number: int
    range_class: str
    range_bounds: tuple
    assignments: list
    known_uses: list
    history: list
    story: "StoryState | None" = None
    story_page: StoryPage | None = None
    transports: list = field(default_factory=list)
    facts: list = field(default_factory=list)
    neighbours_below: list = field(default_factory=list)
    neighbours_above: list = field(default_factory=list)
    feedback_prompt: FeedbackPrompt | None = None
    # When the page's content next changes by itself (a live story expiring,
    # a scheduled version falling due): a cached copy must not outlive it.
    next_change_at: datetime | None = None
    data_modified_at: datetime | None = None
    # Service names of related ports, filled by port_page() for the live story.
    related_services: dict = field(default_factory=dict)
    # When the live version shown was saved.
    story_revised_at: datetime | None = None

    @property
    def range_label(self):
        return RangeClass(self.range_class).label

    @property
    def current_facts(self):
        return [fact for fact in self.facts if not fact.is_withdrawn]

    @property
    def nearby(self):
        """The nearby registered ports in order, None standing for this one."""
        return [*self.neighbours_below, None, *self.neighbours_above]

    @property
    def headline_services(self):
        """Distinct names of the current assignments, for the page's lead."""
        names = []
        for fact in self.current_facts:
            name = fact.service_name
            if fact.status == AssignmentStatus.ASSIGNED and name and name not in names:
                names.append(name)
        return names

    @cached_property
    def related(self):
        """The live story's related ports, each with its note and services."""
        if self.story_page is None:
            return []
        return [
            {
                "port": item["port"],
                "note": item["note"],
                "services": self.related_services.get(item["port"], []),
            }
            for item in self.story_page.related
        ]

    @cached_property
    def citations(self):
        """
        The story's sources, each with the ids of the markers citing it.

        Markers are numbered per citation in the rendered body
        (cite-<n>-<k>), so the back-links are read from it.
        """
        if self.story_page is None:
            return []
        markers = {}
        for number, occurrence in _MARKER_ID_RE.findall(self.story_page.body_html.text):
            markers.setdefault(int(number), []).append(f"cite-{number}-{occurrence}")
        return [
            {**citation, "markers": markers.get(citation["number"], [])}
            for citation in self.story_page.citations
        ]

    @property
    def last_modified(self):
        story_moment = None
        if self.story is not None and self.story.live_revision_id:
            story_moment = _latest(
                self.story.go_live_at,
                self.story.last_reviewed_at,
                self.story_revised_at,
            )
        return _latest(self.data_modified_at, story_moment)


# The port page's reads (ports.plain_sql): fixed SQL, not composed per request.
ASSIGNMENT_FIELDS = (*FACT_FIELDS, "transport", "updated_at")
STORY_FIELDS = (
    "port_id",
    "live_revision_id",
    "published_at",
    "go_live_at",
    "expire_at",
    "scheduled_go_live_at",
    "last_reviewed_at",
)
KNOWN_USE_FIELDS = ("kind", "name", "description", "source_title", "source_url")
PROMPT_TEXT_FIELDS = ("question", "yes_label", "no_label", "comment_prompt", "thanks")


def _covering_sql(model, alias=""):
    """
    SQL for covering(): `port_low <= n <= port_high`, bounded below by the
    widest range (see covering()), with the number three times as parameters.
    """
    prefix = f"{alias}." if alias else ""
    return (
        f"{prefix}port_low <= %s AND {prefix}port_high >= %s AND {prefix}port_low >= "
        f"%s - (SELECT max(port_high - port_low) FROM {plain_sql.table(model)})"
    )


@dataclass(frozen=True)
class HistoryEntry:
    """A registry change to an assignment covering the page's port."""

    kind: str
    created_at: datetime
    service_name: str
    description: str
    transport: str
    port_low: int | None
    port_high: int | None

    @property
    def kind_label(self):
        return ChangeKind(self.kind).label

    @property
    def port_display(self):
        return port_range_text(self.port_low, self.port_high, dash="-")


@cache
def _assignments_sql():
    return (
        plain_sql.columns(Assignment, ASSIGNMENT_FIELDS),
        f"FROM {plain_sql.table(Assignment)} WHERE {_covering_sql(Assignment)} "
        "ORDER BY status, transport, service_name",
    )


def _assignments_read(number: int) -> plain_sql.Read:
    return plain_sql.Read(
        Assignment, *_assignments_sql(), (number, number, number), ASSIGNMENT_FIELDS
    )


# Of the live version's content, only what a page in one language shows:
# the body and its contents in that language and in English (the fallback),
# not the Markdown source nor the other languages' bodies.
STORY_CONTENT_PARTS = ("title", "summary", "citations", "faqs", "related")
STORY_LANGUAGE_PARTS = ("body_html", "toc")


@dataclass(frozen=True)
class StoryState:
    """A story's row as its page needs it: whether and since when it is live."""

    port_id: int
    live_revision_id: int | None
    published_at: datetime | None
    go_live_at: datetime | None
    expire_at: datetime | None
    scheduled_go_live_at: datetime | None
    last_reviewed_at: datetime | None

    is_live = Story.is_live  # one rule for the model and its page


@cache
def _story_sql(vendor: str):
    parts = [f"r.content -> '{part}'" for part in STORY_CONTENT_PARTS]
    for part in STORY_LANGUAGE_PARTS:
        operator = "->>" if part == "body_html" else "->"
        parts += [
            f"r.content -> '{part}' {operator} CAST(%s AS TEXT)",
            f"r.content -> '{part}' {operator} '{SOURCE_LANGUAGE}'",
        ]
    stories, revisions = plain_sql.table(Story), plain_sql.table(StoryRevision)
    if vendor == "postgresql":
        # The content is read from its TOAST storage and decompressed once,
        # less the Markdown source, rather than once for each part taken.
        revision = (
            f"LEFT JOIN LATERAL (SELECT created_at, content - 'body' AS content "
            f"FROM {revisions} WHERE id = s.live_revision_id OFFSET 0) r ON TRUE"
        )
    else:
        revision = f"LEFT JOIN {revisions} r ON r.id = s.live_revision_id"
    return (
        (*plain_sql.columns(Story, STORY_FIELDS, "s"), "r.created_at", *parts),
        f"FROM {stories} s {revision} WHERE s.port_id = %s",
    )


def _story_read(number: int, language: str, vendor: str) -> plain_sql.Read:
    """The story's row and its live version's content and time, if any."""
    return plain_sql.Read(
        Story,
        *_story_sql(vendor),
        (language, language, number),
        (*STORY_FIELDS, (StoryRevision, "created_at")),
    )


def _json(value):
    # PostgreSQL hands JSON over decoded, SQLite as text.
    return json.loads(value) if isinstance(value, str) else value


def _story_from(rows, language: str):
    """The story (or None), its live version's content and when it was saved."""
    if not rows:
        return None, None, None
    row = rows[0]
    story = StoryState(*row[: len(STORY_FIELDS)])
    revised_at, *parts = row[len(STORY_FIELDS) :]
    if story.live_revision_id is None:
        return story, None, None
    count = len(STORY_CONTENT_PARTS)
    content = {
        name: _json(value)
        for name, value in zip(STORY_CONTENT_PARTS, parts[:count], strict=True)
    }
    for index, part in enumerate(STORY_LANGUAGE_PARTS):
        first = count + 2 * index  # the part in `language`, then in English
        pairs = zip((language, SOURCE_LANGUAGE), parts[first : first + 2], strict=True)
        content[part] = {
            code: value if part == "body_html" else _json(value)
            for code, value in pairs
            if value is not None
        }
    return story, content, revised_at


@cache
def _history_sql():
    change, assignment = RegistryChange, Assignment
    return (
        (
            "c.kind",
            "c.created_at",
            *plain_sql.columns(assignment, HISTORY_ASSIGNMENT_FIELDS, "a"),
        ),
        f"FROM {plain_sql.table(change)} c "
        f"JOIN {plain_sql.table(assignment)} a ON a.id = c.assignment_id "
        f"WHERE {_covering_sql(change, 'c')} "
        f"ORDER BY c.created_at DESC, c.id LIMIT {HISTORY_LIMIT}",
    )


def _history_read(number: int) -> plain_sql.Read:
    return plain_sql.Read(
        RegistryChange,
        *_history_sql(),
        (number, number, number),
        (
            "kind",
            "created_at",
            *((Assignment, name) for name in HISTORY_ASSIGNMENT_FIELDS),
        ),
    )


HISTORY_ASSIGNMENT_FIELDS = (
    "service_name",
    "description",
    "transport",
    "port_low",
    "port_high",
)


@cache
def _known_uses_sql():
    return (
        plain_sql.columns(KnownUse, KNOWN_USE_FIELDS),
        f"FROM {plain_sql.table(KnownUse)} WHERE port_id = %s ORDER BY position, id",
    )


def _known_uses_read(number: int) -> plain_sql.Read:
    return plain_sql.Read(KnownUse, *_known_uses_sql(), (number,), KNOWN_USE_FIELDS)


@cache
def _prompt_fields(language: str) -> tuple:
    return (
        *(build_localized_fieldname(name, language) for name in PROMPT_TEXT_FIELDS),
        "updated_at",
    )


def _feedback_prompt_read(language: str) -> plain_sql.Read:
    """The prompt, with only its texts in this language and when it changed."""
    names = _prompt_fields(language)
    return plain_sql.Read(
        FeedbackPrompt,
        plain_sql.columns(FeedbackPrompt, names),
        f"FROM {plain_sql.table(FeedbackPrompt)} WHERE key = %s",  # noqa: S608
        (FeedbackPrompt.SITE_KEY,),
        names,
    )


def port_page_reads(number: int, language: str) -> list[plain_sql.Read]:
    """The queries of a port's page, in the order port_page() takes them."""
    low, high = RANGE_BOUNDS[range_class_for(number)]
    vendor = plain_sql.vendor(Assignment)
    return [
        _assignments_read(number),
        _story_read(number, language, vendor),
        *_neighbours_reads(number, low, high),
        _history_read(number),
        _feedback_prompt_read(language),
        _known_uses_read(number),
        _related_services_read(number, vendor),
    ]


def port_page(number: int, *, language: str, now=None) -> PortPage:
    """
    Everything the page of one port shows: eight queries, one statement on
    PostgreSQL (ports.plain_sql).
    """
    if not PORT_MIN <= number <= PORT_MAX:
        raise NotAPort(number)
    now = now or timezone.now()
    range_class = range_class_for(number)
    low, high = RANGE_BOUNDS[range_class]
    # One story row whatever its state: whether it is live is decided by the
    # same rule as Story.objects.live(); the schedule says when the page changes.
    (
        assignment_rows,
        story_rows,
        below,
        above,
        history_rows,
        prompt_rows,
        uses,
        related_rows,
    ) = plain_sql.fetch_all(port_page_reads(number, language))
    assignments = plain_sql.records(ASSIGNMENT_FIELDS, assignment_rows)
    story, content, revised_at = _story_from(story_rows, language)
    history = [HistoryEntry(*row) for row in history_rows]
    prompt = None
    if prompt_rows:
        prompt = plain_sql.records(_prompt_fields(language), prompt_rows)[0]
    page = PortPage(
        number=number,
        range_class=range_class,
        range_bounds=(low, high),
        assignments=assignments,
        known_uses=plain_sql.instances(KnownUse, KNOWN_USE_FIELDS, uses),
        history=history,
        transports=sorted(
            {a.transport for a in assignments if a.transport}, key=TRANSPORT_ORDER.get
        ),
        facts=registry_facts(assignments),
        neighbours_below=_neighbours(
            [_NeighbourRow(*row) for row in below], below=True
        ),
        neighbours_above=_neighbours(
            [_NeighbourRow(*row) for row in above], below=False
        ),
        feedback_prompt=prompt,
        data_modified_at=_latest(
            *(a.updated_at for a in assignments),
            *(change.created_at for change in history[:1]),
            prompt.updated_at if prompt else None,
        ),
    )
    if story is not None:
        page.next_change_at = min(
            (
                moment
                for moment in (story.expire_at, story.scheduled_go_live_at)
                if moment is not None and moment > now
            ),
            default=None,
        )
        if story.is_live(now) and content is not None:
            page.story = story
            page.story_revised_at = revised_at
            page.story_page = StoryPage.from_content(content, language)
            page.related_services = _services_by_port(related_rows)
    return page


@dataclass(frozen=True)
class _NeighbourRow:
    port_low: int
    port_high: int
    service_name: str
    description: str


NEIGHBOUR_COLUMNS = ("port_low", "port_high", "service_name", "description")


@cache
def _neighbours_sql():
    where = f"FROM {plain_sql.table(Assignment)} WHERE status = %s AND "
    return (
        where + "port_high < %s AND port_low < %s AND port_low >= %s "
        "ORDER BY port_low DESC, port_high DESC, service_name LIMIT %s",
        where + "port_low > %s AND port_low <= %s "
        "ORDER BY port_low, port_high, service_name LIMIT %s",
    )


def _neighbours_reads(number: int, low: int, high: int) -> list[plain_sql.Read]:
    """
    Registered rows nearest below and above `number` within [low, high]:
    each an index scan that stops after NEIGHBOUR_ROWS rows (port_low < n
    below, so the scan starts below n).
    """
    below, above = _neighbours_sql()
    assigned = AssignmentStatus.ASSIGNED.value
    unconverted = (None,) * len(NEIGHBOUR_COLUMNS)
    return [
        plain_sql.Read(
            Assignment,
            NEIGHBOUR_COLUMNS,
            below,
            (assigned, number, number, low, NEIGHBOUR_ROWS),
            unconverted,
        ),
        plain_sql.Read(
            Assignment,
            NEIGHBOUR_COLUMNS,
            above,
            (assigned, number, high, NEIGHBOUR_ROWS),
            unconverted,
        ),
    ]


@cache
def _related_services_sql(vendor: str):
    items, port = related_ports_sql(vendor)
    stories, revisions = plain_sql.table(Story), plain_sql.table(StoryRevision)
    assignments = plain_sql.table(Assignment)
    return (
        ("a.service_name", port),
        f"FROM {stories} s JOIN {revisions} r ON r.id = s.live_revision_id, "
        f"{items}, {assignments} a "
        f"WHERE s.port_id = %s AND a.status = %s AND a.port_low <= {port} "
        f"AND a.port_high >= {port} AND a.port_low >= {port} - "
        f"(SELECT max(port_high - port_low) FROM {assignments}) "
        "ORDER BY a.service_name",
    )


def _related_services_read(number: int, vendor: str) -> plain_sql.Read:
    """
    The current services of each port the live version of this port's story
    lists as related: (service, related port), by service name.
    """
    return plain_sql.Read(
        Assignment,
        *_related_services_sql(vendor),
        (number, AssignmentStatus.ASSIGNED.value),
        (None, None),
    )


def _services_by_port(rows) -> dict:
    services = {}
    for name, number in rows:
        names = services.setdefault(int(number), [])
        if name and name not in names:
            names.append(name)
    return services


def related_services(numbers) -> dict:
    """Port number → names of the current assignments covering it (one query)."""
    numbers = sorted(set(numbers))
    if not numbers:
        return {}
    covering_any = " OR ".join(f"({_covering_sql(Assignment)})" for _ in numbers)
    rows = plain_sql.fetch(
        plain_sql.Read(
            Assignment,
            ("service_name", "port_low", "port_high"),
            f"FROM {plain_sql.table(Assignment)} "
            f"WHERE status = %s AND ({covering_any}) ORDER BY service_name",
            (AssignmentStatus.ASSIGNED.value, *(n for n in numbers for _ in range(3))),
            ("service_name", "port_low", "port_high"),
        )
    )
    services = {}
    for name, low, high in rows:
        for number in numbers:
            if low <= number <= high:
                names = services.setdefault(number, [])
                if name and name not in names:
                    names.append(name)
    return services


@dataclass
class StoryCard:
    """A live story as listed on the home page, in feeds and in search."""

    port: int
    title: object
    summary: object
    published_at: datetime | None
    updated_at: datetime | None
    revision_id: int | None = None

    @classmethod
    def from_story(cls, story: Story, language: str):
        content = StoryPage.from_content(story.live_revision.content, language)
        return cls(
            port=story.port_id,
            title=content.title,
            summary=content.summary,
            published_at=story.published_at,
            updated_at=story.go_live_at,
            revision_id=story.live_revision_id,
        )

    @property
    def is_update(self):
        """Whether the live version came after the first publication."""
        return bool(
            self.published_at
            and self.updated_at
            and self.updated_at > self.published_at
        )


def recent_stories(*, language: str, limit=RECENT_STORIES, updates=False, now=None):
    """
    Live stories, newest first: first published (updates=False), or those whose
    live version replaced an earlier one, by when it went live (updates=True).
    """
    stories = Story.objects.live(now).select_related("live_revision")
    if updates:
        stories = stories.filter(go_live_at__gt=F("published_at")).order_by(
            "-go_live_at", "port_id"
        )
    else:
        stories = stories.order_by("-published_at", "port_id")
    return [StoryCard.from_story(story, language) for story in stories[:limit]]


def live_story_ports(now=None) -> set[int]:
    return set(Story.objects.live(now).values_list("port_id", flat=True))


@cache
def _listing_moments_sql():
    stories, runs = plain_sql.table(Story), plain_sql.table(ImportRun)
    return (
        f"(SELECT max(updated_at) FROM {stories})",
        f"(SELECT max(expire_at) FROM {stories} WHERE expire_at <= %s)",
        f"(SELECT max(finished_at) FROM {runs} WHERE finished_at IS NOT NULL)",
        f"(SELECT min(expire_at) FROM {stories} WHERE expire_at > %s)",
        f"(SELECT min(scheduled_go_live_at) FROM {stories} "
        "WHERE scheduled_go_live_at > %s)",
    )


def listing_moments(now=None) -> tuple[datetime | None, datetime | None]:
    """
    When what listings show last changed, and when it next changes by itself.

    Last changed: no earlier than the last story saved (published,
    unpublished, gone live or expired by a workflow step), story expired by
    the clock, or import finished. Next: when a story next expires or has a
    version due to go live, if ever. Index lookups, in one query.
    """
    now = now or timezone.now()
    read = plain_sql.Read(
        Story,
        _listing_moments_sql(),
        "",
        (now, now, now),
        (
            "updated_at",
            "expire_at",
            (ImportRun, "finished_at"),
            "expire_at",
            "scheduled_go_live_at",
        ),
    )
    saved, expired, imported, expires, goes_live = plain_sql.fetch(read)[0]
    return _latest(saved, expired, imported), _earliest(expires, goes_live)


# Browsing: lists of port numbers ------------------------------------------------

LISTING_PAGE_SIZE = 100
NO_ENTRY = "none"  # the status filter's value for "no current registry entry"


@dataclass(frozen=True)
class PortFilters:
    transport: str = ""
    status: str = ""  # an AssignmentStatus value, NO_ENTRY or ""
    story: str = ""  # "yes", "no" or ""

    @property
    def active(self):
        return bool(self.transport or self.status or self.story)


def _merged(intervals):
    merged = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return merged


def _numbers_in(intervals, low, high):
    numbers = []
    for start, end in _merged(intervals):
        numbers.extend(range(max(start, low), min(end, high) + 1))
    return numbers


def matching_numbers(low: int, high: int, filters: PortFilters, *, now=None):
    """
    The port numbers from low to high that pass the filters, in order.

    Registry filters work on the intervals the assignments cover, so ranges
    count for every number in them; at most two queries.
    """
    numbers = range(low, high + 1)
    if filters.transport or filters.status:
        rows = Assignment.objects.filter(
            port_low__isnull=False, port_low__lte=high, port_high__gte=low
        )
        if filters.status in ("", NO_ENTRY):
            rows = rows.current()
        else:
            rows = rows.filter(status=filters.status)
        if filters.transport:
            rows = rows.filter(transport=filters.transport)
        intervals = rows.values_list("port_low", "port_high")
        if filters.status == NO_ENTRY:
            covered = set(_numbers_in(intervals, low, high))
            numbers = [number for number in numbers if number not in covered]
        else:
            numbers = _numbers_in(intervals, low, high)
    if filters.story:
        stories = live_story_ports(now)
        wanted = filters.story == "yes"
        numbers = [number for number in numbers if (number in stories) is wanted]
    return numbers


@dataclass
class PortRow:
    number: int
    facts: list
    story_title: object = None

    @property
    def range_class(self):
        return range_class_for(self.number)


def port_rows(numbers, *, language: str, now=None) -> list[PortRow]:
    """One row per number: its current registry entries and live story (3 queries)."""
    numbers = list(numbers)
    if not numbers:
        return []
    widest = (
        Assignment.objects.filter(port_low__isnull=False).aggregate(
            widest=Max(F("port_high") - F("port_low"))
        )["widest"]
        or 0
    )
    # An assignment covering n starts at most `widest` below it: bounding
    # port_low on both sides lets the (port_low, port_high) index narrow the scan.
    clusters = []
    for number in numbers:
        if clusters and number - clusters[-1][1] <= widest + 1:
            clusters[-1][1] = number
        else:
            clusters.append([number, number])
    covering = Q()
    for start, end in clusters:
        covering |= Q(
            port_low__gte=start - widest, port_low__lte=end, port_high__gte=start
        )
    assignments = list(
        Assignment.objects.current()
        .filter(covering)
        .order_by("port_low", "port_high", "service_name", "transport")
    )
    stories = {
        story.port_id: story
        for story in Story.objects.live(now)
        .filter(port_id__in=numbers)
        .select_related("live_revision")
    }
    rows = []
    for number in numbers:
        covering_number = [
            a for a in assignments if a.port_low <= number <= a.port_high
        ]
        row = PortRow(number=number, facts=registry_facts(covering_number))
        if number in stories:
            story = stories[number]
            row.story_title = StoryPage.from_content(
                story.live_revision.content, language
            ).title
        rows.append(row)
    return rows


# Services ---------------------------------------------------------------------


@dataclass
class ServicePage:
    name: str
    facts: list
    stories: list

    @property
    def current_facts(self):
        return [fact for fact in self.facts if not fact.is_withdrawn]

    @property
    def withdrawn_facts(self):
        return [fact for fact in self.facts if fact.is_withdrawn]


def service_page(name: str, *, language: str, now=None) -> ServicePage | None:
    """A service name's registry entries (any case) and the stories of their ports."""
    assignments = list(
        Assignment.objects.filter(service_name__iexact=name).order_by(
            "port_low", "transport"
        )
    )
    if not assignments:
        return None
    covered = Q()
    for assignment in assignments:
        if assignment.port_low is not None:
            covered |= Q(
                port_id__gte=assignment.port_low, port_id__lte=assignment.port_high
            )
    stories = []
    if covered:
        stories = [
            StoryCard.from_story(story, language)
            for story in Story.objects.live(now)
            .filter(covered)
            .select_related("live_revision")
            .order_by("port_id")
        ]
    current = [a for a in assignments if a.status != AssignmentStatus.WITHDRAWN]
    return ServicePage(
        name=(current or assignments)[0].service_name,
        facts=registry_facts(assignments),
        stories=stories,
    )
