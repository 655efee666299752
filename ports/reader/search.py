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

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Func,
    Max,
    Q,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import JSONObject
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ports.choices import PORT_MAX, PORT_MIN, AssignmentStatus
from ports.editorial.revisions import localize
from ports.models import Assignment, Story, StoryRevision
from ports.reader.page_data import EntryLabels, registry_facts, service_assignments

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
class RegistryHit(EntryLabels):
    service_name: str
    port_low: int | None
    port_high: int | None
    transports: list
    description: str  # safe HTML with <mark>
    assignee: str
    status: str
    rank: float


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
        matches = service_assignments(name)
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
# licence manager; documents holding all of them rank first.
#
# The ranking reads only the stored documents. What a hit shows (a story's
# title and summary, the highlighted snippet) is one select-list expression
# holding ts_headline: PostgreSQL evaluates such costly expressions after the
# sort and LIMIT, so only for the hits shown. Reading the JSON content of
# every match before the sort would cost more than the ranking.
#
# ts_headline's work grows with the text, so only the first
# SNIPPET_SOURCE_CHARS of a story are read.
SNIPPET_SOURCE_CHARS = 6000
STORY_SNIPPET_OPTIONS = {
    "start_sel": MARK_START,
    "stop_sel": MARK_END,
    "max_words": 28,
    "min_words": 12,
    "max_fragments": 2,
    "fragment_delimiter": " … ",
}
REGISTRY_SNIPPET_OPTIONS = {
    "start_sel": MARK_START,
    "stop_sel": MARK_END,
    "highlight_all": True,
}


def _document(model):
    """
    The stored tsvector of a row (migration 0005): a generated column, not a
    model field, since SQLite has none. Only for the model's own table, not
    aliased in a subquery.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    return RawSQL(f"{table}.search_document", [], output_field=SearchVectorField())


def _queries(text, words):
    any_word = SearchQuery(words[0], config=SEARCH_CONFIG)
    for word in words[1:]:
        any_word |= SearchQuery(word, config=SEARCH_CONFIG)
    every_word = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    return any_word, every_word


def _rank(any_word, every_word):
    """ts_rank of the document, plus 1.0 where it holds every word."""
    return SearchRank(F("document"), any_word) + Case(
        When(document=every_word, then=Value(1.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )


class _SnippetSource(Func):
    """
    The text a story's snippet is cut from: the English summary, FAQs and
    body of its content (the JSON column given), up to SNIPPET_SOURCE_CHARS.
    """

    template = (
        "left(concat_ws(' ', %(expressions)s #>> '{summary,en}', "
        "(SELECT string_agg(value, ' ') FROM jsonb_array_elements_text("
        "jsonb_path_query_array(%(expressions)s, '$.faqs[*].*.en'))), "
        f"%(expressions)s #>> '{{body,en}}'), {SNIPPET_SOURCE_CHARS})"
    )
    output_field = TextField()


class _GroupHeadline(SearchHeadline):
    """
    ts_headline of a column the query groups by. Not a grouping key itself:
    it is then evaluated once per group, after the sort and LIMIT, rather
    than for every matching row before grouping.
    """

    def get_group_by_cols(self):
        return []


def _postgres_search(results, text, words, *, language, now):
    any_word, every_word = _queries(text, words)
    _story_hits(results, any_word, every_word, language=language, now=now)
    _registry_hits(results, any_word, every_word)


def _story_hits(results, any_word, every_word, *, language, now):
    """The top live stories and the count of all: one query."""
    now = now or timezone.now()
    # Evaluated for the hits shown only (see above).
    shown = JSONObject(
        titles=KeyTransform("title", "content"),
        summaries=KeyTransform("summary", "content"),
        snippet=SearchHeadline(
            _SnippetSource("content"),
            any_word,
            config=SEARCH_CONFIG,
            **STORY_SNIPPET_OPTIONS,
        ),
    )
    top = list(
        StoryRevision.objects.alias(document=_document(StoryRevision))
        # Live versions, by Story.objects.live()'s rule, through one join.
        .filter(
            Q(story__expire_at__isnull=True) | Q(story__expire_at__gt=now),
            story__live_revision=F("pk"),
            story__go_live_at__lte=now,
            document=any_word,
        )
        .annotate(
            port=F("story__port_id"),
            rank=_rank(any_word, every_word),
            total=Window(Count("*")),
            shown=shown,
        )
        .order_by("-rank", "port")
        .values_list("port", "rank", "total", "shown")[:STORY_LIMIT]
    )
    results.story_count = top[0][2] if top else 0
    results.stories = [
        StoryHit(
            port=port,
            title=localize(shown["titles"] or {}, language),
            summary=localize(shown["summaries"] or {}, language),
            snippet=highlight(shown["snippet"] or ""),
            rank=rank,
        )
        for port, rank, _total, shown in top
    ]


REGISTRY_HIT_FIELDS = (
    "service_name",
    "port_low",
    "port_high",
    "description",
    "assignee",
    "status",
)


def _registry_hits(results, any_word, every_word):
    """
    The top registry entries, entries differing only in transport taken as
    one, withdrawn ones last, and the count of all: one query.
    """
    top = list(
        Assignment.objects.alias(document=_document(Assignment))
        .filter(document=any_word)
        .values(*REGISTRY_HIT_FIELDS)
        .annotate(
            rank=Max(_rank(any_word, every_word)),
            transports=ArrayAgg("transport", distinct=True, default=[]),
            total=Window(Count("*")),
            snippet=_GroupHeadline(
                "description",
                any_word,
                config=SEARCH_CONFIG,
                **REGISTRY_SNIPPET_OPTIONS,
            ),
        )
        # False sorts before true: withdrawn entries last.
        .order_by(
            Exact(F("status"), AssignmentStatus.WITHDRAWN),
            "-rank",
            "port_low",
            "service_name",
        )[:REGISTRY_LIMIT]
    )
    results.registry_count = top[0]["total"] if top else 0
    results.registry = [
        _registry_hit(row, highlight(row["snippet"] or "")) for row in top
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
