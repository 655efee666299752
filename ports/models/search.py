"""
What reader search reads of stories: the live version's text in each
language it is written in, with a full-text document built for that language.

PostgreSQL's text search configurations stem the languages they know
(German "Lizenzen" finds "Lizenz", Russian and Turkish inflections).
Japanese and Chinese are written without spaces, so no word-based
configuration can split them; their documents are made of overlapping
character pairs instead (bigrams: "ライセンス" is ライ イセ セン ンス), and a
query is the same pairs in a row, which finds any word of two characters or
more wherever it stands. Persian, Pashto and Vietnamese, which have no
configuration, are matched word for word ("simple").
"""

import re

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import (
    SearchVector,
    SearchVectorCombinable,
    SearchVectorField,
)
from django.db import connections, models, transaction
from django.db.models import Func, Value
from django.utils.html import strip_tags

from ports.languages import language_codes
from ports.models.stories import StoryRevision

# Languages with a PostgreSQL configuration of their own; the others use
# "simple" (and bigrams where words are not separated).
SEARCH_CONFIGS = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "pt-br": "portuguese",
    "ru": "russian",
    "tr": "turkish",
    "id": "indonesian",
    "ar": "arabic",
}
BIGRAM_LANGUAGES = {"ja", "zh-hans"}

# Runs of the scripts written without spaces: kana, CJK ideographs, Hangul.
_UNSPACED_RE = re.compile(
    r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+"
)
_WORD_RE = re.compile(r"[^\W_]+")


def search_config(language: str) -> str:
    return SEARCH_CONFIGS.get(language, "simple")


def bigram_words(text: str) -> list[list[str]]:
    """
    Each word of `text` as the terms a bigram document holds: a run of
    unspaced script as its overlapping pairs (one character stays one), any
    other word as itself, lower-cased.
    """
    words = []
    for word in _WORD_RE.findall(text):
        for part in re.split(f"({_UNSPACED_RE.pattern})", word):
            if not part:
                continue
            if _UNSPACED_RE.fullmatch(part):
                pairs = [part[i : i + 2] for i in range(len(part) - 1)]
                words.append(pairs or [part])
            else:
                words.append([part.lower()])
    return words


def bigram_text(text: str) -> str:
    return " ".join(term for word in bigram_words(text) for term in word)


def search_texts(content: dict) -> list[tuple[str, str, str, str]]:
    """
    A version's content as (language, title, summary, text) for each language
    it has a title in; the text is its FAQs and body, plain, and its known
    uses' names and descriptions, which are not translated: in every
    language's text, so that a search for "Back Orifice" finds the story.
    """
    known_uses = [
        f"{use.get('name', '')} {use.get('description', '')}"
        for use in content.get("known_uses", [])
    ]
    texts = []
    for language in language_codes():
        title = content["title"].get(language, "")
        if not title:
            continue
        faqs = (
            f"{faq['question'].get(language, '')} {faq['answer'].get(language, '')}"
            for faq in content.get("faqs", [])
        )
        body = strip_tags(content.get("body_html", {}).get(language, ""))
        text = " ".join(" ".join([*faqs, body, *known_uses]).split())
        texts.append((language, title, content["summary"].get(language, ""), text))
    return texts


def search_document(language: str, title: str, summary: str, text: str):
    """
    The weighted tsvector of one language: title A, summary B, the rest D.

    The rest keeps its words without positions (strip()), as ranking a common
    word over thousands of long bodies was dominated by walking its
    positions; bigram words are matched as all their pairs, not a phrase, so
    their documents need none either.
    """
    config = search_config(language)
    source = bigram_text if language in BIGRAM_LANGUAGES else str

    def vector(value, weight):
        return SearchVector(Value(source(value)), config=config, weight=weight)

    return vector(title, "A") + vector(summary, "B") + Strip(vector(text, "D"))


class Strip(SearchVectorCombinable, Func):
    """A tsvector without positions."""

    function = "strip"
    output_field = SearchVectorField()


class StorySearchTextQuerySet(models.QuerySet):
    def index(self, revision: StoryRevision) -> None:
        """
        Make `revision` the story's searchable text; the story's earlier
        versions are dropped.
        """
        self.filter(revision__story_id=revision.story_id).delete()
        postgresql = connections[self.db].vendor == "postgresql"
        # The document is written with its row, in one INSERT: written by a
        # later UPDATE, each row would leave a dead version behind that
        # every search reads until a vacuum.
        self.bulk_create(
            StorySearchText(
                revision=revision,
                language=language,
                title=title,
                summary=summary,
                text=text,
                document=search_document(language, title, summary, text)
                if postgresql
                else None,
            )
            for language, title, summary, text in search_texts(revision.content)
        )


class StorySearchText(models.Model):
    """One language of a story's live version, as reader search reads it."""

    revision = models.ForeignKey(
        StoryRevision, on_delete=models.CASCADE, related_name="search_texts"
    )
    language = models.CharField(max_length=10)
    title = models.TextField()
    summary = models.TextField(blank=True)
    # The FAQs and the body as plain text, for snippets.
    text = models.TextField(blank=True)
    # PostgreSQL only (a GIN index, migration 0013); empty elsewhere.
    document = SearchVectorField(null=True, editable=False)

    objects = StorySearchTextQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "language"], name="search_text_once_per_language"
            ),
        ]

    def __str__(self):
        return f"{self.revision_id} ({self.language})"


class RegistrySearchEntryQuerySet(models.QuerySet):
    def refresh(self) -> None:
        """
        Read the registry and the current observed data again (PostgreSQL;
        nothing elsewhere, where search reads the tables themselves). In
        the caller's transaction, so that searches see an import's entries
        when it commits, and read the earlier ones until then.
        """
        database = connections[self.db]
        if database.vendor != "postgresql":
            return
        view = self.model._meta.db_table
        # Two imports at once: the second waits here for the first to
        # commit (a lock held to the end of the transaction, keyed by the
        # view's oid). A statement reads what was committed when it began,
        # so the lock is taken in a statement of its own: a REFRESH left to
        # wait for the first one's would read the rows from before the first
        # import, and drop its entries.
        with (
            transaction.atomic(using=self.db, savepoint=False),
            database.cursor() as cursor,
        ):
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::regclass::oid::int8)", [view]
            )
            cursor.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {view}")


class RegistrySearchEntry(models.Model):
    """
    What reader search reads of the registry and observed use, on
    PostgreSQL: a materialized view (migration 0024), so that a search
    reads one indexed table, not the registry joined to observed rows for
    every match.

    A registry entry (its rows differing only in transport taken as one),
    with its port's observed names and nmap's open frequency where it is an
    assigned single port; or a port only observed data names (`source`
    "observed"). Imports refresh it (ports.reader.receivers).
    """

    id = models.BigIntegerField(primary_key=True)
    source = models.CharField(max_length=10)
    service_name = models.CharField(max_length=255)
    port_low = models.IntegerField()
    port_high = models.IntegerField()
    description = models.TextField()
    assignee = models.TextField()
    status = models.CharField(max_length=10)
    transports = ArrayField(models.CharField(max_length=4))
    # nmap's open frequency of the port (0 where unknown).
    frequency = models.FloatField()
    # The port's observed rows: [{source, name, aliases, comment}], or None.
    observed = models.JSONField(null=True)
    # The entry's own text (IANA's), and with its observed names.
    own_document = SearchVectorField()
    document = SearchVectorField()

    objects = RegistrySearchEntryQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "ports_registrysearchentry"

    def __str__(self):
        return f"{self.service_name or self.source} {self.port_low}-{self.port_high}"
