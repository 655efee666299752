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

import functools
import math
import operator
import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
)
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Concat, Greatest, Left, Ln
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ports.choices import PORT_MAX, PORT_MIN, AssignmentStatus
from ports.editorial.revisions import Localized
from ports.languages import SOURCE_LANGUAGE, ascii_digits
from ports.models import (
    Assignment,
    ObservedPort,
    PromotedPort,
    RegistrySearchEntry,
    SearchSynonym,
    StorySearchText,
)
from ports.models.search import BIGRAM_LANGUAGES, bigram_words, search_config
from ports.models.search_tuning import QUERY_WORD_RE, normalize_query
from ports.reader.observed import CLAIM_LABELS
from ports.reader.page_data import EntryLabels, registry_facts, service_assignments

MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
STORY_LIMIT = 10
REGISTRY_LIMIT = 30
OBSERVED_LIMIT = 10
REGISTRY_SEARCH_CONFIG = "english"
# For the search's transaction only (SET LOCAL), in one statement.
SEARCH_SETTINGS = (
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('jit', 'off', true)"
)
# Highlight delimiters that no text contains: the snippet is escaped first,
# then they become <mark> elements.
MARK_START, MARK_END = "\ue000", "\ue001"

_NUMBER_RE = re.compile(r"^\s*(?:port\s*)?(\d{1,7})\s*$", re.IGNORECASE)
_RANGE_RE = re.compile(
    r"^\s*(\d{1,7})\s*(?:-|–|—|\.\.|to)\s*(\d{1,7})\s*$", re.IGNORECASE
)
_SERVICE_RE = re.compile(r"^[\w.+*/-]{1,64}$")
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
    # Why an entry whose own text does not match was found, if so.
    observed: "ObservedReason | None" = None


@dataclass
class ObservedReason:
    """The name nmap or the services file gives a hit's port, which matched."""

    source: str
    text: str  # safe HTML with <mark>

    @property
    def label(self):
        return CLAIM_LABELS[self.source]


@dataclass
class ObservedHit:
    """A port IANA assigned to no one that nmap or the services file name."""

    port: int
    transports: list
    reason: ObservedReason
    rank: float


@dataclass
class Results:
    text: str
    services: list = field(default_factory=list)  # RegistryFact, exact name
    service_name: str = ""
    stories: list = field(default_factory=list)
    registry: list = field(default_factory=list)
    observed: list = field(default_factory=list)  # ObservedHit
    # PromotedPort rows (with note and service_name) of an approved promotion.
    promoted: list = field(default_factory=list)
    story_count: int = 0
    registry_count: int = 0
    observed_count: int = 0

    @property
    def total(self):
        return (
            self.story_count
            + self.registry_count
            + self.observed_count
            + len(self.services)
        )


def words_of(text: str) -> list[str]:
    return QUERY_WORD_RE.findall(text)[:MAX_WORDS]


def highlight(snippet: str) -> str:
    """Escape a snippet whose matches are delimited by MARK_START/MARK_END."""
    html = escape(ascii_digits(_MARKDOWN_NOISE_RE.sub("", snippet)))
    html = html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    return mark_safe(" ".join(html.split()))  # noqa: S308 (escaped above)


def search(text: str, *, language: str, now=None) -> Results:
    """Search stories and the registry for words (a parsed "words" query)."""
    results = Results(text=text)
    results.promoted = promoted_ports(text)
    name = text.strip()
    if _SERVICE_RE.match(name):
        matches = service_assignments(name)
        if matches:
            results.services = registry_facts(matches)
            results.service_name = matches[0].service_name
    words = words_of(text)
    if not words:
        return results
    synonyms = SearchSynonym.objects.expansions(words)
    if connection.vendor == "postgresql":
        with transaction.atomic(savepoint=False):
            # Connections prepare statements they run again and again; a
            # prepared search would be planned once for any words, without
            # the statistics that make its filters cheap (ten times slower
            # here). A search's plan costs a millisecond; it is made anew.
            # Common words make the planner's costs large enough for it to
            # compile the query to machine code (JIT), which took 36 ms to
            # save none in a query that runs in 16.
            with connection.cursor() as cursor:
                cursor.execute(SEARCH_SETTINGS)
            _postgres_search(results, text, words, synonyms, language=language, now=now)
    else:
        expanded = [*words, *(w for e in synonyms.values() for w in words_of(e))]
        _fallback_search(results, expanded, language=language, now=now)
    return results


