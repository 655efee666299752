"""
What the reader site's pages show, each gathered in a fixed number of queries.

Stories are only ever read from their live snapshot (`Story.objects.live()`
and `live_revision.content`), never from the editors' working copy.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, cached_property
from itertools import groupby
from operator import attrgetter, itemgetter

from django.db.models import (
    CharField,
    F,
    IntegerField,
    JSONField,
    Max,
    Q,
    Subquery,
    Value,
)
from django.utils import timezone
from modeltranslation.utils import build_localized_fieldname

from ports.choices import (
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
from ports.editorial.revisions import LocalizedStory, localize
from ports.models import (
    Assignment,
    FeedbackPrompt,
    ImportRun,
    ObservedRun,
    RegistryChange,
    Story,
    widest_range,
)
from ports.reader import observed as observed_data
from ports.registry import iana_csv

HISTORY_LIMIT = 50
NEIGHBOURS_PER_SIDE = 3
# Rows fetched per side: enough for a few ports with TCP, UDP and more names.
NEIGHBOUR_ROWS = 24
RECENT_STORIES = 8

# The registry's fields that describe an assignment, transport aside: rows
# equal in all of these are shown as one entry with several transports.
FACT_FIELDS = (
    *(name for name in iana_csv.VALUE_FIELDS if name != "transport"),
    "withdrawn_at",
)
TRANSPORT_ORDER = {value: index for index, value in enumerate(Transport.values)}
_MARKER_ID_RE = re.compile(r'id="cite-(\d+)-(\d+)"')


class NotAPort(ValueError):
    pass


def _latest(*moments):
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


def _earliest(*moments):
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None


class EntryLabels:
    """How a registry entry's ports and status read (port_low, port_high, status)."""

    @property
    def port_display(self):
        return port_range_text(self.port_low, self.port_high)

    @property
    def status_label(self):
        return AssignmentStatus(self.status).label


@dataclass
class RegistryFact(EntryLabels):
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
    """Rows of NEIGHBOUR_FIELDS, nearest first, as the nearest ports' entries."""
    found = []
    for (low, high), group in groupby(rows, key=itemgetter(0, 1)):
        names = []
        for _low, _high, service_name, description in group:
            name = service_name or description
            if name not in names:
                names.append(name)
        found.append(Neighbour(low, high, names))
        if len(found) == NEIGHBOURS_PER_SIDE:
            break
    return list(reversed(found)) if below else found


