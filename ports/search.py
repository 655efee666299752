"""
Reader search.

A port number or a range goes straight to its page; a service name lists its
registry entries; words search the live stories (title, summary, FAQs, body)
and the registry (service names, descriptions, assignees and contacts).

On PostgreSQL words use full-text search over stored tsvector columns with
GIN indexes (migration 0005): a story's document is built from its published
snapshot, so drafts never leak. Results are ranked with ts_rank, documents
holding every word first, and shown with ts_headline snippets. Elsewhere a
simpler case-insensitive substring search stands in.
"""

import re
from dataclasses import dataclass, field
from functools import cache

from django.db import connection
from django.db.models import Case, F, Max, Q, Value, When
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from . import plain_sql
from .choices import PORT_MAX, PORT_MIN, AssignmentStatus, port_range_text
from .models import Assignment, Story, StoryRevision
from .pages import registry_facts
from .revisions import localize

MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
STORY_LIMIT = 10
REGISTRY_LIMIT = 30
SEARCH_CONFIG = "english"
# Highlight delimiters that no text contains: the snippet is escaped first,
# then they become <mark> elements.
MARK_START, MARK_END = "\ue000", "\ue001"

_NUMBER_RE = re.compile(r"^\s*(?:port\s*)?(\d{1,7})\s*$", re.IGNORECASE)
_RANGE_RE = re.compile(
    r"^\s*(\d{1,7})\s*(?:-|–|—|\.\.|to)\s*(\d{1,7})\s*$", re.IGNORECASE
)
_SERVICE_RE = re.compile(r"^[\w.+*/-]{1,64}$")
_WORD_RE = re.compile(r"[^\W_]+(?:[-+.'][^\W_]+)*\+*")
# Markdown left in snippets of story bodies: footnote markers, emphasis, code.
_MARKDOWN_NOISE_RE = re.compile(r"\[\^\d+\]|`|\*\*|__|^#+\s*|(?<=\s)#+\s", re.MULTILINE)


@dataclass
class ParsedQuery:
    text: str
    kind: str  # "empty", "port", "range", "words" or "invalid"
    low: int | None = None
    high: int | None = None
    message: str = ""


def parse_query(text: str) -> ParsedQuery:
    """What a reader typed: a port, a range of ports, or words."""
    text = " ".join((text or "").split())[:MAX_QUERY_LENGTH]
    if not text:
        return ParsedQuery(text, "empty")
    if match := _NUMBER_RE.match(text):
        number = int(match[1])
        if number > PORT_MAX:
            return ParsedQuery(
                text,
                "invalid",
                message=_(
                    "%(number)s is not a port number: "
                    "ports run from %(low)s to %(high)s."
                )
                % {"number": number, "low": PORT_MIN, "high": PORT_MAX},
            )
        return ParsedQuery(text, "port", number, number)
    if match := _RANGE_RE.match(text):
        low, high = sorted((int(match[1]), int(match[2])))
        if high > PORT_MAX:
            return ParsedQuery(
                text,
                "invalid",
                message=_("Port ranges must lie between %(low)s and %(high)s.")
                % {"low": PORT_MIN, "high": PORT_MAX},
            )
        return ParsedQuery(text, "range", low, high)
    return ParsedQuery(text, "words")


@dataclass
class StoryHit:
    port: int
    title: object
    summary: object
    snippet: str
    rank: float


@dataclass
class RegistryHit:
    service_name: str
    port_low: int | None
    port_high: int | None
    transports: list
    description: str  # safe HTML with <mark>
    assignee: str
    status: str
    rank: float

    @property
    def port_display(self):
        return port_range_text(self.port_low, self.port_high)

    @property
    def status_label(self):
        return AssignmentStatus(self.status).label


@dataclass
class Results:
    text: str
    services: list = field(default_factory=list)  # RegistryFact, exact name
    service_name: str = ""
    stories: list = field(default_factory=list)
    registry: list = field(default_factory=list)
    story_count: int = 0
    registry_count: int = 0

    @property
    def total(self):
        return self.story_count + self.registry_count + len(self.services)


def words_of(text: str) -> list[str]:
    return _WORD_RE.findall(text)[:MAX_WORDS]


def highlight(snippet: str) -> str:
    """Escape a snippet whose matches are delimited by MARK_START/MARK_END."""
    html = escape(_MARKDOWN_NOISE_RE.sub("", snippet))
    html = html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    return mark_safe(" ".join(html.split()))  # noqa: S308 (escaped above)


def search(text: str, *, language: str, now=None) -> Results:
    """Search stories and the registry for words (a parsed "words" query)."""
    results = Results(text=text)
    name = text.strip()
    if _SERVICE_RE.match(name):
        matches = list(
            Assignment.objects.filter(service_name__iexact=name).order_by(
                "port_low", "transport"
            )
        )
        if matches:
            results.services = registry_facts(matches)
            results.service_name = matches[0].service_name
    words = words_of(text)
    if not words:
        return results
    if connection.vendor == "postgresql":
        _postgres_search(results, text, words, language=language, now=now)
    else:
        _fallback_search(results, words, language=language, now=now)
    return results