def promoted_ports(text: str) -> list:
    """The ports an approved promotion pins to this query, in its order."""
    return list(
        PromotedPort.objects.filter(
            promotion__query=normalize_query(text),
            promotion__approved_at__isnull=False,
        ).annotate(
            note=F("promotion__note"),
            service_name=Subquery(
                Assignment.objects.filter(
                    port_low=OuterRef("port"),
                    port_high=OuterRef("port"),
                    status=AssignmentStatus.ASSIGNED,
                )
                .order_by("service_name")
                .values("service_name")[:1]
            ),
        )
    )


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


def _queries(text, words, synonyms, config=REGISTRY_SEARCH_CONFIG):
    """
    The any-word and every-word queries of `words`: each word or, where an
    approved synonym gives it other words, those words in a row ("dns"
    finds "domain name").
    """
    parts = []
    for word in words:
        part = SearchQuery(word, config=config)
        if expansion := synonyms.get(word.casefold()):
            part |= SearchQuery(expansion, config=config, search_type="phrase")
        parts.append(part)
    any_word = functools.reduce(operator.or_, parts)
    if any(word.casefold() in synonyms for word in words):
        return any_word, functools.reduce(operator.and_, parts)
    return any_word, SearchQuery(text, config=config, search_type="websearch")


def _rank(any_word, every_word, ranking=None):
    """
    ts_rank of the document (by `ranking`, else `any_word`), plus 1.0 where
    it holds every word; with no `every_word` (one word: every match holds
    it) the 1.0 is every match's.
    """
    rank = SearchRank(F("document"), ranking or any_word)
    if every_word is None:
        return rank + Value(1.0)
    return rank + Case(
        When(document=every_word, then=Value(1.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )


# The most a port's open frequency adds to its rank: a little less than a
# match of every word (1.0), so that it orders comparable matches rather
# than overriding the text.
FREQUENCY_WEIGHT = 1.0
# Frequencies are spread over orders of magnitude (0.48 for 80/tcp, 0.0001
# for thousands of ports): ln(1 + 1000 f) / ln(1001) tells 1% from 0.1% from
# 0.01% and stays within 0–1.
FREQUENCY_SCALE = 1000


def _frequency_bonus(frequency):
    return (
        FREQUENCY_WEIGHT
        * Ln(Value(1.0) + FREQUENCY_SCALE * frequency)
        / math.log(1 + FREQUENCY_SCALE)
    )


def _live_observed():
    """Observed rows readers see: those of each source's current import."""
    return ObservedPort.objects.filter(run__current=True)


def _postgres_search(results, text, words, synonyms, *, language, now):
    _story_hits(results, text, words, synonyms, language=language, now=now)
    queries = _queries(text, words, synonyms)
    _registry_hits(results, words, *queries)
    _observed_hits(results, words, *queries)


def _story_queries(language, text, words, synonyms):
    """
    The any-word, every-word and ranking queries of `words` in one language's
    documents (ports.models.search): its configuration's lexemes, or for
    bigram languages each word as all of its pairs.

    A word's pairs are matched together, not as a phrase in a row: the GIN
    index answers that alone, and a phrase would unpack every document to
    check positions for no gain (a word of two or three characters has one
    or two pairs). Bigram documents are ranked by any of the pairs, as
    ranking a phrase over long documents grows with their positions squared.
    """
    config = search_config(language)
    if language not in BIGRAM_LANGUAGES:
        any_word, every_word = _queries(text, words, synonyms, config)
        return any_word, every_word, any_word
    expansions = [
        word for expansion in synonyms.values() for word in words_of(expansion)
    ]

    def pairs_of(word):
        return [
            " & ".join(f"'{term}'" for term in terms)
            if len(terms) > 1 or len(terms[0]) > 1
            # One character of an unspaced script: the pairs it begins.
            else f"'{terms[0]}':*"
            for terms in bigram_words(word)
        ]

    parts = [part for word in words for part in pairs_of(word)]
    also = [part for word in expansions for part in pairs_of(word)]

    def raw(operator_, items):
        query = f" {operator_} ".join(f"({item})" for item in items)
        return SearchQuery(query, config=config, search_type="raw")

    ranking = raw("|", [term for part in parts + also for term in part.split(" & ")])
    return raw("|", parts + also), raw("&", parts), ranking


def _live_texts(now):
    """The search texts of live versions, by Story.objects.live()'s rule."""
    return StorySearchText.objects.filter(
        Q(revision__live_stories__expire_at__isnull=True)
        | Q(revision__live_stories__expire_at__gt=now),
        revision__live_stories__go_live_at__lte=now,
    )


def _story_hits(results, text, words, synonyms, *, language, now):
    """
    The top live stories and the count of all, in one query: matches in the
    reader's language first, then English matches of stories with none.
    """
    now = now or timezone.now()
    languages = list(dict.fromkeys([language, SOURCE_LANGUAGE]))
    queries = {code: _story_queries(code, text, words, synonyms) for code in languages}
    one_word = len(words) == 1 and not synonyms
    matches = Q()
    ranks, snippets = [], []
    for code, (any_word, every_word, ranking) in queries.items():
        # The language first: a revision's rows of other languages are never
        # unpacked to be matched.
        matches |= Q(language=code) & Q(document=any_word)
        every = None if one_word else every_word
        ranks.append(When(language=code, then=_rank(any_word, every, ranking)))
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
    hits = _live_texts(now).filter(matches, language__in=languages)
    if language != SOURCE_LANGUAGE:
        in_own_language = StorySearchText.objects.filter(
            revision=OuterRef("revision"),
            language=language,
            document=queries[language][0],
        )
        hits = hits.exclude(Q(language=SOURCE_LANGUAGE) & Exists(in_own_language))
    top = list(
        hits.annotate(
            port=F("revision__live_stories__port_id"),
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


def _entry_hits(entries, any_word, every_word, *, limit, order):
    """
    The top entries of the registry's search view matching the words, and
    the count of all, in one query: ranked by their text (IANA's and
    their port's observed names), plus a bonus for how often nmap finds the
    port open, so that among comparable matches the port the world runs
    comes first.
    """
    return list(
        entries.filter(document=any_word)
        .annotate(
            rank=_rank(any_word, every_word) + _frequency_bonus(F("frequency")),
            total=Window(Count("*")),
            # Evaluated for the hits shown only (see above).
            snippet=SearchHeadline(
                "description",
                any_word,
                config=REGISTRY_SEARCH_CONFIG,
                **REGISTRY_SNIPPET_OPTIONS,
            ),
            own_match=Case(
                When(own_document=any_word, then=Value(True)),
                default=Value(False),
            ),
        )
        .order_by(*order)
        .values(
            *REGISTRY_HIT_FIELDS,
            "transports",
            "observed",
            "rank",
            "total",
            "snippet",
            "own_match",
        )[:limit]
    )


def _registry_hits(results, words, any_word, every_word):
    """
    The top registry entries, withdrawn ones last. An assigned entry of one
    port is also found by what nmap or the services file call that port
    (IANA's 3389 is "ms-wbt-server"; nmap says it is RDP), and then says so.
    """
    top = _entry_hits(
        RegistrySearchEntry.objects.filter(source="registry"),
        any_word,
        every_word,
        limit=REGISTRY_LIMIT,
        # False sorts before true: withdrawn entries last.
        order=[
            Exact(F("status"), AssignmentStatus.WITHDRAWN),
            "-rank",
            "port_low",
            "service_name",
        ],
    )
    results.registry_count = top[0]["total"] if top else 0
    results.registry = [
        _registry_hit(
            row,
            highlight(row["snippet"] or ""),
            None
            if row["own_match"]
            else _observed_reason(_best_observed_row(row["observed"], words), words),
        )
        for row in top
    ]


def _observed_hits(results, words, any_word, every_word):
    """
    Ports that nmap or the services file name for the words and IANA has
    assigned to no one (25565 is nmap's "minecraft"), ranked as registry
    entries are.
    """
    top = _entry_hits(
        RegistrySearchEntry.objects.filter(source="observed"),
        any_word,
        every_word,
        limit=OBSERVED_LIMIT,
        order=["-rank", "port_low"],
    )
    results.observed_count = top[0]["total"] if top else 0
    results.observed = [
        ObservedHit(
            port=row["port_low"],
            transports=sorted(row["transports"]),
            reason=_observed_reason(_best_observed_row(row["observed"], words), words),
            rank=row["rank"],
        )
        for row in top
    ]


def _best_observed_row(rows, words):
    """The observed row (name, aliases, comment) holding most of the words."""
    if not rows:
        return None

    def found(row):
        text = " ".join([row["name"], *row["aliases"], row["comment"]]).casefold()
        return sum(word.casefold() in text for word in words)

    # max() keeps the first of equals: the rows come by source, then transport.
    return max(rows, key=found)


def _observed_reason(row, words):
    """An observed row's name, aliases and comment, matches marked."""
    if not row:
        return None
    names = row["name"] + (f" ({', '.join(row['aliases'])})" if row["aliases"] else "")
    text = " — ".join(part for part in (names, row["comment"]) if part)
    return ObservedReason(row["source"], highlight(_window(text, words, size=400)))


def _registry_hit(row, description, observed=None):
    return RegistryHit(
        service_name=row["service_name"],
        port_low=row["port_low"],
        port_high=row["port_high"],
        transports=sorted(t for t in row["transports"] if t),
        description=description,
        assignee=row["assignee"],
        status=row["status"],
        rank=row["rank"],
        observed=observed,
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
        rank=_score(weights, words), port=F("revision__live_stories__port_id")
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
    # Observed names count as service names, their comments as descriptions.
    observed_weights = {"name": 8, "aliases": 8, "comment": 4}
    matching = _live_observed().filter(_contains_any(observed_weights, words))
    here = matching.filter(port=OuterRef("port_low"))
    single_port = Q(port_low=F("port_high"), status=AssignmentStatus.ASSIGNED)
    assignments = Assignment.objects.filter(
        _contains_any(registry_weights, words)
        | Q(single_port, port_low__in=matching.values("port"))
    )
    groups = assignments.values(*REGISTRY_HIT_FIELDS)
    results.registry_count = groups.order_by().distinct().count()
    rows = (
        groups.alias(
            text_rank=Max(_score(registry_weights, words)),
            observed_rank=Max(
                Case(
                    When(
                        single_port,
                        then=Subquery(
                            here.annotate(score=_score(observed_weights, words))
                            .order_by("-score")
                            .values("score")[:1]
                        ),
                    ),
                    default=Value(0),
                )
            ),
            frequency=Max(
                Case(
                    When(
                        single_port,
                        then=Subquery(
                            _live_observed()
                            .nmap()
                            .filter(port=OuterRef("port_low"))
                            .order_by("-frequency")
                            .values("frequency")[:1]
                        ),
                    ),
                    output_field=FloatField(),
                )
            ),
        )
        .annotate(
            own_text=F("text_rank"),
            rank=Greatest(F("text_rank"), Coalesce(F("observed_rank"), 0))
            + FALLBACK_FREQUENCY_POINTS
            * _frequency_bonus(Coalesce(F("frequency"), 0.0)),
        )
        .order_by("-rank", "port_low", "service_name")[:REGISTRY_LIMIT]
    )
    observed = _fallback_observed(matching, observed_weights, words)
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
        best = observed.get(row["port_low"])
        results.registry.append(
            _registry_hit(
                row,
                highlight(_window(row["description"], words, size=400)),
                _observed_reason(best and best["row"], words)
                if not row["own_text"] and row["port_low"] == row["port_high"]
                else None,
            )
        )
    unassigned = sorted(
        (port for port in observed.values() if not port["assigned"]),
        key=lambda port: (-port["rank"], port["port"]),
    )
    results.observed_count = len(unassigned)
    results.observed = [
        ObservedHit(
            port=port["port"],
            transports=sorted(port["transports"]),
            reason=_observed_reason(port["row"], words),
            rank=port["rank"],
        )
        for port in unassigned[:OBSERVED_LIMIT]
    ]
    results.registry.sort(key=lambda hit: hit.status == AssignmentStatus.WITHDRAWN)


# The fallback's scores count 8 for a word in a name and 4 in a description,
# and substrings match more than words do ("mail" in "mailbox"): a port's
# open frequency adds up to a word in both, and a little more.
FALLBACK_FREQUENCY_POINTS = 16


def _fallback_observed(matching, weights, words):
    """
    The matching observed rows by port, in one query: the best-matching row,
    the transports, whether IANA assigned the port, and its rank.
    """
    assigned = Assignment.objects.filter(
        port_low=OuterRef("port"),
        port_high=OuterRef("port"),
        status=AssignmentStatus.ASSIGNED,
    )
    ports = {}
    for row in (
        matching.annotate(score=_score(weights, words), assigned=Exists(assigned))
        .order_by("-score", "source", "transport")
        .values(
            "port",
            "source",
            "transport",
            "name",
            "aliases",
            "comment",
            "frequency",
            "score",
            "assigned",
        )
    ):
        port = ports.setdefault(
            row["port"],
            {
                "port": row["port"],
                "row": row,
                "assigned": row["assigned"],
                "transports": set(),
                "score": row["score"],
                "frequency": 0.0,
            },
        )
        port["transports"].add(row["transport"])
        port["frequency"] = max(port["frequency"], row["frequency"] or 0.0)
    for port in ports.values():
        bonus = math.log1p(FREQUENCY_SCALE * port["frequency"]) / math.log1p(
            FREQUENCY_SCALE
        )
        port["rank"] = port["score"] + FALLBACK_FREQUENCY_POINTS * (
            FREQUENCY_WEIGHT * bonus
        )
    return ports