@dataclass
class PortPageData:
    number: int
    range_class: str
    range_bounds: tuple
    assignments: list
    history: list
    story: "StoryState | None" = None
    localized_story: LocalizedStory | None = None
    transports: list = field(default_factory=list)
    facts: list = field(default_factory=list)
    neighbours_below: list = field(default_factory=list)
    neighbours_above: list = field(default_factory=list)
    # The prompt's texts in the page's language and when it changed.
    feedback_prompt: tuple | None = None
    # When the page's content next changes by itself (a live story expiring,
    # a scheduled version falling due): a cached copy must not outlive it.
    next_change_at: datetime | None = None
    data_modified_at: datetime | None = None
    # Service names of related ports, filled by port_page_data() for the live story.
    related_services: dict = field(default_factory=dict)

    # The port in nmap's and the services file's live data (ports.reader.observed).
    observed: object = None

    @property
    def known_uses(self) -> list:
        """The live version's known uses: readers never see one not reviewed."""
        return self.localized_story.known_uses if self.localized_story else []

    @cached_property
    def claims(self) -> list:
        """Who claims the port, each labelled with its source."""
        return observed_data.port_claims(self)

    # When the live version shown was saved.
    story_revised_at: datetime | None = None
    # The published version shown (ports.reader.versions) and the story's
    # current one: the same on the port's page, not on an older version's.
    version: object = None
    current_version: object = None

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
        if self.localized_story is None:
            return []
        return [
            {
                "port": item["port"],
                "note": item["note"],
                "services": self.related_services.get(item["port"], []),
            }
            for item in self.localized_story.related
        ]

    @cached_property
    def citations(self):
        """
        The story's sources, each with the ids of the markers citing it.

        Markers are numbered per citation in the rendered body
        (cite-<n>-<k>), so the back-links are read from it.
        """
        if self.localized_story is None:
            return []
        markers = {}
        for number, occurrence in _MARKER_ID_RE.findall(
            self.localized_story.body_html.text
        ):
            markers.setdefault(int(number), []).append(f"cite-{number}-{occurrence}")
        return [
            {**citation, "markers": markers.get(citation["number"], [])}
            for citation in self.localized_story.citations
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


ASSIGNMENT_FIELDS = ("id", *FACT_FIELDS, "transport", "updated_at", "created_at")
STORY_FIELDS = (
    "port_id",
    "live_revision_id",
    "published_at",
    "go_live_at",
    "expire_at",
    "scheduled_go_live_at",
    "last_reviewed_at",
)
HISTORY_FIELDS = (
    "service_name",
    "description",
    "transport",
    "port_low",
    "port_high",
)
NEIGHBOUR_FIELDS = ("port_low", "port_high", "service_name", "description")
PROMPT_TEXT_FIELDS = ("question", "yes_label", "no_label", "comment_prompt", "thanks")


# A history entry's kind for an assignment the registry held at its baseline.
IN_BASELINE = "baseline"


@dataclass(frozen=True)
class HistoryEntry:
    """
    A registry change to an assignment covering the page's port, dated by
    the registry (`registry_date`, None for imports before it was recorded)
    and by the import that saw it (`created_at`, of run `run_id`).
    """

    kind: str  # a ChangeKind or IN_BASELINE
    created_at: datetime
    registry_date: date | None
    run_id: int
    service_name: str
    description: str
    transport: str
    port_low: int | None
    port_high: int | None
    # The changed fields, name → [old, new]; none for the baseline.
    fields: dict = field(default_factory=dict)

    @property
    def kind_label(self):
        if self.kind == IN_BASELINE:
            return ImportRun.Outcome.BASELINE.label
        return ChangeKind(self.kind).label

    @property
    def port_display(self):
        return port_range_text(self.port_low, self.port_high, dash="-")


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


# The port page's reads, composed once: a request only adds its port's
# conditions. Composing a query costs more Python than running it, and the
# page is what a cache miss builds most often. Never evaluated themselves.

# The port's story with its live version. The widest range's width comes
# along, one lookup in its index, so that the registry query can bound its
# scans with plain numbers rather than a subquery per port it covers.
_STORIES = Story.objects.values_list(
    *STORY_FIELDS,
    "live_revision__created_at",
    "live_revision__content",
    widest_range(),
)
_ASSIGNMENTS = Assignment.objects.order_by(
    "status", "transport", "service_name", "id"
).values_list(*ASSIGNMENT_FIELDS, named=True)
_CHANGES = (
    RegistryChange.objects.order_by()
    .annotate(registry_date=F("run__registry_date"))
    .values_list(
        "created_at", "id", "kind", "run_id", "registry_date", "assignment_id", "fields"
    )
)
# The baseline import, in the same columns: assignments it brought have no
# change of their own, their history starts with it.
_BASELINE = (
    ImportRun.objects.order_by()
    .filter(outcome=ImportRun.Outcome.BASELINE)
    .annotate(
        kind=Value(IN_BASELINE, output_field=CharField()),
        assignment_id=Value(None, output_field=IntegerField()),
        fields=Value({}, output_field=JSONField()),
    )
    .values_list(
        "started_at", "id", "kind", "id", "registry_date", "assignment_id", "fields"
    )
)
_NEIGHBOURS = Assignment.objects.values_list(*NEIGHBOUR_FIELDS)


@cache
def _prompts(language: str):
    """The prompt with its texts in this language (the page shows no other)."""
    fields = (
        *(build_localized_fieldname(name, language) for name in PROMPT_TEXT_FIELDS),
        "updated_at",
    )
    return FeedbackPrompt.objects.filter(key=FeedbackPrompt.SITE_KEY).values_list(
        *fields, named=True
    )


def _one(queryset):
    rows = list(queryset[:1])
    return rows[0] if rows else None


def _story(number: int):
    """
    The port's story (a StoryState or None), its live content and time, and,
    where it has a story, the widest range's width.
    """
    row = _one(_STORIES.filter(port_id=number))
    if row is None:
        return None, None, None, None
    *fields, revised_at, content, widest = row
    return StoryState(*fields), content, revised_at, widest


def _history(assignments) -> list:
    """
    The latest changes to these assignments first, then, for those the
    registry held at its baseline, the baseline. An assignment's ports are
    part of its identity (iana_csv.natural_key): the changes to the port's
    assignments are its history.

    One query: the changes and the baseline run, newest first. The
    assignments the baseline brought are those no later import added: each
    import after it records an "added" change for every assignment it
    brings. The baseline is the oldest row, so when it is read, so are they.
    """
    by_id = {assignment.id: assignment for assignment in assignments}
    if not by_id:
        return []
    rows = _CHANGES.filter(assignment__in=by_id).union(_BASELINE, all=True)
    newest = list(rows.order_by("-created_at", "id")[:HISTORY_LIMIT])
    added = {row[5] for row in newest if row[2] == ChangeKind.ADDED}
    entries = []
    for created_at, _id, kind, run_id, registry_date, assignment_id, fields in newest:
        if kind == IN_BASELINE:
            ids = [pk for pk in by_id if pk not in added]
        else:
            ids = [assignment_id]
        entries.extend(
            HistoryEntry(
                kind,
                created_at,
                registry_date,
                run_id,
                *(getattr(by_id[pk], name) for name in HISTORY_FIELDS),
                fields=fields or {},
            )
            for pk in ids
        )
    return entries


@dataclass
class PortRecord:
    """
    What the port's page and its open data answer both start from: its
    story, whether it is live, the registry entries covering the port and
    its history, and when this next changes by itself.
    """

    story: StoryState | None
    # The live version's content and when it was saved: None unless live.
    content: dict | None
    revised_at: datetime | None
    # The ports the live story relates the port to.
    related: list
    # The registry entries covering the port or one of the related ports.
    found: list
    # Those covering the port.
    assignments: list
    history: list
    next_change_at: datetime | None

    @property
    def live(self):
        return self.content is not None


def port_record(number: int, *, now) -> PortRecord:
    """The port's story, registry entries and history (three queries)."""
    # One story row whatever its state: whether it is live is decided by the
    # same rule as Story.objects.live(); the schedule says when the page changes.
    story, content, revised_at, widest = _story(number)
    if story is None or not story.is_live(now):
        content = revised_at = None
    related = [item["port"] for item in content["related"]] if content else []
    # The entries of the live story's related ports come with the port's own.
    found = list(
        _ASSIGNMENTS.covering_any(dict.fromkeys([number, *related]), widest=widest)
    )
    assignments = [a for a in found if a.port_low <= number <= a.port_high]
    next_change_at = None
    if story is not None:
        next_change_at = min(
            (
                moment
                for moment in (story.expire_at, story.scheduled_go_live_at)
                if moment is not None and moment > now
            ),
            default=None,
        )
    return PortRecord(
        story=story,
        content=content,
        revised_at=revised_at,
        related=related,
        found=found,
        assignments=assignments,
        history=_history(assignments),
        next_change_at=next_change_at,
    )


def port_page_data(number: int, *, language: str, now=None) -> PortPageData:
    """
    Everything the page of one port shows, in seven queries (six where no
    registry entry covers it).
    """
    if not PORT_MIN <= number <= PORT_MAX:
        raise NotAPort(number)
    now = now or timezone.now()
    range_class = range_class_for(number)
    low, high = RANGE_BOUNDS[range_class]
    record = port_record(number, now=now)
    assignments, history = record.assignments, record.history
    prompt = _one(_prompts(language))
    observed = observed_data.port_observations(number)
    page = PortPageData(
        number=number,
        range_class=range_class,
        range_bounds=(low, high),
        assignments=assignments,
        history=history,
        transports=sorted(
            {a.transport for a in assignments if a.transport}, key=TRANSPORT_ORDER.get
        ),
        facts=registry_facts(assignments),
        neighbours_below=_neighbours(
            _NEIGHBOURS.registered_below(number, low)[:NEIGHBOUR_ROWS], below=True
        ),
        neighbours_above=_neighbours(
            _NEIGHBOURS.registered_above(number, high)[:NEIGHBOUR_ROWS], below=False
        ),
        feedback_prompt=prompt,
        observed=observed,
        next_change_at=record.next_change_at,
        data_modified_at=_latest(
            *(a.updated_at for a in assignments),
            *(change.created_at for change in history[:1]),
            prompt.updated_at if prompt else None,
            observed.imported_at if observed else None,
        ),
    )
    if record.live:
        page.story = record.story
        page.story_revised_at = record.revised_at
        page.localized_story = LocalizedStory.from_content(record.content, language)
        page.related_services = _services_by_port(record.found, record.related)
    return page


def port_page_with_content(
    number: int, content: dict, *, language: str, story=None
) -> PortPageData:
    """
    The port's page with `content` (a revision's) in place of the live
    story: a published version, or a preview. `story` is what the page says
    of the story's dates (its reviews), if anything.
    """
    page = port_page_data(number, language=language)
    page.story = story
    page.localized_story = LocalizedStory.from_content(content, language)
    page.related_services = related_services(
        [item["port"] for item in page.localized_story.related]
    )
    return page


def _services_by_port(assignments, numbers) -> dict:
    """Port number → names of the current assignments covering it, by name."""
    services = {}
    for assignment in sorted(assignments, key=attrgetter("service_name")):
        name = assignment.service_name
        if assignment.status != AssignmentStatus.ASSIGNED or not name:
            continue
        for number in numbers:
            if assignment.port_low <= number <= assignment.port_high:
                names = services.setdefault(number, [])
                if name not in names:
                    names.append(name)
    return services


def related_services(numbers) -> dict:
    """
    Port number → names of the current assignments covering it, by name (one
    query, none without numbers).
    """
    numbers = sorted(set(numbers))
    if not numbers:
        return {}
    return _services_by_port(_ASSIGNMENTS.covering_any(numbers), numbers)


@dataclass
class StoryCard:
    """A live story as listed on the home page, in feeds and in search."""

    port: int
    title: object
    summary: object
    published_at: datetime | None
    updated_at: datetime | None
    revision_id: int | None = None

    @property
    def is_update(self):
        """Whether the live version came after the first publication."""
        return bool(
            self.published_at
            and self.updated_at
            and self.updated_at > self.published_at
        )


def _story_cards(stories, language: str) -> list[StoryCard]:
    """Cards of these stories, read from their live versions' titles and summaries."""
    rows = stories.values_list(
        "port_id",
        "published_at",
        "go_live_at",
        "live_revision_id",
        F("live_revision__content__title"),
        F("live_revision__content__summary"),
    )
    return [
        StoryCard(
            port=port,
            title=localize(titles, language),
            summary=localize(summaries, language),
            published_at=published_at,
            updated_at=go_live_at,
            revision_id=revision_id,
        )
        for port, published_at, go_live_at, revision_id, titles, summaries in rows
    ]


def recent_stories(*, language: str, limit=RECENT_STORIES, updates=False, now=None):
    """
    Live stories, newest first: first published (updates=False), or those whose
    live version replaced an earlier one, by when it went live (updates=True).
    """
    stories = Story.objects.live(now)
    if updates:
        stories = stories.filter(go_live_at__gt=F("published_at")).order_by(
            "-go_live_at", "port_id"
        )
    else:
        stories = stories.order_by("-published_at", "port_id")
    return _story_cards(stories[:limit], language)


def live_story_ports(now=None) -> set[int]:
    return set(Story.objects.live(now).values_list("port_id", flat=True))


def _first(queryset, order: str) -> Subquery:
    """The first value of a field in this order (a lookup in the field's index)."""
    return Subquery(queryset.order_by(order).values(order.lstrip("-"))[:1])


def listing_moments(now=None) -> tuple[datetime | None, datetime | None]:
    """
    When what listings show last changed, and when it next changes by itself.

    Last changed: no earlier than the last story saved (published,
    unpublished, gone live or expired by a workflow step), story expired by
    the clock, or import (of the registry or observed data) finished.
    Next: when a story next expires or has a version due to go live, if
    ever. Index lookups, in one query.
    """
    now = now or timezone.now()
    stories = Story.objects.all()
    # Grouped by a constant, that is not grouped at all: one row, even
    # before the first import.
    saved, expired, imported, observed, expires, goes_live = (
        ImportRun.objects.values(site=Value(1))
        .annotate(
            imported=Max("finished_at"),
            observed=_first(ObservedRun.objects.current(), "-imported_at"),
            saved=_first(stories, "-updated_at"),
            expired=_first(stories.filter(expire_at__lte=now), "-expire_at"),
            expires=_first(stories.filter(expire_at__gt=now), "expire_at"),
            goes_live=_first(
                stories.filter(scheduled_go_live_at__gt=now), "scheduled_go_live_at"
            ),
        )
        .values_list("saved", "expired", "imported", "observed", "expires", "goes_live")
        .get()
    )
    return _latest(saved, expired, imported, observed), _earliest(expires, goes_live)


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


def merged_intervals(intervals):
    merged = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return merged


def _numbers_in(intervals, low, high):
    numbers = []
    for start, end in merged_intervals(intervals):
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
        .values_list(*ASSIGNMENT_FIELDS, named=True)
    )
    titles = dict(
        Story.objects.live(now)
        .filter(port_id__in=numbers)
        .values_list("port_id", F("live_revision__content__title"))
    )
    rows = []
    for number in numbers:
        covering_number = [
            a for a in assignments if a.port_low <= number <= a.port_high
        ]
        row = PortRow(number=number, facts=registry_facts(covering_number))
        if number in titles:
            row.story_title = localize(titles[number], language)
        rows.append(row)
    return rows


# Services ---------------------------------------------------------------------


@dataclass
class ServicePageData:
    name: str
    facts: list
    stories: list

    @property
    def current_facts(self):
        return [fact for fact in self.facts if not fact.is_withdrawn]

    @property
    def withdrawn_facts(self):
        return [fact for fact in self.facts if fact.is_withdrawn]


def service_assignments(name: str) -> list:
    """The registry entries of a service name, in any case, by port."""
    return list(
        Assignment.objects.filter(service_name__iexact=name)
        .order_by("port_low", "transport")
        .values_list(*ASSIGNMENT_FIELDS, named=True)
    )


def service_page_data(name: str, *, language: str, now=None) -> ServicePageData | None:
    """A service name's registry entries (any case) and the stories of their ports."""
    assignments = service_assignments(name)
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
        stories = _story_cards(
            Story.objects.live(now).filter(covered).order_by("port_id"), language
        )
    current = [a for a in assignments if a.status != AssignmentStatus.WITHDRAWN]
    return ServicePageData(
        name=(current or assignments)[0].service_name,
        facts=registry_facts(assignments),
        stories=stories,
    )