# PostgreSQL ---------------------------------------------------------------------

# Any word matches, so that "AppleTalk license manager" still finds the
# licence manager; documents holding all of them rank first. ts_headline
# reads only the hits shown, after the ranking's LIMIT; its work grows with
# the text, so only the first SNIPPET_SOURCE_CHARS of a story are read.
SNIPPET_SOURCE_CHARS = 6000
STORY_SNIPPET_OPTIONS = (
    f"StartSel='{MARK_START}', StopSel='{MARK_END}', MaxWords=28, MinWords=12, "
    "MaxFragments=2, FragmentDelimiter=' … '"
)
REGISTRY_SNIPPET_OPTIONS = (
    f"StartSel='{MARK_START}', StopSel='{MARK_END}', HighlightAll=true"
)
_STORY_TEXT = f"""left(concat_ws(' ', r.content #>> '{{summary,en}}',
    (SELECT string_agg(value, ' ') FROM jsonb_array_elements_text(
        jsonb_path_query_array(r.content, '$.faqs[*].*.en'))),
    r.content #>> '{{body,en}}'), {SNIPPET_SOURCE_CHARS})"""


def _any_word_sql(count: int) -> str:
    words = " || ".join([f"plainto_tsquery('{SEARCH_CONFIG}', %s)"] * count)
    return f"({words})"


@cache
def _stories_sql(word_count: int):
    """Top live stories, their count, titles, summaries and snippets."""
    any_word = _any_word_sql(word_count)
    every_word = f"websearch_to_tsquery('{SEARCH_CONFIG}', %s)"
    revisions, stories = plain_sql.table(StoryRevision), plain_sql.table(Story)
    return (
        (
            "top.port",
            "top.rank",
            "top.total",
            "r.content -> 'title'",
            "r.content -> 'summary'",
            f"ts_headline('{SEARCH_CONFIG}', {_STORY_TEXT}, {any_word}, %s)",
        ),
        # The ranking reads only the stored documents: reading the JSON
        # content of every match before the sort would cost more than it.
        f"FROM (SELECT r.id, s.port_id AS port, ts_rank(r.search_document, "
        f"{any_word}) + CASE WHEN r.search_document @@ {every_word} THEN 1.0 "
        "ELSE 0.0 END AS rank, COUNT(*) OVER () AS total "
        # Live versions only: a story's live version, while it is live.
        f"FROM {revisions} r JOIN {stories} s ON s.live_revision_id = r.id "
        "AND s.id = r.story_id "
        "WHERE s.go_live_at <= %s AND (s.expire_at IS NULL OR s.expire_at > %s) "
        f"AND r.search_document @@ {any_word} "
        f"ORDER BY rank DESC, port LIMIT {STORY_LIMIT}) AS top "
        f"JOIN {revisions} r ON r.id = top.id ORDER BY top.rank DESC, top.port",
    )


# What a registry hit is read with (ports.search._registry_hit).
REGISTRY_HIT_COLUMNS = (
    "service_name",
    "port_low",
    "port_high",
    "description",
    "assignee",
    "status",
    "rank",
    "transports",
)


@cache
def _registry_sql(word_count: int):
    """
    Top registry entries, entries differing only in transport taken as one,
    withdrawn ones last, with their count and highlighted descriptions.
    """
    any_word = _any_word_sql(word_count)
    every_word = f"websearch_to_tsquery('{SEARCH_CONFIG}', %s)"
    assignments = plain_sql.table(Assignment)
    withdrawn = "CASE WHEN status = %s THEN 1 ELSE 0 END"
    return (
        (
            *(f"hit.{name}" for name in (*REGISTRY_HIT_COLUMNS, "total")),
            f"ts_headline('{SEARCH_CONFIG}', a.description, {any_word}, %s)",
        ),
        "FROM (SELECT service_name, port_low, port_high, description, assignee, "
        f"status, {withdrawn} AS withdrawn, max(ts_rank(search_document, "
        f"{any_word}) + CASE WHEN search_document @@ {every_word} THEN 1.0 "
        "ELSE 0.0 END) AS rank, "
        "coalesce(array_agg(DISTINCT transport), '{}') AS transports, "
        "min(id) AS first, COUNT(*) OVER () AS total "
        f"FROM {assignments} WHERE search_document @@ {any_word} "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7 "
        "ORDER BY withdrawn, rank DESC, port_low, service_name "
        f"LIMIT {REGISTRY_LIMIT}) AS hit "
        f"JOIN {assignments} a ON a.id = hit.first "
        "ORDER BY hit.withdrawn, hit.rank DESC, hit.port_low, hit.service_name",
    )


