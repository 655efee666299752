"""
Reader search.

A port number or a range goes straight to its page; a service name lists its
registry entries; words search the live stories (title, summary, FAQs, body)
and the registry (service names, descriptions, assignees and contacts).

Stories are searched in the reader's language first, then in English for
stories that did not match in it (marked as English on the page). Their
texts are those of the live version in each language (ports.models.search),
so drafts never leak.

On PostgreSQL words use full-text search over stored tsvector documents with
GIN indexes, built with each language's configuration (bigrams for Japanese
and Chinese). Results are ranked with ts_rank, documents holding every word
first, and shown with ts_headline snippets (cut in Python for bigram
languages). The registry is searched in English. Elsewhere a simpler
case-insensitive substring search stands in.
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
    Exists,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Left
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ports.choices import PORT_MAX, PORT_MIN, AssignmentStatus
from ports.editorial.revisions import Localized
from ports.languages import SOURCE_LANGUAGE, ascii_digits
from ports.models import Assignment, StorySearchText
from ports.models.search import BIGRAM_LANGUAGES, bigram_words, search_config
from ports.reader.page_data import EntryLabels, registry_facts, service_assignments

MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
STORY_LIMIT = 10
REGISTRY_LIMIT = 30
REGISTRY_SEARCH_CONFIG = "english"
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
    # The language the story matched in: the reader's, or English.
    language: str = SOURCE_LANGUAGE


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
    html = escape(ascii_digits(_MARKDOWN_NOISE_RE.sub("", snippet)))
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
# The ranking reads only the stored documents. The highlighted snippet is a
# select-list expression holding ts_headline: PostgreSQL evaluates such
# costly expressions after the sort and LIMIT, so only for the hits shown.
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
    The stored tsvector of a registry row (migration 0005): a generated
    column, not a model field, since SQLite has none. Only for the model's
    own table, not aliased in a subquery.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    return RawSQL(f"{table}.search_document", [], output_field=SearchVectorField())


def _queries(text, words):
    any_word = SearchQuery(words[0], config=REGISTRY_SEARCH_CONFIG)
    for word in words[1:]:
        any_word |= SearchQuery(word, config=REGISTRY_SEARCH_CONFIG)
    every_word = SearchQuery(
        text, config=REGISTRY_SEARCH_CONFIG, search_type="websearch"
    )
    return any_word, every_word


def _rank(any_word, every_word):
    """ts_rank of the document, plus 1.0 where it holds every word."""
    return SearchRank(F("document"), any_word) + Case(
        When(document=every_word, then=Value(1.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )


class _GroupHeadline(SearchHeadline):
    """
    ts_headline of a column the query groups by. Not a grouping key itself:
    it is then evaluated once per group, after the sort and LIMIT, rather
    than for every matching row before grouping.
    """

    def get_group_by_cols(self):
        return []


def _postgres_search(results, text, words, *, language, now):
    _story_hits(results, text, words, language=language, now=now)
    _registry_hits(results, *_queries(text, words))


def _story_queries(language, text, words):
    """
    The any-word and every-word queries of `words` in one language's
    documents (ports.models.search): its configuration's lexemes, or for
    bigram languages each word as its pairs in a row.
    """
    config = search_config(language)
    if language not in BIGRAM_LANGUAGES:
        any_word = SearchQuery(words[0], config=config)
        for word in words[1:]:
            any_word |= SearchQuery(word, config=config)
        return any_word, SearchQuery(text, config=config, search_type="websearch")
    parts = [
        " <-> ".join(f"'{term}'" for term in terms)
        if len(terms) > 1 or len(terms[0]) > 1
        # One character of an unspaced script: the pairs it begins.
        else f"'{terms[0]}':*"
        for word in words
        for terms in bigram_words(word)
    ]
    any_word = SearchQuery(
        " | ".join(f"({part})" for part in parts), config=config, search_type="raw"
    )
    every_word = SearchQuery(
        " & ".join(f"({part})" for part in parts), config=config, search_type="raw"
    )
    return any_word, every_word


def _live_texts(now):
    """The search texts of live versions, by Story.objects.live()'s rule."""
    return StorySearchText.objects.filter(
        Q(revision__story__expire_at__isnull=True)
        | Q(revision__story__expire_at__gt=now),
        revision__story__live_revision=F("revision"),
        revision__story__go_live_at__lte=now,
    )


