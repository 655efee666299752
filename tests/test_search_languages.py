"""
Search in the reader's language: every language's own words find the story
written in it, ranked before English matches, with snippets in it; English
matches of untranslated stories follow, marked as English.
"""

import json
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from modeltranslation.utils import build_localized_fieldname

from ports.editorial import actions
from ports.languages import SOURCE_LANGUAGE, ascii_digits
from ports.models import StorySearchText
from ports.reader import search
from tests.factories import make_citation, make_faq, make_story

pytestmark = pytest.mark.django_db

STORY = json.loads(
    (Path(__file__).parent / "data" / "multilingual_story.json").read_text()
)
LANGUAGES = STORY["languages"]
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stemming needs PostgreSQL"
)


def publish_translated_story():
    fields = {}
    for code, texts in LANGUAGES.items():
        for name in ("title", "summary", "body"):
            fields[build_localized_fieldname(name, code)] = texts[name]
    english = LANGUAGES[SOURCE_LANGUAGE]
    story = make_story(
        STORY["port"],
        title=english["title"],
        summary=english["summary"],
        body=english["body"] + "[^1]",
        **{k: v for k, v in fields.items() if not k.endswith("_en")},
    )
    story.body_en = english["body"] + "[^1]"
    story.save()
    make_citation(story)
    return actions.story_publish(story=story, by=None)


def story_hits(language, text):
    prefix = "" if language == SOURCE_LANGUAGE else f"/{language}"
    response = Client().get(f"{prefix}/search/", {"q": text})
    assert response.status_code == 200
    html = response.content.decode()
    if 'id="stories-heading"' not in html:
        return html, ""
    stories = html.split('id="stories-heading"', 1)[1].split("</section>", 1)[0]
    return html, stories


@pytest.mark.parametrize(
    ("language", "word"),
    [(code, word) for code, texts in LANGUAGES.items() for word in texts["words"]],
)
def test_a_word_of_each_language_finds_the_story_in_it(language, word):
    publish_translated_story()
    _html, stories = story_hits(language, word)
    assert f'href="{_port_url(language)}"' in stories, (language, word)
    # Its title and snippet are in the reader's language, the word marked.
    # (Numbers in the digits 0–9, as everywhere on a page.)
    title = ascii_digits(LANGUAGES[language]["title"])
    assert title.split(":")[0].split("：")[0] in stories
    assert f'lang="{language}"' in stories
    assert "<mark>" in stories
    assert "tag-language" not in stories


@on_postgresql
@pytest.mark.parametrize(
    ("language", "word"),
    [(code, word) for code, texts in LANGUAGES.items() for word in texts["inflected"]],
)
def test_other_forms_of_a_word_find_it_where_the_language_is_stemmed(language, word):
    publish_translated_story()
    _html, stories = story_hits(language, word)
    assert f'href="{_port_url(language)}"' in stories, (language, word)
    assert f'lang="{language}"' in stories


def _port_url(language):
    prefix = "" if language == SOURCE_LANGUAGE else f"/{language}"
    return f"{prefix}/ports/{STORY['port']}/"


def test_english_matches_follow_and_are_marked_as_english():
    publish_translated_story()
    untranslated = make_story(4601, title="Port 4601: another licence daemon")
    make_citation(untranslated)
    make_faq(untranslated)
    actions.story_publish(story=untranslated, by=None)

    results = search.search("licence Lizenz", language="de")
    assert [(hit.port, hit.language) for hit in results.stories] == [
        (4600, "de"),
        (4601, "en"),
    ]
    _html, stories = story_hits("de", "licence Lizenz")
    first, second = stories.split("<li>")[1:3]
    assert "/de/ports/4600/" in first and "tag-language" not in first
    assert "/de/ports/4601/" in second
    assert '<span class="tag tag-language">auf Englisch</span>' in second


def test_a_story_is_listed_once_even_when_it_matches_in_both_languages():
    publish_translated_story()
    # "1994" stands in the German and the English body alike.
    results = search.search("1994", language="de")
    assert [(hit.port, hit.language) for hit in results.stories] == [(4600, "de")]
    assert results.story_count == 1


def test_numbers_ranges_and_service_names_work_from_every_language():
    publish_translated_story()
    for language in LANGUAGES:
        prefix = "" if language == SOURCE_LANGUAGE else f"/{language}"
        response = Client().get(f"{prefix}/search/", {"q": "4600"})
        assert response.status_code == 302
        assert response["Location"] == _port_url(language)


def test_only_the_live_version_is_searched():
    story = publish_translated_story()
    story.title_ja = "ポート4600: 下書きだけの題名"
    story.save()
    actions.story_record_save(story=story, by=None)
    _html, stories = story_hits("ja", "下書き")
    assert stories == ""
    assert StorySearchText.objects.filter(language="ja").count() == 1


@on_postgresql
def test_each_language_is_indexed_with_its_configuration():
    publish_translated_story()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT language, document::text FROM ports_storysearchtext "
            "WHERE language IN ('de', 'ja', 'ru')"
        )
        documents = dict(cursor.fetchall())
    assert re.search(r"'lizenz'( |$)", documents["de"])  # stemmed (body: no positions)
    assert re.search(r"'ライ':\d+", documents["ja"])  # bigrams
    assert re.search(r"'лиценз':\d+", documents["ru"])