def _postgres_reads(text, words, *, now) -> list[plain_sql.Read]:
    """The two reads of a word search: stories and registry, one statement."""
    now = now or timezone.now()
    count = len(words)
    stories = plain_sql.Read(
        StoryRevision,
        *_stories_sql(count),
        # Columns (the headline), then the ranking subquery's parameters.
        (*words, STORY_SNIPPET_OPTIONS, *words, text, now, now, *words),
        (None,) * 6,
    )
    registry = plain_sql.Read(
        Assignment,
        *_registry_sql(count),
        (
            *words,
            REGISTRY_SNIPPET_OPTIONS,
            AssignmentStatus.WITHDRAWN.value,
            *words,
            text,
            *words,
        ),
        (None,) * 10,
    )
    return [stories, registry]


def _postgres_search(results, text, words, *, language, now):
    stories, registry = plain_sql.fetch_all(_postgres_reads(text, words, now=now))
    results.story_count = stories[0][2] if stories else 0
    results.stories = [
        StoryHit(
            port=port,
            title=localize(titles or {}, language),
            summary=localize(summaries or {}, language),
            snippet=highlight(snippet or ""),
            rank=rank,
        )
        for port, rank, _total, titles, summaries, snippet in stories
    ]
    hit_size = len(REGISTRY_HIT_COLUMNS)
    results.registry_count = registry[0][hit_size] if registry else 0
    results.registry = [
        _registry_hit(
            dict(zip(REGISTRY_HIT_COLUMNS, row[:hit_size], strict=True)),
            highlight(row[hit_size + 1] or ""),
        )
        for row in registry
    ]


def _registry_hit(row, description):
    return RegistryHit(
        service_name=row["service_name"],
        port_low=row["port_low"],
        port_high=row["port_high"],
        transports=sorted(t for t in row["transports"] if t),
        description=description,
        assignee=row["assignee"],
        status=row["status"],
        rank=row["rank"],
    )


# Other databases -------------------------------------------------------------------


def _contains_any(fields, words):
    condition = Q()
    for word in words:
        for name in fields:
            condition |= Q(**{f"{name}__icontains": word})
    return condition


def _score(weights, words):
    score = Value(0)
    for word in words:
        for name, weight in weights.items():
            score = score + Case(
                When(**{f"{name}__icontains": word}, then=Value(weight)),
                default=Value(0),
            )
    return score


def _window(text, words, size=220):
    """About `size` characters of text around the first match, in whole words."""
    lowered = text.lower()
    positions = [lowered.find(word.lower()) for word in words]
    positions = [position for position in positions if position >= 0]
    start = max(0, min(positions) - size // 3) if positions else 0
    end = min(len(text), start + size)
    if start:  # begin after a space, not inside a word
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < min(positions, default=end) else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    snippet = text[start:end]
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    snippet = pattern.sub(lambda m: f"{MARK_START}{m[0]}{MARK_END}", snippet)
    return ("… " if start else "") + snippet + (" …" if end < len(text) else "")


def _fallback_search(results, words, *, language, now):
    weights = {"title": 8, "summary": 4, "faqs": 2, "body": 1}
    revisions = StoryRevision.objects.filter(
        pk__in=Story.objects.live(now).values("live_revision_id")
    ).alias(
        title=KT("content__title__en"),
        summary=KT("content__summary__en"),
        body=KT("content__body__en"),
        faqs=KT("content__faqs"),
    )
    revisions = revisions.filter(_contains_any(weights, words))
    results.story_count = revisions.count()
    top = (
        revisions.annotate(rank=_score(weights, words), port=F("story__port_id"))
        .order_by("-rank", "port")
        .values("port", "rank", "content")[:STORY_LIMIT]
    )
    for hit in top:
        content = hit["content"]
        text = " ".join(
            [
                content["summary"].get("en", ""),
                content["body"].get("en", ""),
                *(faq["question"].get("en", "") for faq in content["faqs"]),
                *(faq["answer"].get("en", "") for faq in content["faqs"]),
            ]
        )
        results.stories.append(
            StoryHit(
                port=hit["port"],
                title=localize(content["title"], language),
                summary=localize(content["summary"], language),
                snippet=highlight(_window(text, words)),
                rank=hit["rank"],
            )
        )

    registry_weights = {
        "service_name": 8,
        "description": 4,
        "assignee": 2,
        "contact": 1,
    }
    assignments = Assignment.objects.filter(_contains_any(registry_weights, words))
    groups = assignments.values(
        "service_name", "port_low", "port_high", "description", "assignee", "status"
    )
    results.registry_count = groups.order_by().distinct().count()
    rows = groups.annotate(rank=Max(_score(registry_weights, words))).order_by(
        "-rank", "port_low", "service_name"
    )[:REGISTRY_LIMIT]
    transports = {}
    keys = [(row["service_name"], row["port_low"], row["port_high"]) for row in rows]
    for name, low, high, transport in assignments.filter(
        service_name__in={key[0] for key in keys}
    ).values_list("service_name", "port_low", "port_high", "transport"):
        transports.setdefault((name, low, high), set()).add(transport)
    for row in rows:
        row["transports"] = transports.get(
            (row["service_name"], row["port_low"], row["port_high"]), set()
        )
        results.registry.append(
            _registry_hit(row, highlight(_window(row["description"], words, size=400)))
        )
    results.registry.sort(key=lambda hit: hit.status == AssignmentStatus.WITHDRAWN)