def _story_hits(results, text, words, *, language, now):
    """
    The top live stories and the count of all, in one query: matches in the
    reader's language first, then English matches of stories with none.
    """
    now = now or timezone.now()
    languages = list(dict.fromkeys([language, SOURCE_LANGUAGE]))
    queries = {code: _story_queries(code, text, words) for code in languages}
    matches = Q()
    ranks, snippets = [], []
    for code, (any_word, every_word) in queries.items():
        matches |= Q(language=code, document=any_word)
        ranks.append(When(language=code, then=_rank(any_word, every_word)))
        if code not in BIGRAM_LANGUAGES:
            snippets.append(
                When(
                    language=code,
                    then=SearchHeadline(
                        _snippet_source(),
                        any_word,
                        config=search_config(code),
                        **STORY_SNIPPET_OPTIONS,
                    ),
                )
            )
    hits = _live_texts(now).filter(matches)
    if language != SOURCE_LANGUAGE:
        in_own_language = StorySearchText.objects.filter(
            revision=OuterRef("revision"),
            language=language,
            document=queries[language][0],
        )
        hits = hits.exclude(Q(language=SOURCE_LANGUAGE) & Exists(in_own_language))
    top = list(
        hits.annotate(
            port=F("revision__story__port_id"),
            own_language=Case(When(language=language, then=Value(1)), default=Value(0)),
            rank=Case(*ranks, output_field=FloatField()),
            total=Window(Count("*")),
            # Evaluated for the hits shown only (see above); bigram languages
            # are cut in Python, as their documents hold pairs, not words.
            snippet=Case(
                *snippets, default=_snippet_source(), output_field=TextField()
            ),
        )
        .order_by("-own_language", "-rank", "port")
        .values_list(
            "port", "rank", "total", "language", "title", "summary", "snippet"
        )[:STORY_LIMIT]
    )
    results.story_count = top[0][2] if top else 0
    results.stories = [
        StoryHit(
            port=port,
            title=Localized(ascii_digits(title), code),
            summary=Localized(ascii_digits(summary), code),
            snippet=highlight(
                _window(snippet, words) if code in BIGRAM_LANGUAGES else snippet or ""
            ),
            rank=rank,
            language=code,
        )
        for port, rank, _total, code, title, summary, snippet in top
    ]


def _snippet_source():
    """A hit's summary, FAQs and body, up to SNIPPET_SOURCE_CHARS."""
    return Left(
        Concat("summary", Value(" "), "text", output_field=TextField()),
        SNIPPET_SOURCE_CHARS,
    )


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
                config=REGISTRY_SEARCH_CONFIG,
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
    weights = {"title": 8, "summary": 4, "text": 1}
    texts = _live_texts(now or timezone.now()).filter(
        _contains_any(weights, words),
        language__in=[language, SOURCE_LANGUAGE],
    )
    ranked = texts.annotate(
        rank=_score(weights, words), port=F("revision__story__port_id")
    ).values("port", "rank", "language", "title", "summary", "text")
    # One hit per story, in the reader's language where it matched in it.
    best = {}
    for hit in ranked:
        key = (hit["language"] == language, hit["rank"])
        if hit["port"] not in best or key > best[hit["port"]][0]:
            best[hit["port"]] = (key, hit)
    ordered = sorted(
        best.values(), key=lambda item: (-item[0][0], -item[0][1], item[1]["port"])
    )
    results.story_count = len(ordered)
    for _key, hit in ordered[:STORY_LIMIT]:
        results.stories.append(
            StoryHit(
                port=hit["port"],
                title=Localized(ascii_digits(hit["title"]), hit["language"]),
                summary=Localized(ascii_digits(hit["summary"]), hit["language"]),
                snippet=highlight(_window(f"{hit['summary']} {hit['text']}", words)),
                rank=hit["rank"],
                language=hit["language"],
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
